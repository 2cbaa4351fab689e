// A request that fails in a way the gateway did not foresee is that request's
// failure: the client gets a 500 and the gateway (and `switchyard up` with it)
// keeps serving.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';

let upstream: Server;
let gw: Gateway;
let broken = false;
const errors: string[] = [];
const consoleError = console.error;

before(async () => {
  upstream = createServer((req, res) => req.resume().on('end', () => res.end('{"predictions":[1]}')));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const endpoints = new EndpointRegistry();
  endpoints.set('ns/m-predictor-00001', [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
  const table = compileIngress([{ namespace: 'ns', name: 'm', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'm-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  gw = await startGateway({
    port: 0, endpoints,
    ingress: () => {
      if (broken) throw new Error('routing table unreadable');
      return table;
    },
  });
  console.error = (...args: unknown[]) => void errors.push(args.join(' '));
});

after(async () => {
  console.error = consoleError;
  await gw.close(1000);
  upstream.close();
});

// fetch sends the URL's Host; the ingress routes by the model path.
async function predict(): Promise<{ status: number; text: string; requestId: string | null }> {
  const r = await fetch(`http://127.0.0.1:${gw.port}/v1/models/m:predict`, { method: 'POST', body: '{}', headers: { 'x-request-id': 'req-1' } });
  return { status: r.status, text: await r.text(), requestId: r.headers.get('x-request-id') };
}

test('an unforeseen failure answers 500, is logged with the request, and the next request is served', async () => {
  assert.equal((await predict()).status, 200);
  broken = true;
  const r = await predict();
  assert.equal(r.status, 500);
  assert.deepEqual(JSON.parse(r.text), { error: 'internal gateway error' });
  assert.equal(r.requestId, 'req-1');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^gateway: POST 127\.0\.0\.1:\d+\/v1\/models\/m:predict failed: Error: routing table unreadable/);
  broken = false;
  assert.equal((await predict()).status, 200);
});
