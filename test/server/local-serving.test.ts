// Local serving wired to a real store and real child processes (the
// supervisor's fixture server run through a user ServingRuntime): rollout
// between revisions, pods and events in the store, runtimes appearing late,
// stale pods on start, delete.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { LocalServing } from '../../src/server/local/index.ts';
import { until } from '../until.ts';

const FIXTURE = fileURLToPath(new URL('../runtime/fixtures/replica-server.mjs', import.meta.url));
const ACTOR = { name: 'test' };
const ISVCS = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const RUNTIMES = { group: 'serving.kserve.io', resource: 'servingruntimes' };
const PODS = { group: '', resource: 'pods' };
const EVENTS = { group: '', resource: 'events' };

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'sy-local-'));
  dirs.push(d);
  return d;
}

async function setup(): Promise<{ store: Store; serving: LocalServing; dir: string; lines: string[] }> {
  const dir = scratch();
  const store = await openSqliteStore({ path: ':memory:' });
  const lines: string[] = [];
  const serving = new LocalServing({
    store, dataDir: dir, logDir: join(dir, 'logs'), log: (l) => lines.push(l),
    supervisor: { probe: { periodMs: 50, timeoutMs: 500, failureThreshold: 3 }, backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 }, graceMs: 1000 },
  });
  return { store, serving, dir, lines };
}

function fixtureRuntime(format: string, namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: { name: `fixture-${format}`, namespace },
    spec: {
      supportedModelFormats: [{ name: format, autoSelect: true }], protocolVersions: ['v2'],
      containers: [{ name: 'kserve-container', command: [process.execPath, FIXTURE], args: ['--port', '{{.Port}}', '--name', '{{.Name}}'] }],
    },
  };
}

function isvc(format: string, env: Record<string, string>, storageUri?: string, namespace = 'ml'): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'toy', namespace },
    spec: { predictor: { model: { modelFormat: { name: format }, protocolVersion: 'v2', ...(storageUri ? { storageUri } : {}), env: Object.entries(env).map(([name, value]) => ({ name, value })) } } },
  };
}

const getIsvc = (store: Store) => store.get({ ...ISVCS, namespace: 'ml', name: 'toy' });
const condition = (obj: KubeObject | undefined, type: string) => ((obj?.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const predictor = (obj: KubeObject | undefined) => ((obj?.status as { components?: { predictor?: Record<string, unknown> } } | undefined)?.components?.predictor ?? {});
const podsOf = async (store: Store, revision?: string) =>
  (await store.list(PODS, { namespace: 'ml', labelSelector: [{ key: revision ? 'serving.knative.dev/revision' : 'serving.kserve.io/inferenceservice', operator: 'In', values: [revision ?? 'toy'] }] })).items;

test('a spec change rolls out a new revision; the old one serves until the new one is ready, then stays warm for rollback', { timeout: 60_000 }, async () => {
  const { store, serving, dir } = await setup();
  try {
    await serving.start();
    const model = join(dir, 'artifact');
    mkdirSync(model);
    writeFileSync(join(model, 'model.bin'), 'weights');
    await store.create(RUNTIMES, fixtureRuntime('toy'), { actor: ACTOR });
    const notReady = join(dir, 'not-ready');
    await store.create(ISVCS, isvc('toy', { NOT_READY_FILE: notReady }, `file://${model}`), { actor: ACTOR });
    const first = await until('revision 1 ready', async () => { const o = await getIsvc(store); return condition(o, 'Ready')?.status === 'True' ? o : undefined; });
    assert.equal(predictor(first).latestReadyRevision, 'toy-predictor-00001');
    const revs = predictor(first).revisions as Record<string, { digest?: string }>;
    assert.match(revs['toy-predictor-00001']!.digest ?? '', /^sha256:[0-9a-f]{64}$/, 'the artifact digest is on the revision');
    const [pod1] = await podsOf(store);
    assert.equal(pod1!.metadata.labels?.['serving.knative.dev/revision'], 'toy-predictor-00001');
    assert.equal(pod1!.metadata.labels?.component, 'predictor');

    // Revision 2 starts not ready (its readiness file exists).
    const notReady2 = join(dir, 'not-ready-2');
    writeFileSync(notReady2, '');
    const current = (await getIsvc(store))!;
    await store.update(ISVCS, { ...current, spec: isvc('toy', { NOT_READY_FILE: notReady2 }, `file://${model}`).spec }, { actor: ACTOR });
    const rolling = await until('revision 2 created and running', async () => {
      const o = await getIsvc(store);
      return predictor(o).latestCreatedRevision === 'toy-predictor-00002' && (await podsOf(store, 'toy-predictor-00002')).length === 1 ? o : undefined;
    });
    assert.equal(predictor(rolling).latestReadyRevision, 'toy-predictor-00001');
    assert.equal((await podsOf(store, 'toy-predictor-00001')).length, 1, 'the old revision keeps running');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(predictor(await getIsvc(store)).latestReadyRevision, 'toy-predictor-00001', 'a revision that is not ready never takes over');
    assert.equal(condition(await getIsvc(store), 'Ready')?.status, 'Unknown');

    rmSync(notReady2);
    const promoted = await until('revision 2 ready and rolled out', async () => {
      const o = await getIsvc(store);
      return predictor(o).latestRolledoutRevision === 'toy-predictor-00002' && condition(o, 'Ready')?.status === 'True' ? o : undefined;
    });
    assert.equal(predictor(promoted).previousRolledoutRevision, 'toy-predictor-00001');
    assert.deepEqual(predictor(promoted).traffic, [{ revisionName: 'toy-predictor-00002', latestRevision: true, percent: 100 }]);
    assert.deepEqual(serving.supervisor.revisions().sort(), ['ml/toy-predictor-00001', 'ml/toy-predictor-00002'], 'the rollback target stays warm');

    // Delete: replicas stop, pods go.
    await store.delete({ ...ISVCS, namespace: 'ml', name: 'toy' }, { actor: ACTOR });
    await until('pods deleted', async () => ((await podsOf(store)).length === 0 ? true : undefined));
    assert.deepEqual(serving.supervisor.revisions(), []);
  } finally {
    await serving.stop();
    await store.close();
  }
});

test('InferenceServices of the same name in two namespaces run at once, each with its own replicas and endpoints', { timeout: 60_000 }, async () => {
  const { store, serving } = await setup();
  try {
    await serving.start();
    for (const ns of ['ml', 'team-b']) {
      await store.create(RUNTIMES, fixtureRuntime('toy', ns), { actor: ACTOR });
      await store.create(ISVCS, isvc('toy', {}, undefined, ns), { actor: ACTOR });
    }
    for (const ns of ['ml', 'team-b']) {
      await until(`${ns}/toy ready`, async () => {
        const o = await store.get({ ...ISVCS, namespace: ns, name: 'toy' });
        return condition(o, 'Ready')?.status === 'True' ? o : undefined;
      });
    }
    assert.deepEqual(serving.supervisor.revisions().sort(), ['ml/toy-predictor-00001', 'team-b/toy-predictor-00001']);
    const ports = ['ml', 'team-b'].map((ns) => serving.ingress.endpoints.pick(`${ns}/toy-predictor-00001`));
    assert.ok(ports[0] && ports[1] && ports[0] !== ports[1], `two replicas, two endpoints: ${ports.join(', ')}`);
    // Deleting one leaves the other running.
    await store.delete({ ...ISVCS, namespace: 'team-b', name: 'toy' }, { actor: ACTOR });
    await until('team-b stopped', async () => (serving.supervisor.revisions().length === 1 ? true : undefined));
    assert.deepEqual(serving.supervisor.revisions(), ['ml/toy-predictor-00001']);
    assert.equal(condition(await getIsvc(store), 'Ready')?.status, 'True');
  } finally {
    await serving.stop();
    await store.close();
  }
});

test('pod events point at the stored pod and a runtime created later makes the InferenceService ready', { timeout: 60_000 }, async () => {
  const { store, serving } = await setup();
  try {
    await serving.start();
    await store.create(ISVCS, isvc('late', {}), { actor: ACTOR });
    const blocked = await until('NoSupportingRuntime', async () => { const o = await getIsvc(store); return condition(o, 'PredictorReady')?.reason === 'NoSupportingRuntime' ? o : undefined; });
    assert.equal(condition(blocked, 'Ready')?.status, 'False');
    assert.match(condition(blocked, 'PredictorReady')!.message!, /model format "late".*switchyard-onnx/);

    await store.create(RUNTIMES, fixtureRuntime('late'), { actor: ACTOR });
    await until('ready once the runtime exists', async () => (condition(await getIsvc(store), 'Ready')?.status === 'True' ? true : undefined));
    const [pod] = await podsOf(store);
    const events = (await store.list(EVENTS, { namespace: 'ml' })).items.filter((e) => (e.involvedObject as { name: string }).name === pod!.metadata.name);
    const reasons = new Set(events.map((e) => e.reason));
    for (const r of ['Scheduled', 'Started', 'Ready']) assert.ok(reasons.has(r), `no ${r} event among ${[...reasons].join(', ')}`);
    for (const e of events) assert.equal((e.involvedObject as { uid: string }).uid, pod!.metadata.uid, 'kubectl describe pod selects events by the pod uid');
    assert.match(pod!.metadata.annotations?.['switchyard.dev/pid'] ?? '', /^\d+$/);
  } finally {
    await serving.stop();
    await store.close();
  }
});

test('start removes pods left by a previous run and installs the built-in runtime once', async () => {
  const { store, serving } = await setup();
  try {
    await store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old-pod', namespace: 'ml' }, spec: {}, status: { phase: 'Running' } }, { actor: ACTOR });
    await store.create(EVENTS, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'old-pod.1', namespace: 'ml' }, involvedObject: { kind: 'Pod', name: 'old-pod', namespace: 'ml' }, reason: 'Started' }, { actor: ACTOR });
    await serving.start();
    assert.deepEqual((await store.list(PODS)).items, []);
    assert.deepEqual((await store.list(EVENTS)).items, []);
    const rt = await store.get({ group: 'serving.kserve.io', resource: 'clusterservingruntimes', namespace: '', name: 'switchyard-onnx' });
    assert.deepEqual((rt!.spec as { supportedModelFormats: unknown }).supportedModelFormats, [{ name: 'onnx', version: '1', autoSelect: true }]);
    assert.deepEqual((rt!.spec as { containers: { command: string[] }[] }).containers[0]!.command.slice(0, 1), [process.execPath]);
  } finally {
    await serving.stop();
    await store.close();
  }
});
