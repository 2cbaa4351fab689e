// Mirroring through the gateway over real sockets: the copy carries the same
// request id, body and rewritten path with `-shadow` on the authority; the
// client only ever sees the primary; the shadow's answer is recorded for
// pairing; large bodies, percentages and the in-flight cap behave as documented.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import type { ServiceEntryInput } from '../../src/gateway/routing/destinations.ts';
import { startGateway, type Gateway, type GatewaySnapshot, type MirrorRecord } from '../../src/gateway/server.ts';
import { shadowHost, vsLookup } from '../../src/gateway/vs-route.ts';

interface Seen {
  host: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  bytes: number;
}

interface Recorder {
  server: Server;
  port: number;
  seen: Seen[];
}

async function recorder(name: string, opts: { hang?: boolean } = {}): Promise<Recorder> {
  const r: Recorder = { server: undefined as unknown as Server, port: 0, seen: [] };
  r.server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      r.seen.push({ host: req.headers.host, path: req.url, headers: req.headers, bytes });
      if (opts.hang) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, bytes }));
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', () => ok()));
  r.port = (r.server.address() as AddressInfo).port;
  return r;
}

const services: IngressService[] = [
  { namespace: 'ns', name: 'shadow-model', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'shadow-model-predictor-00001', percent: 100, latestRevision: true }] },
];

let primary: Recorder, shadowA: Recorder, shadowB: Recorder, shadowIsvc: Recorder, hanging: Recorder;
let gw: Gateway;
let snapshot: GatewaySnapshot;
const mirrored: MirrorRecord[] = [];
const dropped: string[] = [];
const endpoints = new EndpointRegistry();

const se = (name: string, host: string, port: number): ServiceEntryInput => ({
  metadata: { namespace: 'ns', name },
  spec: { hosts: [host], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: port } }] },
});

before(async () => {
  [primary, shadowA, shadowB, shadowIsvc, hanging] = await Promise.all([recorder('primary'), recorder('a'), recorder('b'), recorder('isvc'), recorder('hanging', { hang: true })]);
  endpoints.set('ns/shadow-model-predictor-00001', [`http://127.0.0.1:${shadowIsvc.port}`]);
  const dest = (host: string) => ({ destination: { host } });
  const routing = compileRoutingTable({
    domain: 'example.com', version: 1,
    inferenceServices: [{ namespace: 'ns', name: 'shadow-model', revisions: [{ name: 'shadow-model-predictor-00001' }] }],
    destinationRules: [],
    serviceEntries: [se('p', 'primary.internal', primary.port), se('a', 'shadow-a.internal', shadowA.port), se('b', 'shadow-b.internal', shadowB.port), se('h', 'hanging.internal', hanging.port)],
    virtualServices: [{
      metadata: { namespace: 'ns', name: 'm' },
      spec: {
        hosts: ['model.ns.example.com'],
        gateways: ['knative-serving/knative-ingress-gateway'],
        http: [
          { name: 'both', match: [{ uri: { prefix: '/both' } }], mirrors: [{ destination: { host: 'shadow-a.internal' } }, { destination: { host: 'shadow-model-predictor.ns.svc.cluster.local' } }], route: [dest('primary.internal')] },
          { name: 'half', match: [{ uri: { prefix: '/half' } }], mirror: { host: 'shadow-b.internal' }, mirrorPercentage: { value: 50 }, route: [dest('primary.internal')] },
          { name: 'hang', match: [{ uri: { prefix: '/hang' } }], mirror: { host: 'hanging.internal' }, route: [dest('primary.internal')] },
          { name: 'all', rewrite: { uri: '/v1/models/m:predict' }, mirror: { host: 'shadow-a.internal' }, route: [dest('primary.internal')] },
        ] as never,
      },
    }],
  });
  assert.deepEqual(routing.problems, []);
  snapshot = { ...compileIngress(services, 'example.com', 1), vs: vsLookup(routing)! };
  gw = await startGateway({
    port: 0, ingress: () => snapshot, endpoints,
    onMirrorResponse: (r) => mirrored.push(r),
    onMirrorDropped: (ns, svc, reason) => dropped.push(`${ns}/${svc}/${reason}`),
    mirror: { maxInFlight: 4, timeoutMs: 1500 },
  });
});

after(async () => {
  await gw.close(500);
  for (const r of [primary, shadowA, shadowB, shadowIsvc, hanging]) r.server.close();
});

async function call(path: string, body: string | Buffer = '{"instances":[[1,2,3,4]]}', host = 'model.ns.example.com:8080') {
  const res = await request(`http://127.0.0.1:${gw.port}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Record<string, unknown> };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('mirroring', () => {
  it('appends -shadow to the authority before the port, as Envoy does', () => {
    assert.equal(shadowHost('iris.ns.example.com'), 'iris.ns.example.com-shadow');
    assert.equal(shadowHost('iris.ns.example.com:8080'), 'iris.ns.example.com-shadow:8080');
    assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
  });

  it('copies the request (same id, body, rewritten path, -shadow host) and records the shadow answer, never returning it', async () => {
    const r = await call('/anything', '{"instances":[[5,6,7,8]]}');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'primary');
    const id = r.headers['x-request-id'] as string;
    await until(() => mirrored.some((m) => m.requestId === id));
    const copy = shadowA.seen.find((s) => s.headers['x-request-id'] === id)!;
    assert.equal(copy.host, 'model.ns.example.com-shadow:8080');
    assert.equal(copy.path, '/v1/models/m:predict');
    assert.equal(copy.bytes, '{"instances":[[5,6,7,8]]}'.length);
    const rec = mirrored.find((m) => m.requestId === id)!;
    assert.equal(rec.status, 200);
    assert.equal(rec.service, 'shadow-a.internal');
    assert.equal(rec.route, 'ns/m/all');
    assert.deepEqual(JSON.parse(rec.output!.toString()), { name: 'a', bytes: 25 });
  });

  it('sends to every mirror in mirrors[], including an InferenceService shadow through its ready replica', async () => {
    const r = await call('/both');
    const id = r.headers['x-request-id'] as string;
    await until(() => mirrored.filter((m) => m.requestId === id).length === 2);
    const recs = mirrored.filter((m) => m.requestId === id);
    assert.deepEqual(recs.map((m) => m.service).sort(), ['shadow-a.internal', 'shadow-model']);
    assert.equal(recs.find((m) => m.service === 'shadow-model')!.revision, 'shadow-model-predictor-00001');
    assert.ok(shadowIsvc.seen.some((s) => s.headers['x-request-id'] === id));
  });

  it('does not mirror bodies over the buffer limit, counts them, and still forwards them whole', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    const before = shadowA.seen.length;
    const r = await call('/anything', big);
    assert.equal(r.status, 200);
    assert.equal(r.json.bytes, big.length);
    assert.deepEqual(dropped.filter((d) => d.endsWith('too_large')), ['ns/shadow-a.internal/too_large']);
    await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(shadowA.seen.length, before);
  });

  it('samples mirrorPercentage: 50% of 400 requests within 5σ', async () => {
    const before = shadowB.seen.length;
    const N = 400;
    for (let i = 0; i < N; i++) await call('/half');
    await until(() => mirrored.filter((m) => m.service === 'shadow-b.internal').length === shadowB.seen.length - before);
    const got = shadowB.seen.length - before;
    // Binomial(400, 0.5): σ = 10.
    assert.ok(Math.abs(got - 200) < 50, `mirrored ${got} of ${N}`);
  });

  it('drops and counts copies beyond the in-flight cap while the primary answers normally', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call('/hang')).status);
    assert.deepEqual(statuses, Array(10).fill(200));
    await until(() => hanging.seen.length === 4);
    assert.equal(dropped.filter((d) => d === 'ns/hanging.internal/overloaded').length, 6);
    // The hanging copies end at the mirror deadline as timeouts.
    await until(() => mirrored.filter((m) => m.service === 'hanging.internal').length === 4, 3000);
    assert.ok(mirrored.filter((m) => m.service === 'hanging.internal').every((m) => m.status === 504 && m.errorClass === 'timeout'));
  });
});
