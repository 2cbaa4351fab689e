// A TrafficPlan's shadow on an InferenceService, through a real gateway and
// real upstreams: the shadow's share of requests is copied to the candidate,
// every client answer comes from the baseline, the copies carry the request
// id (so the prediction log pairs them), a candidate without a ready replica
// is recorded as failing its copies, and a hanging candidate changes no answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import type { MirrorRecord } from '../../src/gateway/mirror.ts';
import { startGateway, type Gateway, type GatewaySnapshot, type ResponseRecord } from '../../src/gateway/server.ts';
import { seededRandom } from '../../src/core/random.ts';

let baseline: Server;
let candidate: Server;
let gw: Gateway;
let table: GatewaySnapshot;
let hang = false;
let slowMs = 0;
const endpoints = new EndpointRegistry();
const copies: MirrorRecord[] = [];
const primaries: ResponseRecord[] = [];
const seenByCandidate: string[] = [];

function answer(label: number, seen?: string[]) {
  return createServer((req, res) => {
    seen?.push(String(req.headers['x-request-id']));
    req.resume();
    req.on('end', () => {
      if (seen && hang) return; // never answers
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(`{"predictions":[${label}]}`);
      }, seen ? slowMs : 0);
    });
  });
}

const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

function service(percent: number): IngressService {
  return {
    namespace: 'ns', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000,
    traffic: [{ revisionName: 'iris-predictor-00001', percent: 100, tag: 'prev' }, { revisionName: 'iris-predictor-00002', percent: 0, latestRevision: true, tag: 'latest' }],
    shadow: { revision: 'iris-predictor-00002', percent },
  };
}

before(async () => {
  baseline = answer(1);
  candidate = answer(2, seenByCandidate);
  endpoints.set('ns/iris-predictor-00001', [await listen(baseline)]);
  endpoints.set('ns/iris-predictor-00002', [await listen(candidate)]);
  table = compileIngress([service(25)], 'example.com', 1);
  gw = await startGateway({
    port: 0, ingress: () => table, endpoints, rng: seededRandom(3), wantsOutput: () => false, outputCapBytes: 4096,
    onResponse: (r) => primaries.push(r), onMirrorResponse: (r) => copies.push(r), mirror: { timeoutMs: 500 },
  });
});

after(async () => {
  await gw.close(1000);
  baseline.closeAllConnections();
  candidate.closeAllConnections();
  baseline.close();
  candidate.close();
});

async function predict(id?: string): Promise<{ body: string; revision: string; id: string }> {
  const res = await request(`http://127.0.0.1:${gw.port}/v1/models/iris:predict`, {
    method: 'POST', body: '{"instances":[[5.1,3.5,1.4,0.2]]}', headers: { host: 'iris.ns.example.com', ...(id ? { 'x-request-id': id } : {}) },
  });
  return { body: await res.body.text(), revision: String(res.headers['x-switchyard-revision']), id: String(res.headers['x-request-id']) };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

test('a quarter of the requests are copied to the candidate; every answer comes from the baseline', async () => {
  copies.length = 0;
  primaries.length = 0;
  const n = 400;
  const answers = [];
  for (let i = 0; i < n; i++) answers.push(await predict());
  await settle();
  assert.ok(answers.every((a) => a.revision === 'iris-predictor-00001' && a.body === '{"predictions":[1]}'), 'no client answer from the candidate');
  // Binomial(400, 0.25): mean 100, sd 8.7; ±5 sd.
  assert.ok(copies.length > 56 && copies.length < 144, `${copies.length} copies`);
  const ids = new Set(answers.map((a) => a.id));
  for (const c of copies) {
    assert.ok(ids.has(c.requestId), 'a copy carries its request id');
    assert.deepEqual([c.revision, c.variant, c.status], ['iris-predictor-00002', 'shadow', 200]);
    assert.equal(c.output?.toString(), '{"predictions":[2]}');
  }
  // The primaries of copied requests kept their answer, so the log can pair them.
  const copied = new Set(copies.map((c) => c.requestId));
  for (const p of primaries.filter((x) => copied.has(x.requestId))) assert.equal(p.output?.toString(), '{"predictions":[1]}');
});

test('a request without an id gets one, and its copy carries the same', async () => {
  table = compileIngress([service(100)], 'example.com', 2);
  copies.length = 0;
  const a = await predict();
  await settle();
  assert.match(a.id, /\S{10,}/);
  assert.equal(copies[0]?.requestId, a.id);
  const b = await predict('client-chosen-id');
  await settle();
  assert.equal(copies[1]?.requestId, 'client-chosen-id');
  assert.equal(b.id, 'client-chosen-id');
});

test('a candidate without a ready replica fails its copies in the record; clients see nothing', async () => {
  table = compileIngress([service(100)], 'example.com', 3);
  const saved = endpoints.pick('ns/iris-predictor-00002')!;
  endpoints.set('ns/iris-predictor-00002', []);
  copies.length = 0;
  try {
    for (let i = 0; i < 10; i++) assert.equal((await predict()).body, '{"predictions":[1]}');
    await settle();
    assert.equal(copies.length, 10);
    assert.ok(copies.every((c) => c.status === 503 && c.errorClass === 'upstream'));
  } finally {
    endpoints.set('ns/iris-predictor-00002', [saved]);
  }
});

test('a hanging candidate changes no answer and no latency; its copies time out and are recorded', async () => {
  table = compileIngress([service(100)], 'example.com', 4);
  copies.length = 0;
  hang = true;
  try {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) assert.equal((await predict()).body, '{"predictions":[1]}');
    const perRequest = (performance.now() - t0) / 20;
    assert.ok(perRequest < 100, `${perRequest.toFixed(1)} ms per request while the shadow hangs`);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(copies.length, 20);
    assert.ok(copies.every((c) => c.status === 504 && c.errorClass === 'timeout'));
  } finally {
    hang = false;
  }
});

test('a slow candidate (2 s) changes no latency for clients; its copies complete late and are recorded', async () => {
  table = compileIngress([service(100)], 'example.com', 5);
  copies.length = 0;
  slowMs = 2000;
  await gw.close(0).catch(() => undefined);
  gw = await startGateway({
    port: 0, ingress: () => table, endpoints, rng: seededRandom(4), wantsOutput: () => false, outputCapBytes: 4096,
    onResponse: (r) => primaries.push(r), onMirrorResponse: (r) => copies.push(r), mirror: { timeoutMs: 5000 },
  });
  try {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) assert.equal((await predict()).body, '{"predictions":[1]}');
    const perRequest = (performance.now() - t0) / 20;
    assert.ok(perRequest < 100, `${perRequest.toFixed(1)} ms per request while the shadow takes 2 s`);
    // Copies on a connection to the candidate are its load (autoscaling); the 4 queued in the gateway behind
    // its 16 busy connections are not (a hung candidate would otherwise be scaled up by its own backlog).
    assert.equal(gw.inflight('ns/iris-predictor-00002'), 16, 'copies at the candidate count as its load, queued ones do not');
    // 16 connections per shadow origin: the last 4 copies wait for one, then take 2 s more.
    await new Promise((r) => setTimeout(r, 4600));
    assert.equal(copies.length, 20);
    assert.ok(copies.every((c) => c.status === 200 && c.latencyMs >= 1900));
    assert.equal(gw.inflight('ns/iris-predictor-00002'), 0);
  } finally {
    slowMs = 0;
  }
});
