// The gateway routing through VirtualServices end to end over real sockets:
// header cohorts, fallback to the InferenceService ingress, InferenceService
// and ServiceEntry destinations, rewrite, header rules, timeout, retries,
// faults and sticky choice. Upstreams are real node:http servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { compileRoutingTable, type VirtualServiceInput } from '../../src/gateway/routing/compile.ts';
import type { ServiceEntryInput } from '../../src/gateway/routing/destinations.ts';
import { startGateway, type Gateway, type GatewaySnapshot, type ResponseRecord } from '../../src/gateway/server.ts';
import { vsLookup } from '../../src/gateway/vs-route.ts';

interface Upstream {
  server: Server;
  port: number;
  hits: number;
  /** Attempts seen per request id (for retry tests). */
  attempts: Map<string, number>;
}

/**
 * Echoes what it saw. Test controls: x-test-status (answer this), x-test-delay
 * (ms before answering), x-test-fail-first (503 for the first N attempts of a
 * request id), x-test-hang-first (never answer the first attempt),
 * x-test-break (send headers and part of the body, then reset).
 */
async function upstream(name: string): Promise<Upstream> {
  const u: Upstream = { server: undefined as unknown as Server, port: 0, hits: 0, attempts: new Map() };
  u.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    u.hits++;
    const id = String(req.headers['x-request-id']);
    const n = (u.attempts.get(id) ?? 0) + 1;
    u.attempts.set(id, n);
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const h = req.headers;
      if (Number(h['x-test-hang-first'] ?? 0) >= n) return;
      if (h['x-test-break']) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"partial":');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const status = Number(h['x-test-fail-first'] ?? 0) >= n ? 503 : Number(h['x-test-status'] ?? 200);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-upstream-secret': 'internal', 'x-upstream': name });
        res.end(JSON.stringify({ name, path: req.url, host: h.host, headers: h, bytes: Buffer.concat(chunks).length, attempt: n }));
      }, Number(h['x-test-delay'] ?? 0));
    });
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', () => r()));
  u.port = (u.server.address() as AddressInfo).port;
  return u;
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const GW = ['knative-serving/knative-ingress-gateway'];
const services: IngressService[] = [
  { namespace: 'ns', name: 'iris-v1', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'iris-v1-predictor-00001', percent: 100, latestRevision: true }] },
  { namespace: 'ns', name: 'iris-v2', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'iris-v2-predictor-00001', percent: 100, latestRevision: true }] },
];

let v1: Upstream, v2: Upstream, ext: Upstream, dead: number;
let gw: Gateway;
let snapshot: GatewaySnapshot;
const records: ResponseRecord[] = [];
const endpoints = new EndpointRegistry();

function vs(name: string, host: string, http: unknown[], annotations?: Record<string, string>): VirtualServiceInput {
  return { metadata: { namespace: 'ns', name, annotations: annotations ?? null, creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z` }, spec: { hosts: [host], gateways: GW, http: http as never } };
}

function build(virtualServices: VirtualServiceInput[], serviceEntries: ServiceEntryInput[] = []): GatewaySnapshot {
  const ingress = compileIngress(services, 'example.com', 1);
  const routing = compileRoutingTable({
    virtualServices, serviceEntries, destinationRules: [], domain: 'example.com', version: 1,
    inferenceServices: services.map((s) => ({ namespace: s.namespace, name: s.name, revisions: s.traffic.map((t) => ({ name: t.revisionName })) })),
  });
  // Only the deliberately unroutable route may report a problem.
  assert.ok(routing.problems.every((p) => /weights are 0/.test(p.message)), JSON.stringify(routing.problems));
  const lookup = vsLookup(routing);
  return lookup ? { ...ingress, vs: lookup } : ingress;
}

before(async () => {
  [v1, v2, ext] = await Promise.all([upstream('v1'), upstream('v2'), upstream('ext')]);
  dead = await deadPort();
  endpoints.set('ns/iris-v1-predictor-00001', [`http://127.0.0.1:${v1.port}`]);
  endpoints.set('ns/iris-v2-predictor-00001', [`http://127.0.0.1:${v2.port}`]);
  const se = (name: string, host: string, ports: number[]): ServiceEntryInput => ({
    metadata: { namespace: 'ns', name },
    spec: { hosts: [host], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: ports.map((p) => ({ address: '127.0.0.1', ports: { http: p } })) },
  });
  snapshot = build(
    [
      vs('cohorts', 'iris.ns.example.com', [
        { name: 'gold', match: [{ headers: { 'x-tier': { exact: 'gold' } } }], route: [{ destination: { host: 'iris-v2-predictor.ns.svc.cluster.local' } }] },
        { name: 'default', route: [{ destination: { host: 'iris-v1-predictor.ns.svc.cluster.local' } }] },
      ]),
      vs('strict', 'strict.ns.example.com', [{ name: 'v1-only', match: [{ uri: { prefix: '/v1/' } }], route: [{ destination: { host: 'scorer.internal.example.com' } }] }]),
      vs('external', 'scorer.ns.example.com', [
        { name: 'rewrite', match: [{ uri: { prefix: '/old/' } }], rewrite: { uri: '/v1/models/x:', authority: 'scorer.internal' }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        {
          name: 'headers',
          match: [{ uri: { prefix: '/headers' } }],
          headers: { request: { set: { 'x-set': 'route' }, add: { 'x-add': 'more' }, remove: ['x-drop'] }, response: { remove: ['x-upstream-secret'], set: { 'x-served-by': 'switchyard' } } },
          route: [{ destination: { host: 'scorer.internal.example.com' }, headers: { request: { set: { 'x-dest': 'ext' } } } }],
        },
        { name: 'timeout', match: [{ uri: { prefix: '/slow' } }], timeout: '0.2s', route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'retry', match: [{ uri: { prefix: '/retry' } }], retries: { attempts: 2, perTryTimeout: '0.2s', retryOn: '5xx' }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'gateway-error', match: [{ uri: { prefix: '/gwerr' } }], retries: { attempts: 3, retryOn: 'gateway-error' }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'no-retry', match: [{ uri: { prefix: '/noretry' } }], retries: { attempts: 2, retryOn: 'connect-failure' }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'dead', match: [{ uri: { prefix: '/dead' } }], retries: { attempts: 3, retryOn: 'connect-failure' }, route: [{ destination: { host: 'dead.internal.example.com' } }] },
        { name: 'istio-default', match: [{ uri: { prefix: '/istio-default' } }], route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'retries-off', match: [{ uri: { prefix: '/retries-off' } }], retries: { attempts: 0 }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'half-dead', match: [{ uri: { prefix: '/half-dead' } }], route: [{ destination: { host: 'half.internal.example.com' } }] },
        { name: 'abort', match: [{ uri: { prefix: '/abort' } }], fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'delay', match: [{ uri: { prefix: '/delay' } }], fault: { delay: { fixedDelay: '150ms', percentage: { value: 100 } } }, route: [{ destination: { host: 'scorer.internal.example.com' } }] },
        { name: 'unknown', match: [{ uri: { prefix: '/nowhere' } }], route: [{ destination: { host: 'scorer.internal.example.com' }, weight: 0 }, { destination: { host: 'iris-v1-predictor.ns.svc.cluster.local' }, weight: 0 }] },
        {
          name: 'split',
          route: [
            { destination: { host: 'iris-v1-predictor.ns.svc.cluster.local' }, weight: 3 },
            { destination: { host: 'iris-v2-predictor.ns.svc.cluster.local' }, weight: 1 },
          ],
        },
      ], { 'switchyard.dev/unit-key': 'header:x-user-id' }),
    ],
    [se('scorer', 'scorer.internal.example.com', [ext.port]), se('dead', 'dead.internal.example.com', [dead]), se('half', 'half.internal.example.com', [dead, ext.port])],
  );
  gw = await startGateway({ port: 0, ingress: () => snapshot, endpoints, onResponse: (r) => records.push(r) });
});

after(async () => {
  await gw.close(500);
  for (const u of [v1, v2, ext]) u.server.close();
});

async function call(host: string, path = '/v1/models/iris:predict', headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await request(`http://127.0.0.1:${gw.port}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers }, body: '{"instances":[[1,2,3,4]]}' });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain-text gateway answers
  }
  return { status: res.statusCode, headers: res.headers, text, json, ms: performance.now() - started };
}

/** A POST whose client waits for 100 Continue before sending the body (curl does so for large bodies). */
function callExpecting100(host: string, path: string): Promise<{ status: number; json: Record<string, unknown>; continued: boolean }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, path, method: 'POST', headers: { host, 'content-type': 'application/json', expect: '100-continue' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown>, continued }));
    });
    req.on('continue', () => {
      continued = true;
      req.end('{"instances":[[1,2,3,4]]}');
    });
    req.on('error', reject);
  });
}

describe('VirtualService routing in the gateway', () => {
  it('answers Expect: 100-continue itself and forwards the body without it, on every path', async () => {
    // The InferenceService ingress, a route under Istio's default retries, and a route with a retry policy (undici).
    for (const [host, path] of [['iris-v1.ns.example.com', '/v1/models/iris-v1:predict'], ['scorer.ns.example.com', '/retries-off'], ['scorer.ns.example.com', '/retry']] as const) {
      const r = await callExpecting100(host, path);
      assert.equal(r.status, 200, `${host}${path}`);
      assert.ok(r.continued, 'the client was told to go on');
      assert.equal(r.json.bytes, 25, 'the whole body arrived');
      assert.equal((r.json.headers as Record<string, string>).expect, undefined, 'Expect is not forwarded');
    }
  });

  it('routes a header cohort to v2 and everyone else to the safe default v1, stamping revision and route', async () => {
    const gold = await call('iris.ns.example.com', '/v1/models/iris:predict', { 'x-tier': 'gold' });
    assert.equal(gold.status, 200);
    assert.equal(gold.json.name, 'v2');
    // KServe model servers answer for their own name: the model path follows the InferenceService chosen.
    assert.equal(gold.json.path, '/v1/models/iris-v2:predict');
    assert.equal(gold.headers['x-switchyard-revision'], 'iris-v2-predictor-00001');
    assert.equal(gold.headers['x-switchyard-route'], 'ns/cohorts/gold');
    const other = await call('iris.ns.example.com', '/v1/models/iris:predict', { 'x-tier': 'silver' });
    assert.equal(other.json.name, 'v1');
    assert.equal(other.headers['x-switchyard-route'], 'ns/cohorts/default');
    const rec = records.find((r) => r.requestId === gold.headers['x-request-id']);
    assert.equal(rec?.route, 'ns/cohorts/gold');
    assert.equal(rec?.service, 'iris-v2');
  });

  it('falls back to the InferenceService ingress for hosts no VirtualService claims', async () => {
    const r = await call('iris-v2.ns.example.com');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'v2');
    assert.equal(r.headers['x-switchyard-route'], undefined);
  });

  it('answers 404 on a claimed host when none of its routes match, as Envoy does', async () => {
    assert.equal((await call('strict.ns.example.com', '/v1/models/x:predict')).status, 200);
    const r = await call('strict.ns.example.com', '/v2/models/x/infer');
    assert.equal(r.status, 404);
    assert.match(JSON.stringify(r.json), /no route of the VirtualServices for host \\"strict.ns.example.com\\" matches POST \/v2\/models\/x\/infer/);
  });

  it('sends ServiceEntry destinations to their endpoints, rewriting uri prefix and authority', async () => {
    const r = await call('scorer.ns.example.com', '/old/predict?x=1');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'ext');
    assert.equal(r.json.path, '/v1/models/x:predict?x=1');
    assert.equal(r.json.host, 'scorer.internal');
  });

  it('applies request and response header rules (route and destination level)', async () => {
    const r = await call('scorer.ns.example.com', '/headers', { 'x-drop': 'secret', 'x-add': 'first', 'x-set': 'client' });
    const seen = r.json.headers as Record<string, string>;
    assert.equal(seen['x-drop'], undefined);
    assert.equal(seen['x-set'], 'route');
    assert.equal(seen['x-add'], 'first, more');
    assert.equal(seen['x-dest'], 'ext');
    assert.equal(r.headers['x-upstream-secret'], undefined);
    assert.equal(r.headers['x-served-by'], 'switchyard');
    assert.equal(r.headers['x-upstream'], 'ext');
  });

  it('answers 504 "upstream request timeout" when the route timeout passes', async () => {
    const r = await call('scorer.ns.example.com', '/slow', { 'x-test-delay': '1000' });
    assert.equal(r.status, 504);
    assert.equal(r.text, 'upstream request timeout');
    assert.ok(r.ms < 900, `answered after ${r.ms} ms`);
    assert.equal(records.find((x) => x.requestId === r.headers['x-request-id'])?.errorClass, 'timeout');
  });

  it('retries 5xx answers and per-try timeouts within attempts', async () => {
    const a = await call('scorer.ns.example.com', '/retry', { 'x-request-id': 'retry-503', 'x-test-fail-first': '2' });
    assert.equal(a.status, 200);
    assert.equal(a.json.attempt, 3);
    const b = await call('scorer.ns.example.com', '/retry', { 'x-request-id': 'retry-hang', 'x-test-hang-first': '1' });
    assert.equal(b.status, 200);
    assert.equal(b.json.attempt, 2);
    // attempts: 2 means at most 3 tries; the third 503 goes to the client.
    const c = await call('scorer.ns.example.com', '/retry', { 'x-request-id': 'retry-exhaust', 'x-test-fail-first': '5' });
    assert.equal(c.status, 503);
    assert.equal(ext.attempts.get('retry-exhaust'), 3);
  });

  it('retries gateway errors but not other statuses, and not conditions retryOn leaves out', async () => {
    const a = await call('scorer.ns.example.com', '/gwerr', { 'x-request-id': 'gw-500', 'x-test-status': '500' });
    assert.equal(a.status, 500);
    assert.equal(ext.attempts.get('gw-500'), 1);
    const b = await call('scorer.ns.example.com', '/noretry', { 'x-request-id': 'nr-503', 'x-test-fail-first': '1' });
    assert.equal(b.status, 503);
    assert.equal(ext.attempts.get('nr-503'), 1);
  });

  it('never retries once the response has started towards the client', async () => {
    const r = await request(`http://127.0.0.1:${gw.port}/retry`, { method: 'POST', headers: { host: 'scorer.ns.example.com', 'x-request-id': 'broken', 'x-test-break': '1' }, body: '{}' });
    assert.equal(r.statusCode, 200);
    await assert.rejects(r.body.text());
    assert.equal(ext.attempts.get('broken'), 1);
  });

  it('answers 503 after retrying connect failures to a dead ServiceEntry endpoint', async () => {
    const r = await call('scorer.ns.example.com', '/dead');
    assert.equal(r.status, 503);
    assert.match(r.text, /connection failure/);
  });

  it("applies Istio's default policy to routes without retries: 2 retries on 503 or a connect failure, the body replayed", async () => {
    const a = await call('scorer.ns.example.com', '/istio-default', { 'x-request-id': 'default-503', 'x-test-fail-first': '2' });
    assert.deepEqual([a.status, a.json.attempt, a.json.bytes], [200, 3, 25], 'the third try answers, with the whole body');
    const b = await call('scorer.ns.example.com', '/istio-default', { 'x-request-id': 'default-exhaust', 'x-test-fail-first': '5' });
    assert.equal(b.status, 503);
    assert.equal(ext.attempts.get('default-exhaust'), 3, 'at most 3 tries; the last 503 goes to the client as it was');
    assert.equal(b.json.name, 'ext');
    const c = await call('scorer.ns.example.com', '/istio-default', { 'x-request-id': 'default-500', 'x-test-status': '500' });
    assert.equal(c.status, 500);
    assert.equal(ext.attempts.get('default-500'), 1, '500 is not retriable by default');
    // Two endpoints, one refusing connections: every request is answered by the live one.
    for (let i = 0; i < 200; i++) assert.equal((await call('scorer.ns.example.com', '/half-dead')).status, 200);
  });

  it('retries: {attempts: 0} turns the default policy off', async () => {
    const r = await call('scorer.ns.example.com', '/retries-off', { 'x-request-id': 'off-503', 'x-test-fail-first': '1' });
    assert.equal(r.status, 503);
    assert.equal(ext.attempts.get('off-503'), 1);
  });

  it('injects aborts and delays', async () => {
    const hits = ext.hits;
    const a = await call('scorer.ns.example.com', '/abort');
    assert.equal(a.status, 418);
    assert.equal(a.text, 'fault filter abort');
    assert.equal(ext.hits, hits);
    const d = await call('scorer.ns.example.com', '/delay');
    assert.equal(d.status, 200);
    assert.ok(d.ms >= 145, `answered after ${d.ms} ms`);
  });

  it('answers 503 "no healthy upstream" when a route has nowhere to send', async () => {
    const r = await call('scorer.ns.example.com', '/nowhere');
    assert.equal(r.status, 503);
    assert.equal(r.text, 'no healthy upstream');
  });

  it('keeps a unit on one destination and splits units 3:1 by weight', async () => {
    const first = await call('scorer.ns.example.com', '/split', { 'x-user-id': 'user-42' });
    for (let i = 0; i < 5; i++) assert.equal((await call('scorer.ns.example.com', '/split', { 'x-user-id': 'user-42' })).json.name, first.json.name);
    const N = 400;
    let onV2 = 0;
    for (let i = 0; i < N; i++) if ((await call('scorer.ns.example.com', '/split', { 'x-user-id': `u${i}` })).json.name === 'v2') onV2++;
    // Binomial(400, 0.25): σ ≈ 8.7; ±5σ.
    assert.ok(Math.abs(onV2 - 100) < 44, `v2 got ${onV2} of ${N}`);
  });

  it('graceful close waits for a ServiceEntry request in flight', async () => {
    const own = await startGateway({ port: 0, ingress: () => snapshot, endpoints });
    const pending = request(`http://127.0.0.1:${own.port}/headers`, { method: 'POST', headers: { host: 'scorer.ns.example.com', 'x-test-delay': '300' }, body: '{}' });
    await new Promise((r) => setTimeout(r, 100));
    const closing = own.close(2000);
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as { name: string }).name, 'ext');
    await closing;
  });
});
