// The one Store conformance suite: every Store implementation runs it
// (SQLite in sqlite.test.ts; PostgreSQL later) with a factory for fresh,
// empty stores.
import { describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../../src/core/canonical.ts';
import { parseLabelSelector } from '../../src/store/labels.ts';
import type { KubeObject, Store, WatchEvent, ResourceType } from '../../src/store/types.ts';

export interface StoreFactoryOptions {
  historyLimit?: number;
  now?: () => Date;
}

export type MakeStore = (opts?: StoreFactoryOptions) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const ISVC: ResourceType = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const NS: ResourceType = { group: '', resource: 'namespaces' };
const admin = { actor: { name: 'token:admin' } };

function isvc(name: string, namespace = 'default', extra: Partial<KubeObject> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: `pvc://models/${name}` } } },
    ...extra,
  };
}

function key(name: string, namespace = 'default') {
  return { ...ISVC, namespace, name };
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: { code?: string; message: string }) => {
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Collects watch events; wait(n) resolves once n have arrived (or fails after a timeout). */
function collector() {
  const events: WatchEvent[] = [];
  let wake = () => {};
  return {
    events,
    onEvent: (e: WatchEvent) => {
      events.push(e);
      wake();
    },
    async wait(n: number, ms = 2000): Promise<WatchEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < n) {
        if (Date.now() > deadline) assert.fail(`expected ${n} watch events, got ${events.length}: ${JSON.stringify(events.map(summary))}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 20);
        });
      }
      return events;
    },
  };
}

function summary(e: WatchEvent): string {
  return `${e.type} ${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`;
}

/** Lets queued deliveries run, to check that nothing more arrives. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * `notApplicable` names tests (by title) that cannot hold for an implementation
 * and says why (e.g. a real API server's clock cannot be injected); they are
 * reported as skipped with that reason.
 */
export function runStoreConformance(name: string, makeStore: MakeStore, notApplicable: Record<string, string> = {}): void {
  const titles = new Set<string>();
  const test = (title: string, fn: () => Promise<void>) => {
    titles.add(title);
    return nodeTest(title, notApplicable[title] ? { skip: `not applicable to ${name}: ${notApplicable[title]}` } : {}, fn);
  };
  async function withStore(fn: (store: Store) => Promise<void>, opts?: StoreFactoryOptions): Promise<void> {
    const { store, cleanup } = await makeStore(opts);
    try {
      await fn(store);
    } finally {
      await store.close();
      await cleanup();
    }
  }

  describe(`Store conformance: ${name}`, () => {
    test('create sets uid, resourceVersion, generation and creationTimestamp, ignoring client values', () =>
      withStore(async (store) => {
        const sent = isvc('ranking');
        Object.assign(sent.metadata, { uid: 'client-uid', resourceVersion: '999', generation: 7, creationTimestamp: '2000-01-01T00:00:00Z' });
        const created = await store.create(ISVC, sent, admin);
        assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
        assert.match(created.metadata.resourceVersion!, /^[1-9]\d*$/);
        assert.equal(created.metadata.generation, 1);
        assert.equal(created.metadata.creationTimestamp, '2024-05-06T07:08:09Z');
        assert.deepEqual(created.spec, sent.spec);
        assert.deepEqual(await store.get(key('ranking')), created);
        assert.equal(sent.metadata.uid, 'client-uid', 'the caller\'s object is not mutated');
      }, { now: () => new Date('2024-05-06T07:08:09.876Z') }));

    test('resourceVersion increases with every write, across objects', () =>
      withStore(async (store) => {
        const a = await store.create(ISVC, isvc('a'), admin);
        const b = await store.create(ISVC, isvc('b'), admin);
        const a2 = await store.update(ISVC, { ...a, spec: { x: 1 } }, admin);
        const rvs = [a, b, a2].map((o) => Number(o.metadata.resourceVersion));
        assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `not increasing: ${rvs}`);
        assert.notEqual(a.metadata.uid, b.metadata.uid);
      }));

    test('create of an existing name is AlreadyExists and changes nothing; other namespaces and kinds are separate', () =>
      withStore(async (store) => {
        const first = await store.create(ISVC, isvc('dup'), admin);
        await rejectsWith(store.create(ISVC, isvc('dup', 'default', { spec: { other: true } }), admin), 'SY_ERR_ALREADY_EXISTS', /"dup" already exists/);
        assert.deepEqual(await store.get(key('dup')), first);
        assert.equal((await store.listAudit()).length, 1, 'a failed create writes no audit record');
        await store.create(ISVC, isvc('dup', 'other'), admin);
        await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dup' } }, admin);
        assert.equal((await store.list(ISVC)).items.length, 2);
        assert.equal((await store.get({ ...NS, namespace: '', name: 'dup' }))?.kind, 'Namespace');
      }));

    test('get of a missing object is undefined; update and delete of one are NotFound', () =>
      withStore(async (store) => {
        assert.equal(await store.get(key('nope')), undefined);
        await rejectsWith(store.update(ISVC, isvc('nope'), admin), 'SY_ERR_NOT_FOUND', /not found/);
        await rejectsWith(store.delete(key('nope'), admin), 'SY_ERR_NOT_FOUND');
        assert.equal((await store.listAudit()).length, 0);
      }));

    test('update with a stale resourceVersion is Conflict and changes nothing', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('ranking'), admin);
        const v2 = await store.update(ISVC, { ...v1, spec: { v: 2 } }, admin);
        await rejectsWith(
          store.update(ISVC, { ...v1, spec: { v: 3 } }, admin),
          'SY_ERR_CONFLICT',
          /Operation cannot be fulfilled on inferenceservices "ranking": the object has been modified; please apply your changes to the latest version and try again/,
        );
        assert.deepEqual(await store.get(key('ranking')), v2);
        assert.equal((await store.listAudit()).length, 2);
        // With the current version, or none at all, the write goes through.
        const v3 = await store.update(ISVC, { ...v2, spec: { v: 3 } }, admin);
        const { resourceVersion: _, ...noVersion } = v3.metadata;
        const v4 = await store.update(ISVC, { ...v3, metadata: noVersion, spec: { v: 4 } }, admin);
        assert.deepEqual(v4.spec, { v: 4 });
      }));

    test('generation moves on spec changes only; uid and creationTimestamp never change', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('ranking'), admin);
        const relabelled = await store.update(ISVC, { ...v1, metadata: { ...v1.metadata, labels: { team: 'search' } } }, admin);
        assert.equal(relabelled.metadata.generation, 1);
        assert.notEqual(relabelled.metadata.resourceVersion, v1.metadata.resourceVersion);
        const respec = await store.update(
          ISVC,
          { ...relabelled, metadata: { ...relabelled.metadata, uid: 'forged', creationTimestamp: '1999-01-01T00:00:00Z', generation: 40 }, spec: { changed: true } },
          admin,
        );
        assert.equal(respec.metadata.generation, 2);
        assert.equal(respec.metadata.uid, v1.metadata.uid);
        assert.equal(respec.metadata.creationTimestamp, v1.metadata.creationTimestamp);
        assert.deepEqual(respec.metadata.labels, { team: 'search' });
      }));

    test('an update that changes nothing keeps the resourceVersion and writes no audit record', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('ranking'), admin);
        const same = await store.update(ISVC, structuredClone(v1), admin);
        assert.deepEqual(same, v1);
        assert.equal((await store.listAudit()).length, 1);
      }));

    test('status is a subresource: status writes keep spec and metadata, plain writes keep status', () =>
        withStore(async (store) => {
          const v1 = await store.create(ISVC, isvc('ranking'), admin);
          const st = await store.update(
            ISVC,
            { ...v1, metadata: { ...v1.metadata, labels: { sneaky: 'yes' } }, spec: { sneaky: true }, status: { ready: true } },
            { ...admin, subresource: 'status' },
          );
          assert.deepEqual(st.status, { ready: true });
          assert.deepEqual(st.spec, v1.spec);
          assert.equal(st.metadata.labels, undefined);
          assert.equal(st.metadata.generation, 1);
          assert.notEqual(st.metadata.resourceVersion, v1.metadata.resourceVersion);
          const plain = await store.update(ISVC, { ...st, spec: { v: 2 }, status: { ready: false, forged: 1 } }, admin);
          assert.deepEqual(plain.status, { ready: true });
          assert.deepEqual(plain.spec, { v: 2 });
          assert.equal(plain.metadata.generation, 2);
          await rejectsWith(store.update(ISVC, { ...st, status: { ready: false } }, { ...admin, subresource: 'status' }), 'SY_ERR_CONFLICT');
          assert.deepEqual((await store.get(key('ranking')))?.status, { ready: true });
        }));

    test('delete returns the object, honours a resourceVersion precondition, and removes it', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('ranking'), admin);
        const v2 = await store.update(ISVC, { ...v1, spec: { v: 2 } }, admin);
        await rejectsWith(store.delete(key('ranking'), { ...admin, resourceVersion: v1.metadata.resourceVersion! }), 'SY_ERR_CONFLICT');
        assert.ok(await store.get(key('ranking')));
        const gone = await store.delete(key('ranking'), { ...admin, resourceVersion: v2.metadata.resourceVersion! });
        assert.equal(gone.metadata.uid, v1.metadata.uid);
        assert.deepEqual(gone.spec, { v: 2 });
        assert.ok(Number(gone.metadata.resourceVersion) > Number(v2.metadata.resourceVersion));
        assert.equal(await store.get(key('ranking')), undefined);
        await rejectsWith(store.delete(key('ranking'), admin), 'SY_ERR_NOT_FOUND');
        // The name is free again, with a new identity.
        const again = await store.create(ISVC, isvc('ranking'), admin);
        assert.notEqual(again.metadata.uid, v1.metadata.uid);
      }));

    test('a graceful delete marks the object and keeps it; updates keep the mark and cannot set or move it; a plain delete removes it', () => {
      let now = new Date('2024-05-06T07:08:09.500Z');
      return withStore(async (store) => {
        const POD: ResourceType = { group: '', resource: 'pods' };
        const podKey = { ...POD, namespace: 'default', name: 'p' };
        const pod = (phase: string, meta: Record<string, unknown> = {}): KubeObject => ({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...meta }, spec: { containers: [{ name: 'c' }] }, status: { phase },
        });
        const forged = { deletionTimestamp: '1999-01-01T00:00:00Z', deletionGracePeriodSeconds: 99 };
        const created = await store.create(POD, pod('Running', forged), admin);
        assert.equal(created.metadata.deletionTimestamp, undefined, 'create ignores a client deletion mark');
        assert.equal(created.metadata.deletionGracePeriodSeconds, undefined);
        const w = collector();
        await store.watch(POD, {}, w.onEvent);
        const updated = await store.update(POD, pod('Running', { ...forged, labels: { a: 'b' } }), admin);
        assert.equal(updated.metadata.deletionTimestamp, undefined, 'an update cannot mark an object deleted');

        const marked = await store.delete(podKey, { ...admin, gracePeriodSeconds: 30 });
        assert.equal(marked.metadata.deletionTimestamp, '2024-05-06T07:08:09Z');
        assert.equal(marked.metadata.deletionGracePeriodSeconds, 30);
        assert.ok(Number(marked.metadata.resourceVersion) > Number(updated.metadata.resourceVersion));
        assert.deepEqual(await store.get(podKey), marked, 'still there, marked');

        now = new Date('2024-05-06T07:08:20Z');
        assert.deepEqual(await store.delete(podKey, { ...admin, gracePeriodSeconds: 5 }), marked, 'a second graceful delete changes nothing');
        const spec = await store.update(POD, pod('Running', { labels: { a: 'c' } }), admin);
        const status = await store.update(POD, pod('Succeeded', { deletionTimestamp: '2030-01-01T00:00:00Z' }), { ...admin, subresource: 'status' });
        for (const o of [spec, status]) {
          assert.equal(o.metadata.deletionTimestamp, '2024-05-06T07:08:09Z', 'the mark survives updates');
          assert.equal(o.metadata.deletionGracePeriodSeconds, 30);
        }
        assert.equal((status.status as { phase: string }).phase, 'Succeeded');

        await store.delete(podKey, admin);
        assert.equal(await store.get(podKey), undefined);
        const events = await w.wait(5);
        assert.deepEqual(events.map((e) => [e.type, e.object.metadata.deletionTimestamp ?? null]), [
          ['MODIFIED', null], ['MODIFIED', '2024-05-06T07:08:09Z'], ['MODIFIED', '2024-05-06T07:08:09Z'], ['MODIFIED', '2024-05-06T07:08:09Z'], ['DELETED', '2024-05-06T07:08:09Z'],
        ]);
        assert.deepEqual((await store.listAudit()).map((r) => r.verb), ['create', 'update', 'delete', 'update', 'update/status', 'delete']);
      }, { now: () => now });
    });

    test('list filters by namespace, label selector and name, sorted by namespace then name', () =>
      withStore(async (store) => {
        await store.create(ISVC, isvc('b', 'prod', {}, { app: 'rank', tier: 'gold' }), admin);
        await store.create(ISVC, isvc('a', 'prod', {}, { app: 'rank' }), admin);
        await store.create(ISVC, isvc('c', 'dev', {}, { app: 'search' }), admin);
        const last = await store.create(ISVC, isvc('a', 'dev'), admin);
        await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } }, admin);
        const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

        const all = await store.list(ISVC);
        assert.deepEqual(names(all.items), ['dev/a', 'dev/c', 'prod/a', 'prod/b']);
        assert.ok(Number(all.resourceVersion) > Number(last.metadata.resourceVersion));
        assert.deepEqual(names((await store.list(ISVC, { namespace: 'prod' })).items), ['prod/a', 'prod/b']);
        assert.deepEqual(names((await store.list(ISVC, { namespace: 'nowhere' })).items), []);
        assert.deepEqual(names((await store.list(ISVC, { name: 'a' })).items), ['dev/a', 'prod/a']);
        const select = async (s: string) => names((await store.list(ISVC, { labelSelector: parseLabelSelector(s) })).items);
        assert.deepEqual(await select('app=rank'), ['prod/a', 'prod/b']);
        assert.deepEqual(await select('app in (rank,search),!tier'), ['dev/c', 'prod/a']);
        assert.deepEqual(await select('app!=rank'), ['dev/a', 'dev/c']);
        assert.deepEqual(await select('tier'), ['prod/b']);
        assert.deepEqual(await select('app notin (search)'), ['dev/a', 'prod/a', 'prod/b']);
        assert.deepEqual(names((await store.list(NS)).items), ['/prod']);
      }));

    test('watch from now delivers ADDED, MODIFIED, DELETED in order, filtered, until stopped', () =>
      withStore(async (store) => {
        await store.create(ISVC, isvc('before'), admin);
        const all = collector();
        const filtered = collector();
        const stopAll = await store.watch(ISVC, {}, all.onEvent);
        await store.watch(ISVC, { namespace: 'prod', labelSelector: parseLabelSelector('app=rank') }, filtered.onEvent);
        const a = await store.create(ISVC, isvc('a', 'prod', {}, { app: 'rank' }), admin);
        await store.create(ISVC, isvc('b', 'prod', {}, { app: 'other' }), admin);
        await store.create(ISVC, isvc('a', 'dev', {}, { app: 'rank' }), admin);
        await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } }, admin);
        const a2 = await store.update(ISVC, { ...a, spec: { v: 2 } }, admin);
        await store.delete(key('a', 'prod'), admin);
        await all.wait(5);
        assert.deepEqual(all.events.map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`), [
          'ADDED prod/a', 'ADDED prod/b', 'ADDED dev/a', 'MODIFIED prod/a', 'DELETED prod/a',
        ]);
        assert.deepEqual(all.events[3]!.object, a2);
        await filtered.wait(3);
        assert.deepEqual(filtered.events.map(summary), [
          `ADDED prod/a@${a.metadata.resourceVersion}`,
          `MODIFIED prod/a@${a2.metadata.resourceVersion}`,
          `DELETED prod/a@${all.events[4]!.object.metadata.resourceVersion}`,
        ]);
        stopAll();
        await store.create(ISVC, isvc('after'), admin);
        await settle();
        assert.equal(all.events.length, 5, 'no events after stop');
      }));

    test('watch with a label selector sees objects enter (ADDED) and leave (DELETED) it', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('a'), admin);
        const w = collector();
        await store.watch(ISVC, { labelSelector: parseLabelSelector('track=canary') }, w.onEvent);
        const v2 = await store.update(ISVC, { ...v1, metadata: { ...v1.metadata, labels: { track: 'canary' } } }, admin);
        const v3 = await store.update(ISVC, { ...v2, metadata: { ...v2.metadata, labels: { track: 'stable' } } }, admin);
        await store.update(ISVC, { ...v3, spec: { v: 9 } }, admin);
        await w.wait(2);
        await settle();
        assert.deepEqual(w.events.map(summary), [`ADDED default/a@${v2.metadata.resourceVersion}`, `DELETED default/a@${v3.metadata.resourceVersion}`]);
      }));

    test('watch from a resourceVersion replays what followed it, then goes live, in order with no duplicates', () =>
      withStore(async (store) => {
        const a = await store.create(ISVC, isvc('a'), admin);
        const listed = await store.list(ISVC);
        const b = await store.create(ISVC, isvc('b'), admin);
        const a2 = await store.update(ISVC, { ...a, spec: { v: 2 } }, admin);
        await store.delete(key('b'), admin);
        // Writes racing the watch registration: each must arrive exactly once.
        const racing = Array.from({ length: 10 }, (_, i) => store.create(ISVC, isvc(`r${i}`), admin));
        const w = collector();
        await store.watch(ISVC, { resourceVersion: listed.resourceVersion }, w.onEvent);
        const created = await Promise.all(racing);
        const c = await store.create(ISVC, isvc('c'), admin);
        await w.wait(14);
        await settle();
        const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
        assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y), 'in revision order');
        assert.equal(new Set(rvs).size, rvs.length, 'no duplicates');
        assert.deepEqual(w.events.slice(0, 3).map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b', 'MODIFIED a', 'DELETED b']);
        assert.deepEqual(w.events[0]!.object, b);
        assert.deepEqual(w.events[1]!.object, a2);
        // Racing creates may commit in any order; each is delivered once, in the order it committed.
        const committed = [...created].sort((x, y) => Number(x.metadata.resourceVersion) - Number(y.metadata.resourceVersion));
        assert.deepEqual(w.events.slice(3).map((e) => e.object.metadata.name), [...committed.map((o) => o.metadata.name), c.metadata.name]);
      }));

    test('watch from a resourceVersion older than the kept history is Gone', () =>
      withStore(async (store) => {
        const first = await store.create(ISVC, isvc('a'), admin);
        let last = first;
        for (let i = 0; i < 6; i++) last = await store.update(ISVC, { ...last, spec: { i } }, admin);
        await rejectsWith(store.watch(ISVC, { resourceVersion: first.metadata.resourceVersion! }, () => {}), 'SY_ERR_GONE');
        const w = collector();
        const recent = String(Number(last.metadata.resourceVersion) - 2);
        await store.watch(ISVC, { resourceVersion: recent }, w.onEvent);
        await w.wait(2);
        assert.deepEqual(w.events.map((e) => e.object.spec), [{ i: 4 }, { i: 5 }]);
      }, { historyLimit: 3 }));

    test('every write appends an audit record in one verifying hash chain', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('ranking'), { actor: { name: 'cli:alice' } });
        const v2 = await store.update(ISVC, { ...v1, spec: { v: 2 } }, { actor: { name: 'controller:isvc' }, verb: 'patch' });
        const v3 = await store.update(ISVC, { ...v2, status: { ready: true } }, { actor: { name: 'controller:isvc' }, subresource: 'status' });
        await store.delete(key('ranking'), { actor: { name: 'cli:bob' } });
        const extra = await store.appendAudit({ actor: 'controller:plan', verb: 'promote', resource: 'switchyard.dev/trafficplans/default/p', evidence: { gate: 'p99', value: 41.5 } });

        const log = await store.listAudit();
        assert.deepEqual(log.map((r) => [r.seq, r.actor, r.verb, r.resource]), [
          [1, 'cli:alice', 'create', 'serving.kserve.io/inferenceservices/default/ranking'],
          [2, 'controller:isvc', 'patch', 'serving.kserve.io/inferenceservices/default/ranking'],
          [3, 'controller:isvc', 'update/status', 'serving.kserve.io/inferenceservices/default/ranking'],
          [4, 'cli:bob', 'delete', 'serving.kserve.io/inferenceservices/default/ranking'],
          [5, 'controller:plan', 'promote', 'switchyard.dev/trafficplans/default/p'],
        ]);
        assert.deepEqual([log[0]!.digestBefore, log[0]!.digestAfter], ['', sha256Hex(v1)]);
        assert.deepEqual([log[1]!.digestBefore, log[1]!.digestAfter], [sha256Hex(v1), sha256Hex(v2)]);
        assert.deepEqual([log[3]!.digestBefore, log[3]!.digestAfter], [sha256Hex(v3), '']);
        assert.deepEqual(log[4], extra);
        assert.deepEqual(extra.evidence, { gate: 'p99', value: 41.5 });
        for (let i = 1; i < log.length; i++) assert.equal(log[i]!.prevHash, log[i - 1]!.hash);
        assert.ok(!Number.isNaN(Date.parse(log[0]!.time)));

        assert.deepEqual((await store.listAudit({ sinceSeq: 2, limit: 2 })).map((r) => r.seq), [3, 4]);
        assert.deepEqual(await store.verifyAudit(), { ok: true, records: 5, problems: [] });
      }));

    test('a write can carry evidence into its own audit record', () =>
      withStore(async (store) => {
        const v1 = await store.create(ISVC, isvc('p'), admin);
        await store.update(ISVC, { ...v1, status: { phase: 'RolledBack' } }, { actor: { name: 'controller:plan' }, subresource: 'status', verb: 'plan/gate-failed', evidence: { gate: 'errorRate', value: 0.2 } });
        const log = await store.listAudit();
        assert.deepEqual(log.map((r) => [r.verb, r.evidence]), [['create', undefined], ['plan/gate-failed', { gate: 'errorRate', value: 0.2 }]]);
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('audit records list by resource and verb prefix, oldest first', () =>
      withStore(async (store) => {
        const plan = (name: string) => `switchyard.dev/trafficplans/default/${name}`;
        for (const [resource, verb] of [[plan('a'), 'plan/started'], [plan('a'), 'update/status'], [plan('b'), 'plan/started'], [plan('a'), 'plan/kill'], [plan('a_'), 'plan/started'], [plan('a'), 'plan%x']]) {
          await store.appendAudit({ actor: 'controller:plan', verb: verb!, resource: resource! });
        }
        const list = async (q: Parameters<Store['listAudit']>[0]) => (await store.listAudit(q)).map((r) => [r.seq, r.verb]);
        assert.deepEqual(await list({ resource: plan('a'), verbPrefix: 'plan/' }), [[1, 'plan/started'], [4, 'plan/kill']]);
        assert.deepEqual(await list({ resource: plan('a') }), [[1, 'plan/started'], [2, 'update/status'], [4, 'plan/kill'], [6, 'plan%x']]);
        // A prefix means itself: % and _ are not wildcards.
        assert.deepEqual(await list({ verbPrefix: 'plan%' }), [[6, 'plan%x']]);
        assert.deepEqual(await list({ resource: plan('a'), verbPrefix: 'plan/', sinceSeq: 1, limit: 1 }), [[4, 'plan/kill']]);
        // newest: the last `limit` that match, still oldest first.
        assert.deepEqual(await list({ resource: plan('a'), limit: 2, newest: true }), [[4, 'plan/kill'], [6, 'plan%x']]);
        assert.deepEqual(await list({ verbPrefix: 'plan/', limit: 1, newest: true }), [[5, 'plan/started']]);
      }));

    test('audit records list by namespace: the objects in it, not a name or group that looks like it', () =>
      withStore(async (store) => {
        for (const resource of ['switchyard.dev/trafficplans/risk/p', 'serving.kserve.io/inferenceservices/risk/fraud', 'switchyard.dev/trafficplans/other/risk']) {
          await store.appendAudit({ actor: 'a', verb: 'create', resource });
        }
        const resources = async (q: Parameters<Store['listAudit']>[0]) => (await store.listAudit(q)).map((r) => r.resource);
        assert.deepEqual(await resources({ namespace: 'risk' }), ['switchyard.dev/trafficplans/risk/p', 'serving.kserve.io/inferenceservices/risk/fraud']);
        assert.deepEqual(await resources({ namespace: 'risk', limit: 1, newest: true }), ['serving.kserve.io/inferenceservices/risk/fraud']);
      }));

    test('an empty store verifies', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.verifyAudit(), { ok: true, records: 0, problems: [] });
        assert.deepEqual((await store.list(ISVC)).items, []);
      }));
  });
  // A reason given for a test that does not exist (renamed, removed) is a mistake, not a skip.
  const unknown = Object.keys(notApplicable).filter((title) => !titles.has(title));
  if (unknown.length > 0) throw new Error(`runStoreConformance: no such test ${unknown.map((t) => JSON.stringify(t)).join(', ')}`);
}
