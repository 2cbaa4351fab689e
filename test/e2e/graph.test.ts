// InferenceGraphs with real kubectl and real ONNX models through the gateway:
// Sequence, Splitter, Ensemble and Switch (with KServe's no-match 404), the
// graph's status (url, Ready), and misconfigured graphs refused or not Ready.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { kubectl, removeDir, startUp, type Up } from './harness.ts';

const K = '1.33';
const ROW = [6.8, 2.8, 4.8, 1.4];

const isvc = (name: string, model: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
  metadata: { name, namespace: 'default' },
  spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: `pvc://models/${model}/` } } },
});

const ig = (name: string, nodes: unknown) => ({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph', metadata: { name, namespace: 'default' }, spec: { nodes } });
const list = (...items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('InferenceGraph through the gateway', { concurrency: false }, () => {
  let up: Up;
  const labels: Record<string, unknown> = {};
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(K, up, args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}\n${up.output().slice(-2000)}`);
    return r.stdout;
  };

  async function call(host: string, body: unknown = { instances: [ROW] }, path = '/'): Promise<{ status: number; body: any }> {
    const res = await request(`${up.gatewayUrl}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.statusCode, body: await res.body.json() };
  }

  before(async () => {
    up = await startUp();
    await ok(['apply', '-f', '-'], list(isvc('setosa', 'const-setosa'), isvc('versicolor', 'const-versicolor'), isvc('iris', 'iris-v1')));
    await ok(['wait', '--for=condition=Ready', 'isvc/setosa', 'isvc/versicolor', 'isvc/iris', '--timeout=50s']);
    for (const name of ['setosa', 'versicolor', 'iris']) {
      const r = await call(`${name}.default.example.com`, { instances: [ROW] }, `/v1/models/${name}:predict`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      labels[name] = r.body.predictions[0];
    }
    assert.notDeepEqual(labels.setosa, labels.versicolor, 'the two constant models must differ for the graph checks to mean anything');
    await ok(['apply', '-f', '-'], list(
      ig('seq', { root: { routerType: 'Sequence', steps: [{ serviceName: 'setosa' }, { serviceName: 'versicolor', dependency: 'Hard' }] } }),
      ig('split', { root: { routerType: 'Splitter', steps: [{ serviceName: 'setosa', weight: 50 }, { serviceName: 'versicolor', weight: 50 }] } }),
      ig('ens', { root: { routerType: 'Ensemble', steps: [{ name: 'a', serviceName: 'setosa' }, { name: 'b', serviceName: 'versicolor' }, { name: 'model', nodeName: 'model' }] },
        model: { routerType: 'Sequence', steps: [{ serviceName: 'iris' }] } }),
      ig('sw', { root: { routerType: 'Switch', steps: [
        { serviceName: 'setosa', condition: 'instances.0.2 < 2' },
        { serviceName: 'versicolor', condition: 'instances.0.2 >= 4' },
      ] } }),
    ));
    await ok(['wait', '--for=condition=Ready', 'ig/seq', 'ig/split', 'ig/ens', 'ig/sw', '--timeout=20s']);
  });

  after(async () => {
    if (!up) return;
    await up.stop();
    removeDir(up.dataDir);
  });

  test('status.url is KServe\'s graph URL', async () => {
    assert.equal(await ok(['get', 'ig', 'seq', '-o', 'jsonpath={.status.url}']), 'http://seq.default.example.com');
  });

  test('Sequence answers with the last step', async () => {
    const r = await call('seq.default.example.com');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.predictions, [labels.versicolor]);
  });

  test('Splitter sends requests to both services', async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 30; i++) {
      const r = await call('split.default.example.com');
      assert.equal(r.status, 200);
      seen.add(r.body.predictions[0]);
    }
    // P(one side never chosen in 30 draws at 50/50) = 2^-29.
    assert.deepEqual([...seen].sort(), [labels.setosa, labels.versicolor].sort());
  });

  test('Ensemble merges outputs keyed by step name, nested nodes included', async () => {
    const r = await call('ens.default.example.com');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { a: { predictions: [labels.setosa] }, b: { predictions: [labels.versicolor] }, model: { predictions: [labels.iris] } });
  });

  test('Switch routes on the request body; no match is 404 as KServe', async () => {
    assert.deepEqual((await call('sw.default.example.com', { instances: [[5.1, 3.5, 1.4, 0.2]] })).body.predictions, [labels.setosa]);
    assert.deepEqual((await call('sw.default.example.com', { instances: [ROW] })).body.predictions, [labels.versicolor]);
    const none = await call('sw.default.example.com', { instances: [[5.9, 3.0, 3.0, 1.0]] });
    assert.equal(none.status, 404);
    assert.deepEqual(none.body, { error: 'Failed to process request', cause: 'None of the routes matched with the switch condition' });
  });

  test('misconfigured graphs: bad Splitter weights are refused; a graph naming a missing service is not Ready', async () => {
    const bad = await kubectl(K, up, ['apply', '-f', '-'], { input: JSON.stringify(ig('badsplit', { root: { routerType: 'Splitter', steps: [{ serviceName: 'setosa', weight: 60 }, { serviceName: 'versicolor', weight: 60 }] } })) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /weights must sum to 100/);
    const ghost = await kubectl(K, up, ['apply', '-f', '-'], { input: JSON.stringify(ig('ghost', { root: { routerType: 'Sequence', steps: [{ serviceName: 'nosuch' }] } })) });
    if (ghost.code !== 0) {
      // Apply-time admission (src/server/apiserver/admission.ts) is wired: the field path is named.
      assert.match(ghost.stderr, /spec\.nodes\.root\.steps\[0\]\.serviceName/);
      return;
    }
    const end = Date.now() + 10_000;
    let reason = '';
    while (Date.now() < end && reason === '') {
      reason = await ok(['get', 'ig', 'ghost', '-o', "jsonpath={.status.conditions[?(@.type=='Ready')].reason}"]);
      if (reason === '') await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(reason, 'ServiceNotFound');
  });
});
