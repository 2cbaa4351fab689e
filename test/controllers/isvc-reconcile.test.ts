// The pure reconcile of an InferenceService predictor: revisions, the
// rollout from one revision to the next, conditions and model status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile, type ReconcileOutput, type RevisionObservation, type RuntimeCandidate } from '../../src/controllers/isvc/index.ts';
import { desiredReplicas } from '../../src/controllers/isvc/index.ts';
import { podObject, type ReplicaSnapshot } from '../../src/runtime/supervisor/index.ts';
import type { KubeObject } from '../../src/store/types.ts';

const ONNX: RuntimeCandidate = {
  kind: 'ClusterServingRuntime', name: 'switchyard-onnx',
  spec: {
    supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true }], protocolVersions: ['v1', 'v2'], multiModel: false, disabled: false,
    containers: [{ command: ['/usr/bin/node', 'bin/switchyard.js', 'model-server'], args: ['--model-dir', '{{.ModelDir}}', '--name', '{{.Name}}', '--port', '{{.Port}}'], readinessProbe: { httpGet: { path: '/v2/health/ready' } } }],
  },
};

function isvc(predictor: Record<string, unknown>, extra: { generation?: number; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'ml', generation: extra.generation ?? 1, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { predictor },
  };
}
const onnx = (uri: string, more: Record<string, unknown> = {}) => ({ model: { modelFormat: { name: 'onnx' }, storageUri: uri }, ...more });

type PodState = 'ready' | 'loading' | 'crash' | 'init-failed' | 'init-failed-again';
function pod(rev: string, state: PodState, i = 0): KubeObject {
  const initFailed = state === 'init-failed' || state === 'init-failed-again';
  const t = '2026-01-01T00:00:00Z';
  const snap: ReplicaSnapshot = {
    podName: `${rev}-deployment-abc-${i}`, namespace: 'ml', uid: `u${i}`, labels: {}, createdAt: t, nodeName: 'n', command: ['x'], port: 4000 + i,
    hasInit: true, initDone: !initFailed, initRestartCount: state === 'init-failed-again' ? 1 : 0, running: state === 'ready' || state === 'loading', ready: state === 'ready', readySince: t,
    restartCount: state === 'crash' ? 2 : 0,
    ...(initFailed ? { initError: 'storageUri "pvc://models/x/": not found' } : { startedAt: t }),
    ...(state === 'crash' ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2s restarting failed container' }, lastTermination: { exitCode: 1, reason: 'Error', startedAt: t, finishedAt: t } } : {}),
  };
  return podObject(snap);
}

/** A deployer that reports what the test says each revision's pods are doing. */
class FakeDeployer {
  readonly obs = new Map<string, RevisionObservation>();
  set(rev: string, ...states: PodState[]): void {
    this.obs.set(rev, { pods: states.map((s, i) => pod(rev, s, i)), digest: 'sha256:abc', bytes: 10 });
  }
  observe(_ns: string, rev: string) { return this.obs.get(rev); }
  running(): string[] { return [...this.obs.keys()]; }
  /** Apply the output as the controller would. */
  apply(out: ReconcileOutput): void {
    for (const r of out.stop) this.obs.delete(r);
    for (const e of out.ensure) if (!this.obs.has(e.template.revision)) this.obs.set(e.template.revision, { pods: [] });
  }
}

let clock = Date.parse('2026-03-01T10:00:00Z');
function pass(obj: KubeObject, d: FakeDeployer, runtimes = [ONNX]): { obj: KubeObject; out: ReconcileOutput } {
  clock += 1000;
  const out = reconcile({ isvc: obj, runtimes, deployer: d, now: new Date(clock) });
  d.apply(out);
  return { obj: { ...obj, status: out.status }, out };
}
const cond = (o: ReconcileOutput, type: string) => (o.status.conditions as { type: string; status: string; reason?: string; message?: string; lastTransitionTime: string }[]).find((c) => c.type === type)!;
const predictor = (o: ReconcileOutput) => (o.status.components as { predictor: Record<string, unknown> }).predictor;

/** iris-predictor-00001 deployed and ready: where a rollout starts. */
function v1Ready(d: FakeDeployer): KubeObject {
  let { obj } = pass(isvc(onnx('pvc://models/iris-v1/')), d);
  d.set('iris-predictor-00001', 'ready');
  ({ obj } = pass(obj, d));
  return obj;
}

test('the first pass creates NAME-predictor-00001 with one replica and reports it loading', () => {
  const d = new FakeDeployer();
  const { out } = pass(isvc(onnx('pvc://models/iris-v1/')), d);
  assert.deepEqual(out.ensure.map((e) => [e.template.revision, e.replicas]), [['iris-predictor-00001', 1]]);
  const t = out.ensure[0]!.template;
  assert.deepEqual(t.command, ['/usr/bin/node', 'bin/switchyard.js', 'model-server', '--model-dir', '{{.ModelDir}}', '--name', 'iris', '--port', '{{.Port}}']);
  assert.equal(t.readinessPath, '/v2/health/ready');
  assert.equal(t.storageUri, 'pvc://models/iris-v1/');
  assert.equal(predictor(out).latestCreatedRevision, 'iris-predictor-00001');
  assert.equal(predictor(out).latestReadyRevision, undefined);
  assert.equal(cond(out, 'PredictorReady').status, 'Unknown');
  assert.equal(cond(out, 'Ready').status, 'Unknown');
  assert.equal(cond(out, 'IngressReady').status, 'True');
  assert.equal(out.status.url, 'http://iris.ml.example.com');
  assert.equal(predictor(out).url, 'http://iris-predictor.ml.example.com');
  assert.equal(out.status.observedGeneration, 1);
});

test('a ready replica makes the revision latest ready, Ready True and the model Loaded, with its digest recorded', () => {
  const d = new FakeDeployer();
  let { obj } = pass(isvc(onnx('pvc://models/iris-v1/')), d);
  d.set('iris-predictor-00001', 'ready');
  const { out } = pass(obj, d);
  assert.equal(cond(out, 'Ready').status, 'True');
  assert.equal(cond(out, 'PredictorReady').status, 'True');
  assert.equal(predictor(out).latestReadyRevision, 'iris-predictor-00001');
  assert.deepEqual(predictor(out).traffic, [{ revisionName: 'iris-predictor-00001', latestRevision: true, percent: 100 }]);
  assert.deepEqual(out.status.modelStatus, { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' }, copies: { failedCopies: 0, totalCopies: 1 } });
  const revs = predictor(out).revisions as Record<string, { digest?: string }>;
  assert.equal(revs['iris-predictor-00001']!.digest, 'sha256:abc');
  assert.equal(out.becameReady, 'iris-predictor-00001');
});

test('reconciling an unchanged world changes nothing, transition times included', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  const again = pass(obj, d).out;
  assert.deepEqual(again.status, obj.status);
  assert.equal(again.becameReady, undefined);
});

test('metadata and canaryTrafficPercent changes keep the revision; a predictor spec change makes the next one', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  const relabelled = { ...isvc(onnx('pvc://models/iris-v1/', { canaryTrafficPercent: 10 }), { generation: 2, labels: { team: 'a' } }), status: obj.status };
  let r = pass(relabelled, d);
  assert.equal(predictor(r.out).latestCreatedRevision, 'iris-predictor-00001');
  assert.equal(r.out.status.observedGeneration, 2);
  r = pass({ ...isvc(onnx('pvc://models/iris-v2/'), { generation: 3 }), status: r.obj.status }, d);
  assert.equal(predictor(r.out).latestCreatedRevision, 'iris-predictor-00002');
  r = pass({ ...isvc(onnx('pvc://models/iris-v2/', { minReplicas: 2 }), { generation: 4 }), status: r.obj.status }, d);
  assert.equal(predictor(r.out).latestCreatedRevision, 'iris-predictor-00003', 'scaling bounds are part of the template, as Knative annotations are');
  assert.equal(predictor(r.out).revisionCounter, 3);
});

test('the previous revision keeps serving until the new one is ready, then stays warm as the rollback target', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  let r = pass({ ...isvc(onnx('pvc://models/iris-v2/'), { generation: 2 }), status: obj.status }, d);
  assert.deepEqual(r.out.ensure.map((e) => e.template.revision).sort(), ['iris-predictor-00001', 'iris-predictor-00002']);
  assert.deepEqual(r.out.stop, []);
  assert.equal(predictor(r.out).latestReadyRevision, 'iris-predictor-00001');
  d.set('iris-predictor-00002', 'loading');
  r = pass(r.obj, d);
  assert.equal(cond(r.out, 'PredictorReady').status, 'Unknown');
  assert.match(cond(r.out, 'PredictorReady').message!, /Revision "iris-predictor-00002" is not ready yet: 0\/1 replicas ready; .*Revision "iris-predictor-00001" \(100%\) keeps serving\./);
  assert.equal((r.out.status.modelStatus as { transitionStatus: string }).transitionStatus, 'InProgress');
  d.set('iris-predictor-00002', 'ready');
  r = pass(r.obj, d);
  assert.equal(predictor(r.out).latestReadyRevision, 'iris-predictor-00002');
  assert.equal(predictor(r.out).latestRolledoutRevision, 'iris-predictor-00002');
  assert.equal(predictor(r.out).previousRolledoutRevision, 'iris-predictor-00001');
  assert.deepEqual(predictor(r.out).traffic, [{ revisionName: 'iris-predictor-00002', latestRevision: true, percent: 100 }]);
  assert.deepEqual(r.out.stop, []);
  assert.deepEqual(r.out.ensure.map((e) => e.template.revision).sort(), ['iris-predictor-00001', 'iris-predictor-00002']);
  assert.equal(cond(r.out, 'Ready').status, 'True');
  // A third revision, once rolled out, retires the first: only the rollback target stays warm.
  r = pass({ ...isvc(onnx('pvc://models/iris-v3/'), { generation: 3 }), status: r.obj.status }, d);
  d.set('iris-predictor-00003', 'ready');
  r = pass(r.obj, d);
  assert.deepEqual(r.out.stop, ['iris-predictor-00001']);
  assert.deepEqual(Object.keys(predictor(r.out).revisions as object).sort(), ['iris-predictor-00002', 'iris-predictor-00003']);
});

test('a failed revision names the revisions that carry the traffic, not a ready one left at 0 % by a rollback', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  // v2 came up as a canary at 0 % (a plan that rolled back): ready, but v1 keeps everything.
  let r = pass({ ...isvc(onnx('pvc://models/iris-v2/', { canaryTrafficPercent: 0 }), { generation: 2 }), status: obj.status }, d);
  d.set('iris-predictor-00002', 'ready');
  r = pass(r.obj, d);
  assert.equal(predictor(r.out).latestReadyRevision, 'iris-predictor-00002');
  // v3 never loads.
  r = pass({ ...isvc(onnx('pvc://models/broken/', { canaryTrafficPercent: 0 }), { generation: 3 }), status: r.obj.status }, d);
  d.set('iris-predictor-00003', 'init-failed-again');
  r = pass(r.obj, d);
  const message = cond(r.out, 'PredictorReady').message!;
  assert.match(message, /Revision "iris-predictor-00001" \(100%\) keeps serving\.$/);
  assert.doesNotMatch(message, /iris-predictor-00002/);
});

test('keep-warm: a revision with no traffic may scale to zero only after its keep-warm time, and is looked at again then', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  let r = pass({ ...isvc(onnx('pvc://models/iris-v2/'), { generation: 2 }), status: obj.status }, d);
  d.set('iris-predictor-00002', 'ready');
  r = pass(r.obj, d);
  assert.equal(predictor(r.out).previousRolledoutRevision, 'iris-predictor-00001');
  const asked: Array<[string, boolean]> = [];
  const run = (o: KubeObject, until: Record<string, string>) => {
    clock += 1000;
    const withAnn = { ...o, metadata: { ...o.metadata, annotations: { 'switchyard.dev/keep-warm-until': JSON.stringify(until) } } };
    asked.length = 0;
    return reconcile({ isvc: withAnn, runtimes: [ONNX], deployer: d, now: new Date(clock), replicas: (t, x) => (asked.push([t.revision, x?.coldAllowed === true]), 1) });
  };
  // The previous revision (no traffic) before its time: warm, and a requeue for the moment it ends.
  let out = run(r.obj, { 'iris-predictor-00001': new Date(clock + 60_000).toISOString() });
  assert.deepEqual(asked.filter(([rev]) => rev === 'iris-predictor-00001').map(([, c]) => c), [false]);
  assert.ok(out.requeueAfterMs! > 58_000 && out.requeueAfterMs! <= 60_000, String(out.requeueAfterMs));
  // After it: it may go cold; the serving revision never, whatever the annotation says.
  out = run(r.obj, { 'iris-predictor-00001': new Date(clock - 1).toISOString(), 'iris-predictor-00002': new Date(clock - 1).toISOString() });
  assert.deepEqual(Object.fromEntries(asked.filter(([rev]) => rev !== undefined)), { 'iris-predictor-00001': true, 'iris-predictor-00002': false });
  assert.equal(out.requeueAfterMs, undefined);
  // Rolled back to it (canaryTrafficPercent 0 after promotion): it carries traffic again, so it is warm.
  const back = { ...r.obj, spec: { predictor: onnx('pvc://models/iris-v2/', { canaryTrafficPercent: 0 }) } };
  const settled = run({ ...back, status: run(back, {}).status }, {}); // rollback after promotion settles in two passes
  out = run({ ...back, status: settled.status }, { 'iris-predictor-00001': new Date(clock - 1).toISOString() });
  assert.ok((predictor(out).traffic as Array<{ revisionName: string; percent: number }>).some((t) => t.revisionName === 'iris-predictor-00001' && t.percent === 100));
  assert.deepEqual(asked.filter(([rev]) => rev === 'iris-predictor-00001').map(([, c]) => c), [false]);
});

test('a crash-looping new revision blocks the rollout with a message naming the pod; the old one keeps serving', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  let r = pass({ ...isvc(onnx('pvc://models/broken/'), { generation: 2 }), status: obj.status }, d);
  d.set('iris-predictor-00002', 'crash');
  r = pass(r.obj, d);
  const pr = cond(r.out, 'PredictorReady');
  assert.equal(pr.status, 'False');
  assert.equal(pr.reason, 'ModelLoadFailed');
  assert.match(pr.message!, /iris-predictor-00002-deployment-abc-0: CrashLoopBackOff \(exit code 1, 2 restarts\)/);
  assert.match(pr.message!, /Revision "iris-predictor-00001" \(100%\) keeps serving/);
  assert.equal(cond(r.out, 'Ready').status, 'False');
  const ms = r.out.status.modelStatus as { transitionStatus: string; states: Record<string, string>; lastFailureInfo: Record<string, unknown> };
  assert.equal(ms.transitionStatus, 'BlockedByFailedLoad');
  assert.deepEqual(ms.states, { activeModelState: 'Loaded', targetModelState: 'FailedToLoad' });
  assert.equal(ms.lastFailureInfo.modelRevisionName, 'iris-predictor-00002');
  assert.equal(ms.lastFailureInfo.exitCode, 1);
  assert.match(String(ms.lastFailureInfo.message), /kubectl logs iris-predictor-00002-deployment-abc-0 -n ml/);
  assert.ok(r.out.ensure.some((e) => e.template.revision === 'iris-predictor-00001'));
});

test('a previous revision that carries traffic and whose pods fail makes the predictor not ready, naming it', () => {
  const d = new FakeDeployer();
  const obj = v1Ready(d);
  let r = pass({ ...isvc(onnx('pvc://models/iris-v2/', { canaryTrafficPercent: 10 }), { generation: 2 }), status: obj.status }, d);
  d.set('iris-predictor-00002', 'ready');
  r = pass(r.obj, d);
  assert.equal(cond(r.out, 'Ready').status, 'True');
  // The server restarted and the 90 % revision's storage is gone: its pods cannot start again.
  d.set('iris-predictor-00001', 'init-failed');
  r = pass(r.obj, d);
  for (const type of ['PredictorReady', 'RoutesReady', 'Ready']) assert.equal(cond(r.out, type).status, 'False', type);
  assert.equal(cond(r.out, 'PredictorReady').reason, 'RevisionFailed');
  assert.match(cond(r.out, 'PredictorReady').message!, /^Revision "iris-predictor-00001" carries 90% of the traffic and cannot serve it: 0\/1 replicas ready; pod iris-predictor-00001-deployment-abc-0: storage-initializer failed/);
  d.set('iris-predictor-00001', 'ready');
  r = pass(r.obj, d);
  assert.equal(cond(r.out, 'Ready').status, 'True');
});

test('a storage initializer failure is FailedToLoad with the storage message; each failed retry is a new failure', () => {
  const d = new FakeDeployer();
  let { obj } = pass(isvc(onnx('pvc://models/x/')), d);
  d.set('iris-predictor-00001', 'init-failed');
  const first = pass(obj, d);
  assert.equal(cond(first.out, 'PredictorReady').status, 'False');
  assert.match(cond(first.out, 'PredictorReady').message!, /storage-initializer failed: storageUri "pvc:\/\/models\/x\/": not found/);
  const failedAt = () => ((obj.status as { modelStatus: { lastFailureInfo: { time: string } } }).modelStatus.lastFailureInfo.time);
  obj = first.obj;
  const firstTime = failedAt();
  clock += 5000;
  obj = pass(obj, d).obj;
  assert.equal(failedAt(), firstTime, 'the same failure keeps its time');
  // The storage-initializer ran again (kubelet's backoff) and failed again: a later failure, counted in its message.
  d.set('iris-predictor-00001', 'init-failed-again');
  const again = pass(obj, d);
  obj = again.obj;
  assert.match(cond(again.out, 'PredictorReady').message!, /storage-initializer failed \(1 restart\): storageUri/);
  assert.ok(Date.parse(failedAt()) > Date.parse(firstTime), `${failedAt()} after ${firstTime}`);
});

test('a model format no runtime supports: not ready, NoSupportingRuntime, nothing started', () => {
  const d = new FakeDeployer();
  const { out } = pass(isvc({ model: { modelFormat: { name: 'xgboost' }, storageUri: 'pvc://models/x/' } }), d);
  assert.deepEqual(out.ensure, []);
  const pr = cond(out, 'PredictorReady');
  assert.equal(pr.status, 'False');
  assert.equal(pr.reason, 'NoSupportingRuntime');
  assert.match(pr.message!, /No ServingRuntime supports the model format "xgboost"/);
  assert.match(pr.message!, /switchyard-onnx \(ClusterServingRuntime: onnx\/1/);
  assert.equal(cond(out, 'Ready').status, 'False');
  assert.equal(cond(out, 'Ready').reason, 'NoSupportingRuntime');
  assert.equal((out.status.modelStatus as { transitionStatus: string }).transitionStatus, 'InvalidSpec');
  assert.equal(predictor(out).latestCreatedRevision, undefined);
});

test('transition times move only when a condition changes', () => {
  const d = new FakeDeployer();
  const first = pass(isvc(onnx('pvc://models/iris-v1/')), d);
  const second = pass(first.obj, d);
  assert.equal(cond(second.out, 'IngressReady').lastTransitionTime, cond(first.out, 'IngressReady').lastTransitionTime);
  d.set('iris-predictor-00001', 'ready');
  const third = pass(second.obj, d);
  assert.notEqual(cond(third.out, 'Ready').lastTransitionTime, cond(second.out, 'Ready').lastTransitionTime);
  assert.equal(cond(third.out, 'IngressReady').lastTransitionTime, cond(first.out, 'IngressReady').lastTransitionTime);
});

test('a user ServingRuntime runs its own command with the placeholders, env and a V1 readiness path', () => {
  const custom: RuntimeCandidate = {
    kind: 'ServingRuntime', name: 'echo',
    spec: { supportedModelFormats: [{ name: 'custom', autoSelect: true }], multiModel: false, disabled: false, containers: [{ command: ['python3', 'serve.py'], args: ['--name={{.Name}}', '--dir={{.ModelDir}}'], env: [{ name: 'MODEL', value: '{{.Name}}' }, { name: 'A', value: '1' }] }] },
  };
  const d = new FakeDeployer();
  const { out } = pass(isvc({ model: { modelFormat: { name: 'custom' }, storageUri: 'pvc://m/', env: [{ name: 'A', value: '2' }] } }), d, [ONNX, custom]);
  const t = out.ensure[0]!.template;
  assert.deepEqual(t.runtime, { kind: 'ServingRuntime', name: 'echo' });
  assert.deepEqual(t.command, ['python3', 'serve.py', '--name=iris', '--dir={{.ModelDir}}']);
  assert.deepEqual(t.env, { MODEL: 'iris', A: '2' });
  assert.equal(t.readinessPath, '/v1/models/iris');
});

test('desiredReplicas is minReplicas, at least one until scale to zero exists', () => {
  assert.equal(desiredReplicas({ scaling: { minReplicas: 3 } }), 3);
  assert.equal(desiredReplicas({ scaling: { minReplicas: 0 } }), 1);
  const d = new FakeDeployer();
  const { out } = pass(isvc(onnx('pvc://models/iris-v1/', { minReplicas: 2 })), d);
  assert.equal(out.ensure[0]!.replicas, 2);
});

test('status.deploymentMode is the mode the revisions run in, with KServe names: Knative by default, legacy annotation names read as the current ones', () => {
  const modeOf = (annotation?: string) => {
    const obj = isvc(onnx('pvc://models/iris-v1/'));
    if (annotation !== undefined) obj.metadata.annotations = { 'serving.kserve.io/deploymentMode': annotation };
    return pass(obj, new FakeDeployer()).out.status.deploymentMode;
  };
  assert.equal(modeOf(), 'Knative');
  assert.equal(modeOf('Knative'), 'Knative');
  assert.equal(modeOf('Serverless'), 'Knative');
  assert.equal(modeOf('Standard'), 'Standard');
  assert.equal(modeOf('RawDeployment'), 'Standard');
});
