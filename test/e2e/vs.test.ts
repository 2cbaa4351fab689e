// VirtualService routing end to end with real kubectl, real ONNX models and
// the gateway: a header cohort (x-tier: gold → v2) with a safe default route
// (→ v1) and a 100 % mirror to a third model whose answers are paired with the
// primary's in the prediction log; and a ServiceEntry destination that is a
// plain local HTTP server Switchyard does not run.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { apiFetch, kubectl, removeDir, startUp, until, type Up } from './harness.ts';

const K = '1.33';
const ROW = [6.8, 2.8, 4.8, 1.4]; // iris-v1 says 1; const-setosa says 0; const-virginica says 2

const isvc = (name: string, model: string) => ({
  apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
  metadata: { name, namespace: 'default' },
  spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: `pvc://models/${model}/` } } },
});

const virtualService = {
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
  metadata: { name: 'iris', namespace: 'default' },
  spec: {
    hosts: ['iris.default.example.com'],
    gateways: ['knative-serving/knative-ingress-gateway'],
    http: [
      { name: 'gold', match: [{ headers: { 'x-tier': { exact: 'gold' } } }], route: [{ destination: { host: 'iris-v2-predictor.default.svc.cluster.local' } }] },
      {
        name: 'default',
        route: [{ destination: { host: 'iris-v1-predictor.default.svc.cluster.local' } }],
        mirror: { host: 'iris-shadow-predictor.default.svc.cluster.local' },
        mirrorPercentage: { value: 100 },
      },
    ],
  },
};

describe('VirtualService routing through the gateway', { concurrency: false }, () => {
  let up: Up;
  let scorer: Server;
  const seenByScorer: string[] = [];
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(K, up, args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  async function predict(host: string, headers: Record<string, string> = {}) {
    const res = await request(`${up.gatewayUrl}/v1/models/iris:predict`, { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ instances: [ROW] }) });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  before(async () => {
    scorer = createServer((req, res) => {
      seenByScorer.push(`${req.method} ${req.url} ${req.headers.host}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"predictions":["external"]}');
      });
    });
    await new Promise<void>((r) => scorer.listen(0, '127.0.0.1', () => r()));
    up = await startUp();
  });
  after(async () => {
    await up.stop();
    scorer.close();
    removeDir(up.dataDir);
  });

  test('x-tier: gold goes to v2, everyone else to v1, and every default request is mirrored to the shadow', async () => {
    const items = [isvc('iris-v1', 'iris-v1'), isvc('iris-v2', 'const-setosa'), isvc('iris-shadow', 'const-virginica'), virtualService];
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    for (const n of ['iris-v1', 'iris-v2', 'iris-shadow']) await ok(['wait', '--for=condition=Ready', `isvc/${n}`, '--timeout=90s']);

    const gold = await until('the gold cohort routed', async () => {
      const r = await predict('iris.default.example.com', { 'x-tier': 'gold' });
      return r.status === 200 ? r : undefined;
    });
    assert.deepEqual(JSON.parse(gold.text).predictions, [0]);
    assert.equal(gold.headers['x-switchyard-revision'], 'iris-v2-predictor-00001');
    assert.equal(gold.headers['x-switchyard-route'], 'default/iris/gold');

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await predict('iris.default.example.com', { 'x-tier': i % 2 ? 'silver' : 'bronze' });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.text).predictions, [1], 'the default route answers from v1; the shadow never answers the client');
      assert.equal(r.headers['x-switchyard-revision'], 'iris-v1-predictor-00001');
      ids.push(r.headers['x-request-id'] as string);
    }

    // Every default-route request has a mirror row with the same request id, answered by the shadow.
    const pairs = await until('the mirror pairs in the prediction log', async () => {
      const res = await apiFetch(up, '/switchyard/v1/namespaces/default/predictions?paired=true&service=iris-v1&limit=100');
      assert.equal(res.status, 200);
      const body = (await res.json()) as { items: { requestId: string; compared: string; primary: { service: string; revision: string; digest?: string; output: unknown }; mirror: { service: string; status: number; revision: string; digest?: string; output: unknown } }[] };
      const got = body.items.filter((p) => ids.includes(p.requestId));
      return got.length === ids.length ? got : undefined;
    });
    for (const p of pairs) {
      assert.equal(p.primary.revision, 'iris-v1-predictor-00001');
      assert.match(p.primary.digest ?? '', /^sha256:[0-9a-f]{64}$/, 'rows name the artifact that answered');
      assert.notEqual(p.mirror.digest, p.primary.digest);
      assert.deepEqual(p.primary.output, { predictions: [1] });
      assert.equal(p.mirror.service, 'iris-shadow');
      assert.equal(p.mirror.status, 200);
      assert.deepEqual(p.mirror.output, { predictions: [2] });
      assert.equal(p.compared, 'disagree', 'each pair says how its answers compare, as a shadow judges them');
    }
    // The gold route has no mirror.
    const goldId = gold.headers['x-request-id'] as string;
    const res = await apiFetch(up, '/switchyard/v1/namespaces/default/predictions?paired=true&service=iris-v2');
    assert.deepEqual(((await res.json()) as { items: { requestId: string }[] }).items.filter((p) => p.requestId === goldId), []);
  });

  test('a ServiceEntry destination reaches a model server Switchyard does not run', async () => {
    const port = (scorer.address() as AddressInfo).port;
    const items = [
      {
        apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'scorer', namespace: 'default' },
        spec: { hosts: ['scorer.internal.example.com'], location: 'MESH_EXTERNAL', resolution: 'STATIC', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: port } }] },
      },
      {
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'scorer', namespace: 'default' },
        spec: { hosts: ['scorer.default.example.com'], http: [{ rewrite: { uri: '/score' }, route: [{ destination: { host: 'scorer.internal.example.com' } }] }] },
      },
    ];
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const r = await until('the ServiceEntry route', async () => {
      const x = await predict('scorer.default.example.com');
      return x.status === 200 ? x : undefined;
    }, 10_000);
    assert.deepEqual(JSON.parse(r.text).predictions, ['external']);
    assert.equal(seenByScorer.at(-1), 'POST /score scorer.default.example.com');
  });

  test('what compiling a VirtualService found is on its status: Reconciled, and each problem with its field', async () => {
    const broken = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'broken', namespace: 'default' },
      spec: { hosts: ['broken.default.example.com'], http: [{ route: [{ destination: { host: 'nowhere.default.svc.cluster.local' } }] }] },
    };
    await ok(['apply', '-f', '-'], JSON.stringify(broken));
    const status = await until('the broken VirtualService status', async () => {
      const s = JSON.parse(await ok(['get', 'vs', 'broken', '-o', 'jsonpath={.status}']) || '{}');
      return s.conditions ? s : undefined;
    }, 10_000);
    assert.equal(status.conditions[0].type, 'Reconciled');
    assert.equal(status.conditions[0].status, 'False');
    assert.equal(status.validationMessages[0].field, 'spec.http[0].route[0].destination.host');
    assert.match(status.validationMessages[0].message, /nowhere/);
    const good = JSON.parse(await ok(['get', 'vs', 'scorer', '-o', 'jsonpath={.status}']));
    assert.equal(good.conditions[0].status, 'True');
    await ok(['delete', 'vs', 'broken']);
  });
});
