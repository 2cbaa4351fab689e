// The payload logger through the real gateway: a real sink on 127.0.0.1
// receives CloudEvents; a sink that hangs or refuses never touches the
// client's answer or its latency, and what cannot be queued is counted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { CE_REQUEST, CE_RESPONSE, PayloadLogger } from '../../src/gateway/payload-logger.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';

interface Received { headers: IncomingHttpHeaders; body: string }

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const received: Received[] = [];
const sink = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.end();
  });
});
/** Accepts connections and requests, never answers. */
const hanging = createServer(() => undefined);
const model = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"predictions":[1]}');
  });
});

let sinkUrl = '';
let hangingUrl = '';
let refusedUrl = '';
let gw: Gateway;
const payloads = new PayloadLogger({ maxQueue: 2, workers: 1, timeoutMs: 30_000 });

const svc = (name: string, logger?: IngressService['logger']): IngressService => ({
  namespace: 'ns', name, scaleFromZero: false, activatorTimeoutMs: 500,
  traffic: [{ revisionName: `${name}-predictor-00001`, percent: 100, latestRevision: true }],
  ...(logger ? { logger } : {}),
});

before(async () => {
  sinkUrl = await listen(sink);
  hangingUrl = await listen(hanging);
  const closed = createServer();
  refusedUrl = await listen(closed);
  await new Promise((r) => closed.close(r));
  const origin = await listen(model);
  const services = [
    svc('plain'),
    svc('all', { mode: 'all', url: sinkUrl }),
    svc('reqonly', { mode: 'request', url: sinkUrl }),
    svc('slow', { mode: 'all', url: hangingUrl }),
    svc('dead', { mode: 'all', url: refusedUrl }),
  ];
  const endpoints = new EndpointRegistry();
  for (const s of services) endpoints.set(`${s.namespace}/${s.traffic[0]!.revisionName}`, [origin]);
  const table = compileIngress(services, 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, payloadLogger: payloads });
});

after(async () => {
  await gw.close(500);
  await payloads.close(0);
  hanging.closeAllConnections();
  for (const s of [sink, hanging, model]) s.close();
});

async function predict(name: string, id: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await request(`http://127.0.0.1:${gw.port}/v1/models/${name}:predict`, {
    method: 'POST', headers: { host: `${name}.ns.example.com`, 'content-type': 'application/json', 'x-request-id': id },
    body: '{"instances":[[5.1,3.5,1.4,0.2]]}',
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, ms: performance.now() - started };
}

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('mode all: the sink gets the request and the response as CloudEvents keyed by the request id', async () => {
  const r = await predict('all', 'req-42');
  assert.equal(r.status, 200);
  await until('two events', () => received.filter((e) => e.headers['ce-id'] === 'req-42').length === 2);
  const events = received.filter((e) => e.headers['ce-id'] === 'req-42');
  const req = events.find((e) => e.headers['ce-type'] === CE_REQUEST)!;
  const res = events.find((e) => e.headers['ce-type'] === CE_RESPONSE)!;
  assert.equal(req.body, '{"instances":[[5.1,3.5,1.4,0.2]]}');
  assert.equal(res.body, '{"predictions":[1]}');
  for (const e of [req, res]) {
    assert.equal(e.headers['ce-specversion'], '1.0');
    assert.equal(e.headers['ce-inferenceservicename'], 'all');
    assert.equal(e.headers['ce-namespace'], 'ns');
    assert.equal(e.headers['ce-component'], 'predictor');
    assert.equal(e.headers['ce-endpoint'], 'default');
    assert.equal(e.headers['ce-source'], 'all-predictor-00001-deployment');
    assert.equal(e.headers['content-type'], 'application/json');
    assert.ok(!Number.isNaN(Date.parse(String(e.headers['ce-time']))));
  }
});

test('mode request logs only requests; services without a logger send nothing', async () => {
  const before = received.length;
  await predict('reqonly', 'req-43');
  await predict('plain', 'req-44');
  await until('one event', () => received.length === before + 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(received.length, before + 1);
  assert.equal(received[before]!.headers['ce-type'], CE_REQUEST);
  assert.equal(received[before]!.headers['ce-id'], 'req-43');
});

test('a refusing sink never fails the request', async () => {
  const r = await predict('dead', 'dead-1');
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"predictions":[1]}');
  await until('both deliveries to fail', () => payloads.stats().failed === 2);
  assert.equal(payloads.stats().dropped, 0);
});


test('a hanging sink changes neither the answer nor the latency; events beyond the queue are dropped and counted', async () => {
  const baseline: number[] = [];
  for (let i = 0; i < 10; i++) baseline.push((await predict('plain', `base-${i}`)).ms);
  const slow: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await predict('slow', `slow-${i}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"predictions":[1]}');
    slow.push(r.ms);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  assert.ok(median(slow) < median(baseline) + 25, `median ${median(slow).toFixed(1)} ms vs ${median(baseline).toFixed(1)} ms without a logger`);
  assert.ok(Math.max(...slow) < 1000, 'no request waited on the sink');
  // 20 events: one is stuck at the sink, two wait in the queue, the rest are dropped.
  const s = payloads.stats();
  assert.equal(s.queued, 2);
  assert.equal(s.dropped, 17);
});
