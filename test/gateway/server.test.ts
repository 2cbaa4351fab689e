import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';

/** A real upstream that answers with its own name, the request id it saw, and the body length. */
async function upstream(name: string, delayMs = 0): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, requestId: req.headers['x-request-id'], bytes: Buffer.concat(chunks).length, path: req.url }));
    }, delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const services: IngressService[] = [
  { namespace: 'ns', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [
    { revisionName: 'iris-predictor-00002', percent: 10, tag: 'latest', latestRevision: true },
    { revisionName: 'iris-predictor-00001', percent: 90, tag: 'prev', latestRevision: false },
  ] },
  { namespace: 'ns', name: 'cold', scaleFromZero: true, activatorTimeoutMs: 3000, traffic: [{ revisionName: 'cold-predictor-00001', percent: 100, latestRevision: true }] },
  { namespace: 'ns', name: 'down', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'down-predictor-00001', percent: 100, latestRevision: true }] },
  { namespace: 'ns', name: 'parked', scaleFromZero: false, activatorTimeoutMs: 3000, traffic: [{ revisionName: 'parked-predictor-00001', percent: 100, latestRevision: true }] },
];

let v1: Awaited<ReturnType<typeof upstream>>;
let v2: Awaited<ReturnType<typeof upstream>>;
let gw: Gateway;
const endpoints = new EndpointRegistry();
const records: ResponseRecord[] = [];
const demanded: string[] = [];

before(async () => {
  v1 = await upstream('v1');
  v2 = await upstream('v2');
  endpoints.set('ns/iris-predictor-00001', [v1.origin]);
  endpoints.set('ns/iris-predictor-00002', [v2.origin]);
  const table = compileIngress(services, 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, onResponse: (r) => records.push(r), onDemand: (rev) => demanded.push(rev), coldStarting: (key) => key === 'ns/parked-predictor-00001' });
});

after(async () => {
  await gw.close(1000);
  v1.server.close();
  v2.server.close();
});

async function call(host: string, path = '/v1/models/iris:predict', headers: Record<string, string> = {}) {
  // undici.request, not fetch: fetch may not set Host, and Host is what routes.
  const res = await request(`http://127.0.0.1:${gw.port}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers }, body: '{"instances":[[1,2,3,4]]}' });
  const h = res.headers;
  return { status: res.statusCode, headers: { get: (k: string) => (h[k] as string | undefined) ?? null }, body: (await res.body.json()) as Record<string, unknown> };
}

test('the split follows the traffic percentages within binomial bounds (±4σ)', async () => {
  const n = 2000;
  let latest = 0;
  for (let i = 0; i < n; i++) {
    const r = await call('iris.ns.example.com');
    assert.equal(r.status, 200);
    if (r.body.name === 'v2') {
      latest++;
      assert.equal(r.headers.get('x-switchyard-variant'), 'latest');
      assert.equal(r.headers.get('x-switchyard-revision'), 'iris-predictor-00002');
    }
  }
  const sigma = Math.sqrt(n * 0.1 * 0.9);
  assert.ok(Math.abs(latest - n * 0.1) <= 4 * sigma, `latest got ${latest} of ${n}, expected ${n * 0.1} ± ${4 * sigma}`);
});

test('tag hosts pin their revision, in both host forms', async () => {
  for (let i = 0; i < 20; i++) {
    assert.equal((await call('latest-iris-predictor.ns.example.com')).body.name, 'v2');
    assert.equal((await call('prev-iris-predictor-default.ns.example.com:8080')).body.name, 'v1');
  }
});

test('without a known Host the model name in the path routes; unknown ones are 404 in KServe shape', async () => {
  const byPath = await call('localhost:8080', '/v2/models/iris/infer');
  assert.equal(byPath.status, 200);
  const missing = await call('localhost', '/v1/models/nope:predict');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: 'Model with name nope does not exist.' });
  const host = await call('other.ns.example.com', '/');
  assert.equal(host.status, 404);
});

test('x-request-id is honoured, or generated, and reaches the upstream and the client', async () => {
  const given = await call('iris.ns.example.com', '/v1/models/iris:predict', { 'x-request-id': 'abc-123' });
  assert.equal(given.headers.get('x-request-id'), 'abc-123');
  assert.equal(given.body.requestId, 'abc-123');
  const made = await call('iris.ns.example.com');
  const id = made.headers.get('x-request-id');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(made.body.requestId, id);
  assert.equal(made.body.bytes, 25);
});

test('a revision with no ready replica is 503 (Standard), or held until one is ready (activator)', async () => {
  const down = await call('down.ns.example.com');
  assert.equal(down.status, 503);
  assert.match(String(down.body.error), /no ready replica/);

  const cold = await upstream('cold');
  const pending = Array.from({ length: 5 }, () => call('cold.ns.example.com'));
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(demanded.includes('ns/cold-predictor-00001'), 'the autoscaler was poked');
  endpoints.set('ns/cold-predictor-00001', [cold.origin]);
  const answers = await Promise.all(pending);
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
  // The record says how long each was held (the sleep above): telemetry leaves that out of the revision's latency.
  const held = records.filter((r) => r.revision === 'cold-predictor-00001').map((r) => r.activatorMs);
  assert.equal(held.length, 5);
  assert.ok(held.every((ms) => ms >= 250 && ms < 5000), `held ${held.join(', ')} ms`);
  cold.server.close();
});

test('a revision the autoscaler has at zero or starting from zero is held too, though its service keeps a minimum (routed again after idling)', async () => {
  const parked = await upstream('parked');
  const pending = call('parked.ns.example.com');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(demanded.includes('ns/parked-predictor-00001'), 'the autoscaler was poked');
  endpoints.set('ns/parked-predictor-00001', [parked.origin]);
  const answer = await pending;
  assert.equal(answer.status, 200);
  assert.equal(answer.body.name, 'parked');
  parked.server.close();
});

test('close() drains in-flight requests before stopping', async () => {
  const slow = await upstream('slow', 400);
  const endpoints2 = new EndpointRegistry();
  endpoints2.set('ns/iris-predictor-00001', [slow.origin]);
  endpoints2.set('ns/iris-predictor-00002', [slow.origin]);
  const table = compileIngress(services, 'example.com', 1);
  const g = await startGateway({ port: 0, ingress: () => table, endpoints: endpoints2 });
  const inflight = request(`http://127.0.0.1:${g.port}/v1/models/iris:predict`, { method: 'POST', headers: { host: 'iris.ns.example.com' }, body: '{}' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(g.inflight('ns/iris-predictor-00001') + g.inflight('ns/iris-predictor-00002'), 1);
  await g.close(5000);
  const done = await inflight;
  assert.equal(done.statusCode, 200);
  await done.body.text();
  slow.server.close();
});
