// Transformer and explainer components: their own revisions and traffic,
// KServe's wiring to the predictor, and rolling out with the predictor as
// one revision set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile, type ReconcileOutput, type RevisionObservation, type RuntimeCandidate } from '../../src/controllers/isvc/index.ts';
import { podObject } from '../../src/runtime/supervisor/index.ts';
import type { KubeObject } from '../../src/store/types.ts';

const ONNX: RuntimeCandidate = {
  kind: 'ClusterServingRuntime', name: 'switchyard-onnx',
  spec: {
    supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true }], protocolVersions: ['v1', 'v2'], multiModel: false, disabled: false,
    containers: [{ command: ['node', 'model-server'], args: ['--model-dir', '{{.ModelDir}}', '--name', '{{.Name}}', '--port', '{{.Port}}'] }],
  },
};

function isvc(uri: string, transformerArgs: string[] | undefined, generation: number, explainer = false): KubeObject {
  return {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'ml', generation },
    spec: {
      predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: uri } },
      ...(transformerArgs ? { transformer: { containers: [{ name: 'kserve-container', command: ['python3', 'transformer.py'], args: transformerArgs }] } } : {}),
      ...(explainer ? { explainer: { containers: [{ name: 'kserve-container', command: ['python3', 'explainer.py'] }] } } : {}),
    },
  };
}

class Deployer {
  readonly ready = new Set<string>();
  readonly runningRevs = new Set<string>();
  observe(_ns: string, rev: string): RevisionObservation | undefined {
    if (!this.runningRevs.has(rev)) return undefined;
    const t = '2026-01-01T00:00:00Z';
    return { pods: [podObject({ podName: `${rev}-p`, namespace: 'ml', uid: 'u', labels: {}, createdAt: t, nodeName: 'n', command: ['x'], port: 1, hasInit: false, initDone: true, running: true, ready: this.ready.has(rev), readySince: t, restartCount: 0, startedAt: t })] };
  }
  running(): string[] { return [...this.runningRevs]; }
  apply(out: ReconcileOutput): void {
    for (const r of out.stop) this.runningRevs.delete(r);
    for (const e of out.ensure) this.runningRevs.add(e.template.revision);
  }
}

let clock = Date.parse('2026-03-01T10:00:00Z');
function step(obj: KubeObject, d: Deployer): { obj: KubeObject; out: ReconcileOutput } {
  clock += 1000;
  const out = reconcile({ isvc: obj, runtimes: [ONNX], deployer: d, now: new Date(clock), predictorHost: (ns, n) => `127.0.0.1:8080/predictor/${ns}/${n}` });
  d.apply(out);
  return { obj: { ...obj, status: out.status }, out };
}
const comp = (out: ReconcileOutput, c: string) => (out.status.components as Record<string, Record<string, unknown>>)[c]!;
const cond = (out: ReconcileOutput, type: string) => (out.status.conditions as { type: string; status: string; message?: string }[]).find((c) => c.type === type)!;

test('a transformer runs as its own revision, wired to the predictor as KServe wires it', () => {
  const d = new Deployer();
  let r = step(isvc('pvc://m/v1/', ['--feast', 'x'], 1), d);
  const t = r.out.ensure.find((e) => e.template.component === 'transformer')!.template;
  assert.equal(t.revision, 'iris-transformer-00001');
  assert.deepEqual(t.command, ['python3', 'transformer.py', '--feast', 'x', '--model_name', 'iris', '--predictor_host', '127.0.0.1:8080/predictor/ml/iris', '--http_port', '{{.Port}}']);
  assert.equal(t.env.PREDICTOR_HOST, '127.0.0.1:8080/predictor/ml/iris');
  assert.equal(cond(r.out, 'TransformerReady').status, 'Unknown');
  d.ready.add('iris-predictor-00001');
  d.ready.add('iris-transformer-00001');
  r = step(r.obj, d);
  assert.equal(cond(r.out, 'TransformerReady').status, 'True');
  assert.equal(cond(r.out, 'Ready').status, 'True');
  assert.deepEqual(comp(r.out, 'transformer').traffic, [{ revisionName: 'iris-transformer-00001', latestRevision: true, percent: 100 }]);
  assert.equal(comp(r.out, 'transformer').url, 'http://iris-transformer.ml.example.com');
});

test('transformer and predictor changed together roll out together', () => {
  const d = new Deployer();
  let r = step(isvc('pvc://m/v1/', ['--v', '1'], 1), d);
  d.ready.add('iris-predictor-00001');
  d.ready.add('iris-transformer-00001');
  r = step(r.obj, d);
  r = step({ ...isvc('pvc://m/v2/', ['--v', '2'], 2), status: r.obj.status }, d);
  d.ready.add('iris-predictor-00002'); // the new predictor is ready first
  r = step(r.obj, d);
  assert.equal(comp(r.out, 'predictor').latestReadyRevision, 'iris-predictor-00001', 'waits for the transformer of its set');
  assert.match(cond(r.out, 'PredictorReady').message ?? '', /waits for the other components changed with it/);
  d.ready.add('iris-transformer-00002');
  r = step(r.obj, d);
  assert.equal(comp(r.out, 'predictor').latestReadyRevision, 'iris-predictor-00002');
  assert.equal(comp(r.out, 'transformer').latestReadyRevision, 'iris-transformer-00002');
  assert.equal(cond(r.out, 'Ready').status, 'True');
});

test('a change to one component alone rolls out alone', () => {
  const d = new Deployer();
  let r = step(isvc('pvc://m/v1/', ['--v', '1'], 1), d);
  d.ready.add('iris-predictor-00001');
  d.ready.add('iris-transformer-00001');
  r = step(r.obj, d);
  r = step({ ...isvc('pvc://m/v2/', ['--v', '1'], 2), status: r.obj.status }, d);
  d.ready.add('iris-predictor-00002');
  r = step(r.obj, d);
  assert.equal(comp(r.out, 'predictor').latestReadyRevision, 'iris-predictor-00002');
  assert.equal(comp(r.out, 'transformer').latestCreatedRevision, 'iris-transformer-00001');
});

test('an explainer gets its own revision; removing a component stops it', () => {
  const d = new Deployer();
  let r = step(isvc('pvc://m/v1/', undefined, 1, true), d);
  assert.ok(r.out.ensure.some((e) => e.template.revision === 'iris-explainer-00001'));
  d.ready.add('iris-predictor-00001');
  d.ready.add('iris-explainer-00001');
  r = step(r.obj, d);
  assert.equal(cond(r.out, 'ExplainerReady').status, 'True');
  r = step({ ...isvc('pvc://m/v1/', undefined, 2, false), status: r.obj.status }, d);
  assert.deepEqual(r.out.stop, ['iris-explainer-00001']);
  assert.equal((r.out.status.components as Record<string, unknown>).explainer, undefined);
  assert.equal(cond(r.out, 'ExplainerReady'), undefined);
});

test('a transformer without a command is reported on its own condition', () => {
  const d = new Deployer();
  const obj = isvc('pvc://m/v1/', undefined, 1);
  (obj.spec as Record<string, unknown>).transformer = { containers: [{ name: 'kserve-container', image: 'kserve/image-transformer' }] };
  const r = step(obj, d);
  assert.equal(cond(r.out, 'TransformerReady').status, 'False');
  assert.match(cond(r.out, 'TransformerReady').message ?? '', /has no command/);
});
