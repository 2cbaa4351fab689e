// The InferenceService ingress under Istio's default retries, as KServe's
// ingress VirtualService is in a cluster: a refused connection or a 503 goes
// to another replica (the buffered body sent again), at most 2 retries; a
// body over the buffer limit is streamed and never retried; a replica that
// refuses every connection costs the client a 503 in Envoy's words, not the
// gateway its life.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';

const KEY = 'ns/m-predictor-00001';
const servers: Server[] = [];
const endpoints = new EndpointRegistry();
const records: ResponseRecord[] = [];
let gw: Gateway;
let refused: string;

/** A replica that answers `status` for its first `failures` requests, then echoes the body with 200. */
async function replica(failures: number, status = 503): Promise<{ origin: string; seen: string[] }> {
  const seen: string[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(body);
      if (seen.length <= failures) res.writeHead(status, { 'content-type': 'text/plain' }).end(`replica says ${status}`);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

before(async () => {
  // A port that was open a moment ago: connections to it are refused.
  const t = createTcpServer();
  await new Promise<void>((r) => t.listen(0, '127.0.0.1', () => r()));
  refused = `http://127.0.0.1:${(t.address() as AddressInfo).port}`;
  await new Promise<void>((r) => t.close(() => r()));
  const table = compileIngress([{ namespace: 'ns', name: 'm', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'm-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, onResponse: (r) => records.push(r), mirror: { bodyLimitBytes: 4096 } });
});

after(async () => {
  await gw.close(1000);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function predict(body: string): Promise<{ status: number; text: string; revision: string | null }> {
  const r = await fetch(`http://127.0.0.1:${gw.port}/v1/models/m:predict`, { method: 'POST', body, headers: { host: 'm.ns.example.com', 'content-type': 'application/json' } });
  return { status: r.status, text: await r.text(), revision: r.headers.get('x-switchyard-revision') };
}

test('a replica that refuses connections: every request is answered by the other, body and all', async () => {
  const good = await replica(0);
  endpoints.set(KEY, [refused, good.origin]);
  for (let i = 0; i < 20; i++) {
    const r = await predict(`{"instances":[[${i}]]}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, `{"instances":[[${i}]]}`);
    assert.equal(r.revision, 'm-predictor-00001');
  }
  assert.equal(good.seen.length, 20);
});

test('a 503 is held and retried on another replica; the client never sees it', async () => {
  const flaky = await replica(1_000);
  const good = await replica(0);
  endpoints.set(KEY, [flaky.origin, good.origin]);
  for (let i = 0; i < 10; i++) {
    const r = await predict(`{"i":${i}}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, `{"i":${i}}`);
  }
  assert.ok(flaky.seen.length >= 1, 'the 503 replica was tried');
  assert.equal(good.seen.length, 10);
});

test('at most 2 retries: a replica that keeps answering 503 is tried 3 times, then its 503 reaches the client', async () => {
  const down = await replica(1_000);
  endpoints.set(KEY, [down.origin]);
  const r = await predict('{"x":1}');
  assert.equal(r.status, 503);
  assert.equal(r.text, 'replica says 503');
  assert.equal(down.seen.length, 3);
  // Other statuses are the upstream's answer, not retried.
  const broken = await replica(1_000, 500);
  endpoints.set(KEY, [broken.origin]);
  assert.equal((await predict('{"x":2}')).status, 500);
  assert.equal(broken.seen.length, 1);
});

test('only refused connections left: 503 in Envoy words, recorded as an upstream error, and the gateway keeps serving', async () => {
  endpoints.set(KEY, [refused]);
  records.length = 0;
  const r = await predict('{}');
  assert.equal(r.status, 503);
  assert.match(r.text, /upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/);
  assert.deepEqual([records[0]?.status, records[0]?.errorClass], [503, 'upstream']);
  const good = await replica(0);
  endpoints.set(KEY, [good.origin]);
  assert.equal((await predict('{"again":true}')).status, 200);
});

test('a body over the buffer limit is streamed and never sent twice', async () => {
  const down = await replica(1_000);
  const good = await replica(0);
  endpoints.set(KEY, [down.origin, good.origin]);
  const big = JSON.stringify({ instances: [Array.from({ length: 2_000 }, (_, i) => i)] }); // > 4096 bytes
  const answers = [await predict(big), await predict(big)];
  // Round robin: one of the two went to the 503 replica and was not retried.
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 503]);
  assert.equal(down.seen.length, 1);
  assert.equal(down.seen[0]!.length, big.length);
});
