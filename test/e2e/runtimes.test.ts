// The Python runtimes end to end against `switchyard up`: scikit-learn,
// XGBoost and LightGBM models trained in Python, served from s3:// (moto, with
// authentication) by KServe's servers (V1 and V2) and by MLServer (V2), each
// answering exactly what the same model answers in-process; a custom
// kserve.Model predictor; a canary from an sklearn revision to an ONNX one
// promoted by a TrafficPlan; and a wrong Secret named in the condition.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiFetch, kubectl, removeDir, ROOT, startUp, until, type Up } from './harness.ts';
import { startLoad } from './load.ts';
import { labPythonOrSkip, labVenv, sharedRuntimesDir, startMoto, type Moto } from '../runtime/python-helpers.ts';

process.env.SWITCHYARD_RUNTIMES_DIR ||= sharedRuntimesDir();

const K = '1.33';
const NS = 'models';
const ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3], [5.9, 3.0, 5.1, 1.8]];
const FORMATS = { sklearn: 'kserve-sklearnserver', xgboost: 'kserve-xgbserver', lightgbm: 'kserve-lgbserver' } as const;
type Format = keyof typeof FORMATS;
type Json = Record<string, unknown>;

function isvc(name: string, model: Json, annotations?: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
    spec: { predictor: { model } },
  });
}

function secret(name: string, endpoint: string, key: string, secretKey: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name, namespace: NS, annotations: { 'serving.kserve.io/s3-endpoint': endpoint.replace('http://', ''), 'serving.kserve.io/s3-usehttps': '0', 'serving.kserve.io/s3-region': 'us-east-1' } },
    stringData: { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secretKey },
  });
}

describe('Python runtimes end to end', { concurrency: false }, () => {
  let up: Up | undefined;
  let moto: Moto | undefined;
  let models = '';
  let reference: Record<Format, unknown[]>;

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(K, up!, args, { ...(input === undefined ? {} : { input }), timeoutMs: 400_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${up!.output().slice(-3000)}`);
    return r.stdout;
  };
  const ready = (...names: string[]) => ok(['wait', '--for=condition=Ready', '-n', NS, ...names.map((n) => `isvc/${n}`), '--timeout=300s']);
  const predictor = async (name: string) => JSON.parse(await ok(['get', 'isvc', name, '-n', NS, '-o', 'json'])) as { spec: Json; status: { conditions: Json[]; components: { predictor: Json & { revisions: Record<string, { template: { runtime: { name: string } } }> } } } };
  const post = async (name: string, path: string, body: unknown) => {
    const res = await fetch(`${up!.gatewayUrl}${path}`, { method: 'POST', headers: { host: `${name}.${NS}.example.com`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 200, `${name} ${path}: ${text}`);
    return JSON.parse(text) as Json;
  };
  const v1 = (name: string) => post(name, `/v1/models/${name}:predict`, { instances: ROWS });
  const v2 = (name: string) => post(name, `/v2/models/${name}/infer`, { inputs: [{ name: 'input-0', shape: [ROWS.length, 4], datatype: 'FP64', data: ROWS.flat() }] });
  const lab = (t: TestContext) => (up ? true : (labPythonOrSkip(t), false));

  before(async () => {
    const venv = labVenv();
    if (!('dir' in venv)) return; // each test skips (locally) or fails (CI) with the reason
    const python = join(venv.dir, 'bin', 'python');
    models = mkdtempSync(join(tmpdir(), 'sy-models-'));
    reference = JSON.parse(execFileSync(python, [join(ROOT, 'test/e2e/fixtures/train_formats.py'), models, JSON.stringify(ROWS)], { encoding: 'utf8' })) as Record<Format, unknown[]>;
    moto = await startMoto(python);
    moto.python(`s3.create_bucket(Bucket="models")\nfor fmt, f in [("sklearn", "model.joblib"), ("xgboost", "model.bst"), ("lightgbm", "model.bst")]:\n    s3.upload_file(os.path.join(${JSON.stringify(models)}, fmt, f), "models", f"{fmt}/{f}")`);
    up = await startUp();
    await ok(['create', 'namespace', NS]);
    await ok(['apply', '-f', '-'], secret('s3creds', moto.endpoint, moto.accessKeyId, moto.secretAccessKey));
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NS }, secrets: [{ name: 's3creds' }] }));
  });

  after(async () => {
    await up?.stop();
    await moto?.stop();
    if (up) removeDir(up.dataDir);
    if (models) removeDir(models);
  });

  test('sklearn, xgboost and lightgbm from s3:// answer V1 and V2 on KServe\'s servers and V2 on MLServer exactly as in-process Python', { timeout: 600_000 }, async (t) => {
    if (!lab(t)) return;
    for (const fmt of Object.keys(FORMATS) as Format[]) {
      await ok(['apply', '-f', '-'], isvc(fmt, { modelFormat: { name: fmt }, storageUri: `s3://models/${fmt}/` }));
      await ok(['apply', '-f', '-'], isvc(`${fmt}-mlserver`, { modelFormat: { name: fmt }, protocolVersion: 'v2', storageUri: `s3://models/${fmt}/` }));
    }
    await ready(...Object.keys(FORMATS).flatMap((f) => [f, `${f}-mlserver`]));
    for (const [fmt, runtime] of Object.entries(FORMATS) as [Format, string][]) {
      const revs = (await predictor(fmt)).status.components.predictor.revisions;
      assert.equal(Object.values(revs)[0]!.template.runtime.name, runtime, `${fmt}: protocol v1 picks KServe's own server`);
      const mlRevs = (await predictor(`${fmt}-mlserver`)).status.components.predictor.revisions;
      assert.equal(Object.values(mlRevs)[0]!.template.runtime.name, 'kserve-mlserver', `${fmt}: protocol v2 picks MLServer (priority 2)`);

      assert.deepEqual((await v1(fmt)).predictions, reference[fmt], `${fmt} V1 on ${runtime}`);
      const flat = (reference[fmt] as unknown[]).flat();
      const kserveOut = ((await v2(fmt)).outputs as { data: unknown[] }[])[0]!;
      assert.deepEqual(kserveOut.data, flat, `${fmt} V2 on ${runtime}`);
      const mlOut = ((await v2(`${fmt}-mlserver`)).outputs as { data: unknown[]; shape: number[] }[])[0]!;
      assert.deepEqual(mlOut.data, flat, `${fmt} V2 on MLServer`);
      assert.equal(mlOut.shape[0], ROWS.length);
    }
  });

  test('a custom kserve.Model predictor runs with KServe\'s arguments and serves V1 and V2', { timeout: 300_000 }, async (t) => {
    if (!lab(t)) return;
    await ok(['apply', '-f', '-'], isvc('species', {
      modelFormat: { name: 'custom' },
      args: [join(ROOT, 'test/e2e/fixtures/custom_predictor.py'), '--model_dir', '{{.ModelDir}}'],
      storageUri: 's3://models/sklearn/',
    }));
    await ready('species');
    const species = ['setosa', 'versicolor', 'virginica'];
    const expected = (reference.sklearn as number[]).map((c) => species[c]);
    assert.deepEqual((await v1('species')).predictions, expected);
    const out = ((await v2('species')).outputs as { datatype: string; data: unknown[] }[])[0]!;
    assert.equal(out.datatype, 'BYTES');
    assert.deepEqual(out.data, expected);
    const rev = Object.values((await predictor('species')).status.components.predictor.revisions)[0] as unknown as { template: { runtime: { name: string }; command: string[] } };
    assert.equal(rev.template.runtime.name, 'switchyard-python');
    assert.deepEqual(rev.template.command.slice(-6), ['--model_name', 'species', '--http_port', '{{.Port}}', '--enable_grpc', 'false']);
  });

  test('a TrafficPlan promotes an ONNX revision over the sklearn one it canaries against', { timeout: 300_000 }, async (t) => {
    if (!lab(t)) return;
    await ok(['apply', '-f', '-'], isvc('iris', { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/sklearn/' }));
    await ready('iris');
    // The ONNX revision is deployed, not exposed: canaryTrafficPercent 0 keeps every request on sklearn.
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: NS },
      spec: { predictor: { canaryTrafficPercent: 0, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } },
    }));
    await until('the ONNX revision to be ready', async () => ((await predictor('iris')).status.components.predictor.latestReadyRevision === 'iris-predictor-00002' ? true : undefined), 120_000);
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-onnx', namespace: NS },
      spec: {
        target: { inferenceService: 'iris' }, candidate: { revision: 'iris-predictor-00002' }, owner: { team: 'ml-platform', canHalt: ['sre'] },
        phases: [{ canary: { steps: [50, 100], hold: { minRequests: 40, passingWindows: 1 } } }],
        gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'latencyP99Ms', max: 2000 }, { metric: 'outputPSI', max: 0.2 }],
        window: '2s', maxDuration: '10m', rollback: { onGateFailure: true, keepWarm: '1h' },
      },
    }));
    const load = startLoad(up!, `iris.${NS}.example.com`, { concurrency: 4 });
    try {
      await until('the plan to promote', async () => {
        const res = await apiFetch(up!, `/apis/switchyard.dev/v1alpha1/namespaces/${NS}/trafficplans/iris-onnx`);
        const phase = ((await res.json()) as { status?: { phase?: string } }).status?.phase;
        if (phase === 'RolledBack' || phase === 'Aborted') throw new Error(`plan ended ${phase}`);
        return phase === 'Promoted' ? true : undefined;
      }, 180_000);
    } finally {
      await load.stop();
    }
    const p = await predictor('iris');
    assert.equal((p.spec.predictor as Json).canaryTrafficPercent, undefined, 'promoted as by hand: the field is removed');
    assert.equal(p.status.components.predictor.latestRolledoutRevision, 'iris-predictor-00002');
    assert.equal(p.status.components.predictor.revisions['iris-predictor-00002']!.template.runtime.name, 'switchyard-onnx');
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'no request failed while traffic moved between the runtimes');
    assert.ok((load.seen.byRevision.get('iris-predictor-00001') ?? 0) > 0 && (load.seen.byRevision.get('iris-predictor-00002') ?? 0) > 0);
  });

  test('a wrong Secret leaves the InferenceService not Ready with the storage error, and nothing half-downloaded', { timeout: 180_000 }, async (t) => {
    if (!lab(t)) return;
    await ok(['apply', '-f', '-'], secret('wrongcreds', moto!.endpoint, moto!.accessKeyId, 'not-the-secret-key'));
    await ok(['apply', '-f', '-'], isvc('locked', { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/sklearn/' }, { 'serving.kserve.io/storageSecretName': 'wrongcreds' }));
    const cond = await until('PredictorReady to turn False', async () => {
      const c = (await predictor('locked')).status.conditions?.find((x) => x.type === 'PredictorReady');
      return c?.status === 'False' ? c : undefined;
    }, 120_000);
    assert.equal(cond.reason, 'ModelLoadFailed');
    assert.match(String(cond.message), /storageUri "s3:\/\/models\/sklearn\/": the object store refused listing .*SignatureDoesNotMatch.*Secret models\/wrongcreds/);
    const readyCond = (await predictor('locked')).status.conditions.find((x) => x.type === 'Ready')!;
    assert.equal(readyCond.status, 'False');
    assert.deepEqual(readdirSync(join(up!.dataDir, 'cache', 'tmp')), [], 'no partial download in the cache');
  });
});
