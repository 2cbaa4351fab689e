// The gateway's keep-alive pools follow the endpoints: a replica that goes
// away (or a shadow's) has its connections closed at once, not kept until
// the keep-alive runs out, so pools do not pile up for every port ever seen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { MirrorSender } from '../../src/gateway/mirror.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';

interface Upstream { server: Server; origin: string; open: Set<Socket> }

/** An upstream that keeps connections alive and tracks which are open. */
async function upstream(name: string): Promise<Upstream> {
  const open = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ name })));
  });
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, open };
}

const services: IngressService[] = [
  { namespace: 'ns', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [
    { revisionName: 'iris-predictor-00001', percent: 100, latestRevision: true },
  ] },
];
const KEY = 'ns/iris-predictor-00001';

let a: Upstream;
let b: Upstream;
let gw: Gateway;
const endpoints = new EndpointRegistry();

before(async () => {
  a = await upstream('a');
  b = await upstream('b');
  endpoints.set(KEY, [a.origin]);
  const table = compileIngress(services, 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints });
});

after(async () => {
  await gw.close(1000);
  a.server.close();
  b.server.close();
});

async function call(method: 'GET' | 'POST'): Promise<string> {
  const res = await request(`http://127.0.0.1:${gw.port}/v1/models/iris:predict`, {
    method, headers: { host: 'iris.ns.example.com' }, ...(method === 'POST' ? { body: '{}' } : {}),
  });
  return ((await res.body.json()) as { name: string }).name;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a replica's keep-alive connections close when it stops being an endpoint", async () => {
  // GET streams through the gateway's own client, POST too: both kinds of pool are opened.
  assert.equal(await call('GET'), 'a');
  assert.equal(await call('POST'), 'a');
  assert.ok(a.open.size >= 1, 'the gateway keeps a connection to the replica');
  endpoints.set(KEY, [b.origin]);
  await until(() => a.open.size === 0);
  assert.equal(await call('POST'), 'b');
  assert.ok(b.open.size >= 1);
});

test('connections to a replica that is still an endpoint are kept', async () => {
  assert.equal(await call('POST'), 'b');
  const before = [...b.open];
  endpoints.set('ns/other-predictor-00001', []);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await call('POST'), 'b');
  assert.ok(before.every((s) => b.open.has(s)), 'the kept connection was not closed');
});

test("the mirror sender closes a shadow's pool when the shadow is no longer an endpoint", async () => {
  const mirrors = new MirrorSender();
  try {
    const answered = new Promise<number>((resolve) => {
      const record = { requestId: 'r1', namespace: 'ns', service: 'iris', revision: '', variant: '', status: 0, latencyMs: 0 };
      assert.ok(mirrors.send({ origin: a.origin, path: '/', method: 'POST', headers: { host: 'iris-shadow' }, body: Buffer.from('{}'), record, onDone: () => resolve(1) }));
    });
    await answered;
    await until(() => a.open.size >= 1);
    mirrors.retain(new Set([b.origin]));
    await until(() => a.open.size === 0);
  } finally {
    await mirrors.close();
  }
});
