// The gateway's limits on its clients, each against the real gateway on
// loopback with a real upstream: a head that never ends is closed with 408,
// a body over the limit is refused with 413 before it is read (and never
// reaches the model), thousands of idle connections cost the others nothing,
// and connections beyond the cap are closed while the open ones are served.
// Errors are KServe's {"error": "..."}.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LINGER_MS } from '../../src/core/http-limits.ts';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';
import { idleConnections, latencies, quantile, rawRequest, slowHead } from '../core/http-clients.ts';

const MiB = 1024 * 1024;
const PATH = '/v1/models/m:predict';

/** The model: answers a prediction once it has the whole body; counts what it got. */
let upstream: Server;
const seen = { requests: 0, complete: 0, bytes: 0 };
const records: ResponseRecord[] = [];

async function gateway(limits: Parameters<typeof startGateway>[0]['limits']): Promise<Gateway> {
  const endpoints = new EndpointRegistry();
  endpoints.set('ns/m-predictor-00001', [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
  const table = compileIngress([{ namespace: 'ns', name: 'm', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'm-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  return startGateway({ port: 0, endpoints, ingress: () => table, limits, onResponse: (r) => records.push(r) });
}

async function predict(gw: Gateway): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${gw.port}${PATH}`, { method: 'POST', body: '{"instances":[[1,2,3,4]]}' });
  await r.arrayBuffer();
  return r.status;
}

before(async () => {
  upstream = createServer((req, res) => {
    seen.requests++;
    req.on('data', (d: Buffer) => (seen.bytes += d.length));
    req.on('end', () => {
      seen.complete++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"predictions":[1]}');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
});
after(() => void upstream.close());

describe('heads and bodies', () => {
  let gw: Gateway;
  before(async () => (gw = await gateway({ headersTimeoutMs: 1000, maxBodyBytes: 4 * MiB })));
  after(() => gw.close(1000));

  test('a head that never ends is answered 408 in KServe\'s format and closed; other clients are served meanwhile', async () => {
    const slow = slowHead({ port: gw.port });
    const silent = rawRequest({ port: gw.port }, '');
    const served: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) served.push(await predict(gw));
    const [s, q] = await Promise.all([slow, silent]);
    for (const answer of [s, q]) {
      assert.equal(answer.status, 408);
      assert.equal(answer.headers.connection, 'close');
      assert.deepEqual(JSON.parse(answer.body), { error: 'the request did not arrive in time (head within 1s, whole request within 300s)' });
      // node checks the deadlines of open connections every second at most
      assert.ok(answer.closedAfterMs >= 950 && answer.closedAfterMs < 3000, `closed after ${answer.closedAfterMs} ms`);
    }
    assert.ok(served.length > 5 && served.every((c) => c === 200), `served while the heads dragged on: ${served.join(',')}`);
  });

  test('a body declared over the limit is refused with 413 before it is read, and never reaches the model', async () => {
    const before = { ...seen };
    const total = 200 * MiB;
    const r = await rawRequest({ port: gw.port }, `POST ${PATH} HTTP/1.1\r\nHost: m.ns.example.com\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`, { bytes: total, chunked: false });
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    assert.deepEqual(JSON.parse(r.body), { error: `the request body of ${total} bytes exceeds the limit of ${4 * MiB} bytes` });
    // What the server took is what loopback socket buffers hold, not the 200 MiB sent at it.
    assert.ok(r.flushed < 24 * MiB, `the server took ${(r.flushed / MiB).toFixed(1)} MiB of ${total / MiB} MiB`);
    console.log(`# declared 200 MiB body: refused after the server took ${(r.flushed / MiB).toFixed(1)} MiB, closed in ${r.closedAfterMs.toFixed(0)} ms`);
    assert.equal(seen.requests, before.requests, 'nothing was forwarded');
  });

  test('Expect: 100-continue with a body over the limit gets 413 instead of 100 Continue', async () => {
    const r = await rawRequest({ port: gw.port }, `POST ${PATH} HTTP/1.1\r\nHost: m.ns.example.com\r\nExpect: 100-continue\r\nContent-Length: ${8 * MiB}\r\n\r\n`);
    assert.equal(r.status, 413);
    assert.doesNotMatch(r.body, /100 Continue/);
  });

  test('a chunked body that outgrows the limit is cut off with 413 while streaming to the model; not counted as the model\'s failure', async () => {
    // A fresh gateway: its first request opens the upstream connection while the body streams in.
    const gw = await gateway({ headersTimeoutMs: 1000, maxBodyBytes: 4 * MiB });
    after(() => gw.close(1000));
    const before = { ...seen };
    records.length = 0;
    const r = await rawRequest({ port: gw.port }, `POST ${PATH} HTTP/1.1\r\nHost: m.ns.example.com\r\nTransfer-Encoding: chunked\r\n\r\n`, { bytes: 200 * MiB, chunked: true });
    // The client, still sending, reads the answer: the connection is half-closed and closed only after a pause.
    assert.equal(r.status, 413);
    assert.ok(r.closedAfterMs >= LINGER_MS, `closed after ${r.closedAfterMs} ms`);
    assert.deepEqual(JSON.parse(r.body), { error: `the request body exceeds the limit of ${4 * MiB} bytes` });
    assert.ok(r.flushed < 24 * MiB, `the server took ${(r.flushed / MiB).toFixed(1)} MiB`);
    console.log(`# chunked 200 MiB body: refused after the server took ${(r.flushed / MiB).toFixed(1)} MiB, closed in ${r.closedAfterMs.toFixed(0)} ms`);
    assert.equal(seen.complete, before.complete, 'the model never got a complete request');
    assert.ok(seen.bytes - before.bytes <= 4 * MiB, 'the model got no more than the limit');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(records.map((x) => [x.status, x.errorClass]), [[413, undefined]]);
    assert.equal(await predict(gw), 200);
  });

  test('a body within the limit, declared or chunked, is served', async () => {
    const body = { bytes: 2 * MiB, chunked: false };
    const declared = await rawRequest({ port: gw.port }, `POST ${PATH} HTTP/1.1\r\nHost: m.ns.example.com\r\nConnection: close\r\nContent-Length: ${body.bytes}\r\n\r\n`, body);
    assert.equal(declared.status, 200);
    const chunked = await rawRequest({ port: gw.port }, `POST ${PATH} HTTP/1.1\r\nHost: m.ns.example.com\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`, { ...body, chunked: true });
    assert.equal(chunked.status, 200);
  });
});

describe('connections', () => {
  test('3000 idle connections: the others are served with bounded latency', async () => {
    const gw = await gateway({});
    try {
      for (let i = 0; i < 20; i++) await predict(gw); // warm
      const base = await latencies(200, async () => assert.equal(await predict(gw), 200));
      const idle = await idleConnections({ port: gw.port }, 3000);
      const loaded = await latencies(200, async () => assert.equal(await predict(gw), 200));
      console.log(`# gateway p50/p99 ms without idle connections ${quantile(base, 0.5).toFixed(2)}/${quantile(base, 0.99).toFixed(2)}, with 3000: ${quantile(loaded, 0.5).toFixed(2)}/${quantile(loaded, 0.99).toFixed(2)}`);
      assert.ok(quantile(loaded, 0.99) < 250, `p99 ${quantile(loaded, 0.99)} ms`);
      assert.equal(idle.filter((s) => s.destroyed).length, 0, 'idle connections are kept until their head deadline');
      for (const s of idle) s.destroy();
    } finally {
      await gw.close(1000);
    }
  });

  test('connections beyond the cap are closed at once; once the idle ones time out, the gateway serves again', async () => {
    const gw = await gateway({ maxConnections: 20, headersTimeoutMs: 1000 });
    try {
      const idle = await idleConnections({ port: gw.port }, 20);
      const refused = await rawRequest({ port: gw.port }, `GET /v1/models/m HTTP/1.1\r\nHost: m.ns.example.com\r\n\r\n`);
      assert.equal(refused.status, 0, 'closed without an answer');
      assert.ok(refused.closedAfterMs < 500);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(idle.filter((s) => !s.destroyed).length, 0, 'the idle connections were closed by their head deadline');
      assert.equal(await predict(gw), 200);
    } finally {
      await gw.close(1000);
    }
  });
});
