// The API server's limits on its clients, against the real server on loopback
// over real SQLite: a head that never ends gets 408, a body over the limit 413
// before it is read, thousands of idle connections and hundreds of watches
// leave the other clients served, and watches beyond the cap get 429 with
// Retry-After. Every answer is a metav1.Status with its Switchyard code.
import assert from 'node:assert/strict';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import type { ApiLimits } from '../../src/server/apiserver/limits.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { idleConnections, latencies, quantile, rawRequest, slowHead } from '../core/http-clients.ts';

const MiB = 1024 * 1024;
const SE = '/apis/networking.istio.io/v1/namespaces/ml/serviceentries';
let dir: string;
let store: Store;
let tokens: TokenRegistry;
let admin: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-api-limits-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  tokens = new TokenRegistry(join(dir, 'tokens.json'));
  admin = tokens.create('admin', 'admin');
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function server(limits: Partial<ApiLimits>): Promise<ApiServer> {
  const api = await startApiServer({ store, tokens, port: 0, limits });
  const ns = await fetch(`${api.url}/api/v1/namespaces`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: JSON.stringify({ metadata: { name: 'ml' } }) });
  assert.ok(ns.status === 201 || ns.status === 409);
  return api;
}

async function list(api: ApiServer): Promise<number> {
  const r = await fetch(`${api.url}${SE}`, { headers: { authorization: `Bearer ${admin}` } });
  await r.arrayBuffer();
  return r.status;
}

const se = (name: string) => JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name }, spec: { hosts: [`${name}.external`] } });

describe('heads and bodies', () => {
  let api: ApiServer;
  before(async () => (api = await server({ headersTimeoutMs: 1000, maxBodyBytes: 64 * 1024 })));
  after(() => api.close());

  test('a head that never ends: 408 Status, closed; other clients are served meanwhile', async () => {
    const slow = slowHead({ port: api.port });
    const served: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) served.push(await list(api));
    const r = await slow;
    assert.equal(r.status, 408);
    assert.equal(r.headers.connection, 'close');
    const status = JSON.parse(r.body);
    assert.deepEqual([status.kind, status.code, status.reason, status.errorCode], ['Status', 408, 'Timeout', 'SY_ERR_REQUEST_TIMEOUT']);
    assert.match(status.message, /head within 1s/);
    assert.ok(r.closedAfterMs >= 950 && r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
    assert.ok(served.length > 5 && served.every((c) => c === 200), served.join(','));
  });

  const post = (framing: string) => `POST ${SE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\n${framing}\r\n`;

  test('a body declared over the limit: 413 Status before it is read, nothing stored', async () => {
    const before = (await store.verifyAudit()).records;
    const r = await rawRequest({ port: api.port }, post(`Content-Length: ${100 * MiB}\r\n`), { bytes: 100 * MiB, chunked: false });
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    assert.equal(JSON.parse(r.body).errorCode, 'SY_ERR_BODY_TOO_LARGE');
    assert.ok(r.flushed < 24 * MiB, `the server took ${(r.flushed / MiB).toFixed(1)} MiB`);
    console.log(`# API: declared 100 MiB body refused after the server took ${(r.flushed / MiB).toFixed(1)} MiB`);
    assert.equal((await store.verifyAudit()).records, before);
  });

  test('a chunked body that outgrows the limit: 413 Status, the rest unread, closed', async () => {
    const r = await rawRequest({ port: api.port }, post('Transfer-Encoding: chunked\r\n'), { bytes: 100 * MiB, chunked: true });
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    const status = JSON.parse(r.body);
    assert.deepEqual([status.code, status.reason, status.message], [413, 'RequestEntityTooLarge', 'the request body exceeds the limit of 65536 bytes']);
    assert.ok(r.flushed < 24 * MiB, `the server took ${(r.flushed / MiB).toFixed(1)} MiB`);
    console.log(`# API: chunked 100 MiB body refused after the server took ${(r.flushed / MiB).toFixed(1)} MiB`);
  });

  test('a head over the limit: 431 Status', async () => {
    const small = await server({ maxHeaderBytes: 8 * 1024 });
    try {
      const r = await rawRequest({ port: small.port }, `GET ${SE} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(16 * 1024)}\r\n\r\n`);
      assert.equal(r.status, 431);
      assert.equal(JSON.parse(r.body).errorCode, 'SY_ERR_HEADER_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});

/** A watch on the ServiceEntries of ml; resolves once its headers arrived, and collects event types. */
function watch(api: ApiServer, agent: Agent): Promise<{ res: IncomingMessage; req: ClientRequest; events: string[] }> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const req = request(`${api.url}${SE}?watch=true`, { agent, headers: { authorization: `Bearer ${admin}` } }, (res) => {
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          events.push(JSON.parse(buf.slice(0, i)).type);
          buf = buf.slice(i + 1);
        }
      });
      res.on('error', () => undefined);
      resolve({ res, req, events });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('connections and watches', () => {
  test('3000 idle connections and 500 watches: other clients are served with bounded latency, every watcher gets its events', async () => {
    const api = await server({});
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    try {
      for (let i = 0; i < 20; i++) await list(api);
      const base = await latencies(200, async () => assert.equal(await list(api), 200));
      const idle = await idleConnections({ port: api.port }, 3000);
      const withIdle = await latencies(200, async () => assert.equal(await list(api), 200));
      const watches = [];
      for (let i = 0; i < 500; i += 50) watches.push(...(await Promise.all(Array.from({ length: 50 }, () => watch(api, agent)))));
      assert.ok(watches.every((w) => w.res.statusCode === 200));
      const withWatches = await latencies(200, async () => assert.equal(await list(api), 200));
      const fmt = (l: number[]) => `${quantile(l, 0.5).toFixed(2)}/${quantile(l, 0.99).toFixed(2)}`;
      console.log(`# API p50/p99 ms: alone ${fmt(base)}, with 3000 idle connections ${fmt(withIdle)}, and 500 watches ${fmt(withWatches)}`);
      assert.ok(quantile(withIdle, 0.99) < 250 && quantile(withWatches, 0.99) < 250);

      const t0 = performance.now();
      const created = await fetch(`${api.url}${SE}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: se('flood') });
      assert.equal(created.status, 201);
      while (watches.some((w) => !w.events.includes('ADDED')) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      console.log(`# API: an object created reached all 500 watchers in ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal(watches.filter((w) => w.events.includes('ADDED')).length, 500);
      for (const w of watches) w.req.destroy();
      for (const s of idle) s.destroy();
    } finally {
      agent.destroy();
      await api.close();
    }
  });

  test('watches beyond the cap get 429 TooManyRequests with Retry-After; a closed one frees its slot', async () => {
    const api = await server({ maxWatches: 20 });
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    try {
      const open = await Promise.all(Array.from({ length: 20 }, () => watch(api, agent)));
      const extra = await fetch(`${api.url}${SE}?watch=true`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(extra.status, 429);
      assert.equal(extra.headers.get('retry-after'), '1');
      const status = (await extra.json()) as { reason: string; errorCode: string; details: { retryAfterSeconds: number } };
      assert.deepEqual([status.reason, status.errorCode, status.details.retryAfterSeconds], ['TooManyRequests', 'SY_ERR_TOO_MANY_REQUESTS', 1]);
      assert.equal(await list(api), 200, 'other requests are served');
      open[0]!.req.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await watch(api, agent);
      assert.equal(again.res.statusCode, 200);
      for (const w of [...open, again]) w.req.destroy();
    } finally {
      agent.destroy();
      await api.close();
    }
  });
});
