// The streamed hot path (forward.ts) over real sockets: a large answer to a
// slow reader arrives whole (backpressure), a client that leaves mid-answer
// stops the upstream exchange and frees the request, and the upstream's own
// copy of a header the gateway sets does not reach the client twice.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';

const BIG = 8 * 1024 * 1024;
let upstream: Server;
let gw: Gateway;
const records: ResponseRecord[] = [];
let hanging: ServerResponse | undefined;
let upstreamClosed: Promise<void> | undefined;

before(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    if (req.url?.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG, 'x-request-id': 'from-upstream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < BIG) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    // Headers and a first chunk, then nothing: the client will leave.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first');
    hanging = res;
    upstreamClosed = new Promise((r) => res.once('close', () => r()));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const endpoints = new EndpointRegistry();
  endpoints.set('ns/m-predictor-00001', [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
  const table = compileIngress([{ namespace: 'ns', name: 'm', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'm-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, onResponse: (r) => records.push(r) });
});

after(async () => {
  await gw.close(1000);
  upstream.closeAllConnections();
  upstream.close();
});

function get(path: string, onResponse: (res: import('node:http').IncomingMessage, req: import('node:http').ClientRequest) => void): void {
  const req = httpRequest({ host: '127.0.0.1', port: gw.port, path, headers: { host: 'm.ns.example.com', 'x-request-id': 'client-id' } }, (res) => onResponse(res, req));
  req.end();
}

test('a large answer to a slow reader arrives whole, with one x-request-id (ours)', async () => {
  const { status, size, ids } = await new Promise<{ status: number; size: number; ids: string[] }>((resolve, reject) => {
    get('/big', (res) => {
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // Read slowly at first, so the gateway has to hold the upstream back.
        if (size < 2 * 1024 * 1024) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, size, ids: res.rawHeaders.filter((_, i, a) => i % 2 === 1 && a[i - 1]!.toLowerCase() === 'x-request-id') }));
      res.on('error', reject);
    });
  });
  assert.equal(status, 200);
  assert.equal(size, BIG);
  assert.deepEqual(ids, ['client-id']);
  assert.equal(records.at(-1)!.status, 200);
});

test('a client leaving mid-answer ends the upstream exchange and frees the request', async () => {
  const before = records.length;
  await new Promise<void>((resolve) => {
    get('/hang', (res, req) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
  });
  await Promise.race([upstreamClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('the upstream exchange was not ended')), 2000))]);
  assert.ok(hanging);
  for (let i = 0; i < 100 && records.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(records.length, before + 1);
  assert.equal(gw.inflight('ns/m-predictor-00001'), 0);
});
