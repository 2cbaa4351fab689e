// The seed's KServe canary story with real kubectl, real ONNX models and the
// gateway: v1 serving, v2 at 10 % (split within ±4σ), tag hosts, rollback
// with 0, promotion by removing the field, rollback after promotion, a
// never-ready candidate that receives nothing; and scale from zero with
// every buffered request answered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { kubectl, removeDir, startUp, type Up } from './harness.ts';

const K = '1.33';
const ROW = [6.8, 2.8, 4.8, 1.4]; // iris-v1 says versicolor (1); const-setosa always says 0

function isvc(storageUri: string, extra: { canary?: number; annotations?: Record<string, string>; minReplicas?: number } = {}, name = 'iris'): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name, namespace: 'default', annotations: extra.annotations ?? { 'serving.kserve.io/enable-tag-routing': 'true' } },
    spec: { predictor: {
      ...(extra.canary !== undefined ? { canaryTrafficPercent: extra.canary } : {}),
      ...(extra.minReplicas !== undefined ? { minReplicas: extra.minReplicas } : {}),
      model: { modelFormat: { name: 'onnx' }, storageUri },
    } },
  });
}

describe('KServe canary through the gateway', { concurrency: false }, () => {
  let up: Up;
  const k = (args: string[], input?: string) => kubectl(K, up, args, input === undefined ? {} : { input });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  async function predict(host: string, name = 'iris'): Promise<{ status: number; label?: number; revision?: string }> {
    const res = await request(`${up.gatewayUrl}/v1/models/${name}:predict`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify({ instances: [ROW] }) });
    const body = (await res.body.json()) as { predictions?: number[] };
    return { status: res.statusCode, label: body.predictions?.[0], revision: res.headers['x-switchyard-revision'] as string | undefined };
  }

  async function labels(n: number, host = 'iris.default.example.com'): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const r = await predict(host);
      assert.equal(r.status, 200);
      counts.set(r.label!, (counts.get(r.label!) ?? 0) + 1);
    }
    return counts;
  }

  async function status(): Promise<{ latestReadyRevision?: string; latestRolledoutRevision?: string; previousRolledoutRevision?: string; traffic?: { revisionName: string; percent: number; tag?: string }[] }> {
    return JSON.parse(await ok(['get', 'isvc', 'iris', '-o', 'jsonpath={.status.components.predictor}']));
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) {
        await new Promise((r) => setTimeout(r, 300)); // the gateway swaps in the table compiled from this status
        return v;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    up = await startUp();
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('v1 serves; v2 at 10 % splits within binomial bounds; tag hosts pin; the columns show it', async () => {
    await ok(['apply', '-f', '-'], isvc('pvc://models/iris-v1/'));
    await ok(['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s']);
    assert.deepEqual([...(await labels(20))], [[1, 20]]);

    await ok(['apply', '-f', '-'], isvc('pvc://models/const-setosa/', { canary: 10 }));
    await until('v2 ready', async () => ((await status()).latestReadyRevision === 'iris-predictor-00002' ? true : undefined));
    const n = 1500;
    const counts = await labels(n);
    const canary = counts.get(0) ?? 0;
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    assert.ok(Math.abs(canary - 0.1 * n) <= 4 * sigma, `canary got ${canary}/${n}; expected ${0.1 * n} ± ${(4 * sigma).toFixed(1)}`);
    assert.equal((counts.get(1) ?? 0) + canary, n);

    for (let i = 0; i < 10; i++) {
      assert.equal((await predict('latest-iris-predictor.default.example.com')).label, 0);
      assert.equal((await predict('prev-iris-predictor.default.example.com')).label, 1);
    }
    const table = await ok(['get', 'isvc', 'iris']);
    assert.match(table.split('\n')[1]!, /^iris\s+http:\/\/iris\.default\.example\.com\s+True\s+90\s+10\s+iris-predictor-00001\s+iris-predictor-00002\s/);
  });

  test('canaryTrafficPercent 0 pins all traffic to prev', async () => {
    await ok(['patch', 'isvc', 'iris', '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":0}}}']);
    await until('pinned', async () => ((await status()).traffic?.find((t) => t.tag === 'prev')?.percent === 100 ? true : undefined));
    assert.deepEqual([...(await labels(50))], [[1, 50]]);
  });

  test('removing the field promotes; 0 after promotion rolls back to the previous revision', async () => {
    await ok(['patch', 'isvc', 'iris', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/predictor/canaryTrafficPercent"}]']);
    const promoted = await until('promoted', async () => {
      const s = await status();
      return s.latestRolledoutRevision === 'iris-predictor-00002' ? s : undefined;
    });
    assert.equal(promoted.previousRolledoutRevision, 'iris-predictor-00001');
    assert.deepEqual([...(await labels(50))], [[0, 50]]);
    const pods = await ok(['get', 'pods', '-l', 'serving.knative.dev/revision=iris-predictor-00001', '-o', 'name']);
    assert.match(pods, /iris-predictor-00001/, 'the rollback target stays warm');

    await ok(['patch', 'isvc', 'iris', '--type', 'merge', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":0}}}']);
    await until('rolled back', async () => ((await status()).latestRolledoutRevision === 'iris-predictor-00001' ? true : undefined));
    assert.deepEqual([...(await labels(50))], [[1, 50]]);
  });

  test('a candidate that never becomes ready receives nothing', async () => {
    await ok(['apply', '-f', '-'], isvc('pvc://models/does-not-exist/', { canary: 50 }));
    await until('v3 created', async () => (JSON.parse(await ok(['get', 'isvc', 'iris', '-o', 'json'])).status.components.predictor.latestCreatedRevision === 'iris-predictor-00003' ? true : undefined));
    const counts = await labels(100);
    assert.equal((counts.get(0) ?? 0) + (counts.get(1) ?? 0), 100);
    for (let i = 0; i < 20; i++) assert.notEqual((await predict('iris.default.example.com')).revision, 'iris-predictor-00003');
    const ready = JSON.parse(await ok(['get', 'isvc', 'iris', '-o', 'jsonpath={.status.conditions[?(@.type=="PredictorReady")]}']));
    assert.equal(ready.status, 'False');
    assert.match(ready.message, /does-not-exist/);
  });

  test('the same InferenceService name in two namespaces: both run and each host reaches its own', async () => {
    await ok(['create', 'namespace', 'team-b']);
    const other = JSON.parse(isvc('pvc://models/const-virginica/'));
    other.metadata.namespace = 'team-b';
    await ok(['apply', '-f', '-'], JSON.stringify(other));
    await ok(['wait', '--for=condition=Ready', 'isvc/iris', '-n', 'team-b', '--timeout=60s']);
    const b = await predict('iris.team-b.example.com');
    assert.deepEqual([b.status, b.label, b.revision], [200, 2, 'iris-predictor-00001'], 'team-b answers with its own model');
    assert.equal((await predict('iris.default.example.com')).status, 200, 'default/iris keeps serving');
    assert.equal((await ok(['get', 'pods', '-n', 'team-b', '-l', 'serving.kserve.io/inferenceservice=iris', '-o', 'name'])).trim().split('\n').length, 1);
    await ok(['delete', 'isvc', 'iris', '-n', 'team-b']);
    assert.equal((await predict('iris.default.example.com')).status, 200, 'default/iris still serves after team-b is gone');
  });

  test('scale from zero: buffered requests all succeed once a replica is ready', async () => {
    await ok(['apply', '-f', '-'], isvc('pvc://models/iris-v1/', { minReplicas: 0, annotations: { 'autoscaling.knative.dev/initial-scale': '0' } }, 'cold'));
    await ok(['wait', '--for=condition=Ready', 'isvc/cold', '--timeout=60s']);
    assert.equal((await ok(['get', 'pods', '-l', 'serving.kserve.io/inferenceservice=cold', '-o', 'name'])).trim(), '', 'starts at zero');
    const answers = await Promise.all(Array.from({ length: 8 }, () => predict('cold.default.example.com', 'cold')));
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
    assert.deepEqual(answers.map((a) => a.label), Array(8).fill(1));
    assert.match(await ok(['get', 'pods', '-l', 'serving.kserve.io/inferenceservice=cold']), /1\/1\s+Running/);
  });
});
