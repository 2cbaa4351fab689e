// Events expire an hour (--event-ttl) after they last happened, as on a
// kube-apiserver: `kubectl get events` on a long-running `switchyard up` tells
// what happened lately. A repeat keeps an Event alive, and one expired while
// its pod kept failing comes back at the next repeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import { eventObject } from '../../src/runtime/supervisor/index.ts';
import { DEFAULT_EVENT_TTL_MS, eventLastSeen, expireEvents, startEventExpiry } from '../../src/server/event-ttl.ts';
import { StorePodSink } from '../../src/server/local/pod-sink.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { until } from '../until.ts';

const EVENTS = { group: '', resource: 'events' };
const ACTOR = { name: 'test' };
const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

function event(name: string, last: number, first = last): KubeObject {
  return eventObject({
    name, involvedObject: { kind: 'Pod', name: 'iris-predictor-00001-deployment-abc', namespace: 'ml' },
    reason: 'BackOff', message: 'Back-off restarting failed container', type: 'Warning',
    time: new Date(last).toISOString(), firstTimestamp: new Date(first).toISOString(),
  });
}

async function names(store: Store): Promise<string[]> {
  return (await store.list(EVENTS)).items.map((e) => e.metadata.name).sort();
}

test('an Event last seen more than the TTL ago is deleted; a recent one, or one repeated lately, is kept', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    await store.create(EVENTS, event('old', NOW - HOUR - 1000), { actor: ACTOR });
    await store.create(EVENTS, event('fresh', NOW - 60_000), { actor: ACTOR });
    await store.create(EVENTS, event('repeated', NOW - 60_000, NOW - 5 * HOUR), { actor: ACTOR });
    assert.equal(await expireEvents(store, DEFAULT_EVENT_TTL_MS, NOW), 1);
    assert.deepEqual(await names(store), ['fresh', 'repeated']);
    assert.equal(await expireEvents(store, DEFAULT_EVENT_TTL_MS, NOW), 0, 'nothing more to expire');
  } finally {
    await store.close();
  }
});

test("an Event's age counts from lastTimestamp, else eventTime, else its creation; one with no time is kept", () => {
  const at = (o: Record<string, unknown>) => eventLastSeen({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', ...(o.metadata as object) }, ...o } as KubeObject);
  assert.equal(at({ lastTimestamp: '2026-12-07T11:00:00Z', eventTime: '2026-12-07T10:00:00Z' }), Date.parse('2026-12-07T11:00:00Z'));
  assert.equal(at({ eventTime: '2026-12-07T10:00:00.000000Z' }), Date.parse('2026-12-07T10:00:00Z'));
  assert.equal(at({ metadata: { creationTimestamp: '2026-12-07T09:00:00Z' } }), Date.parse('2026-12-07T09:00:00Z'));
  assert.equal(at({}), undefined);
});

test('an Event repeated between the list and the delete is kept (the delete is conditional on its version)', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    await store.create(EVENTS, event('flapping', NOW - 2 * HOUR), { actor: ACTOR });
    const stale = await store.list(EVENTS);
    await store.update(EVENTS, { ...event('flapping', NOW), count: 2 }, { actor: ACTOR });
    // The expiry sees the list taken before the repeat.
    const racing = Object.assign(Object.create(store) as Store, { list: async () => stale });
    assert.equal(await expireEvents(racing, HOUR, NOW), 0);
    assert.deepEqual(await names(store), ['flapping']);
  } finally {
    await store.close();
  }
});

test('a repeat of an expired Event creates it again, with its count', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    const sink = new StorePodSink(store, ACTOR);
    await sink.event(event('crash', NOW - 2 * HOUR));
    await sink.event({ ...event('crash', NOW - 2 * HOUR + 10_000), count: 2 });
    assert.equal(await expireEvents(store, HOUR, NOW), 1);
    // The supervisor still holds the aggregate: its next repeat names the same Event.
    await sink.event({ ...event('crash', NOW), count: 3 });
    const { items } = await store.list(EVENTS);
    assert.deepEqual(items.map((e) => [e.metadata.name, (e as { count?: number }).count]), [['crash', 3]]);
    // Expired between the sink's read and its write: the repeat is not lost.
    const read = items[0]!;
    assert.equal(await expireEvents(store, HOUR, NOW + 2 * HOUR), 1);
    const racing = new StorePodSink(Object.assign(Object.create(store) as Store, { get: async () => read }), ACTOR);
    await racing.event({ ...event('crash', NOW + 2 * HOUR), count: 4 });
    assert.deepEqual((await store.list(EVENTS)).items.map((e) => (e as { count?: number }).count), [4]);
  } finally {
    await store.close();
  }
});

test('the expiry sweeps at start (Events a previous run left) and on its cadence', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  await store.create(EVENTS, event('left-over', NOW - 2 * HOUR), { actor: ACTOR });
  await store.create(EVENTS, event('later', NOW - 30 * 60_000), { actor: ACTOR });
  let now = NOW;
  const expiry = startEventExpiry({ store, ttlMs: HOUR, everyMs: 50, now: () => now });
  try {
    await until('the left-over Event expired at start', async () => ((await names(store)).join() === 'later' || undefined), 5000);
    now = NOW + HOUR;
    await until('the other expired on a later sweep', async () => ((await names(store)).length === 0 || undefined), 5000);
  } finally {
    await expiry.stop();
    await store.close();
  }
});
