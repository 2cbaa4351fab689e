// `switchyard up --event-ttl`: Events leave `kubectl get events` once they are
// older than the TTL, as on a kube-apiserver; those a previous run left go at
// start. (Events are read-only through the API, so the test writes a plan's
// Events into the data dir's database before `up` opens it, as an earlier run
// would have; a pod's Events go with its pod at every start anyway.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventObject } from '../../src/runtime/supervisor/index.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import { BIN, kubectl, removeDir, run, startUp, until } from './harness.ts';

const event = (name: string, at: Date) => eventObject({
  name, involvedObject: { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', name: 'iris-v2', namespace: 'default' },
  reason: 'Promoted', message: 'Progressing → Promoted: the last step passed its gates and hold', time: at.toISOString(), component: 'switchyard-plan-controller',
});

test('Events older than --event-ttl leave kubectl get events; recent ones stay until they are that old', { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-e2e-'));
  const store = await openSqliteStore({ path: join(dataDir, 'switchyard.db') });
  await store.create({ group: '', resource: 'events' }, event('yesterday', new Date(Date.now() - 86_400_000)), { actor: { name: 'test' } });
  await store.create({ group: '', resource: 'events' }, event('recent', new Date()), { actor: { name: 'test' } });
  await store.close();
  const up = await startUp(['--event-ttl', '6s'], dataDir);
  try {
    const listed = async () => (await kubectl('1.33', up, ['get', 'events', '-o', 'name'])).stdout.split('\n').filter(Boolean).join(' ');
    let seen = '';
    await until('the Event of a day ago to expire at start', async () => (((seen = await listed())) === 'event/recent' || undefined), 10_000, () => seen);
    await until('the recent Event to expire once 6 s old', async () => ((await listed()) === '' || undefined), 20_000);
    const help = await run(process.execPath, [BIN, 'up', '--help']);
    assert.match(help.stdout, /--event-ttl <duration>\s+how long an Event is kept[\s\S]*?\(default:\s+1h\)/);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
