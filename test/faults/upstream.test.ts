// Replicas that fail under the gateway, on the InferenceService ingress (Istio's
// default retries, as KServe's ingress VirtualService has in a cluster):
// - a replica process killed with SIGKILL while it holds a request;
// - a replica that accepts connections and then never reads nor answers;
// - an upstream that resets every connection it accepts.
// Each failure costs the client a bounded wait and an answer in Envoy's words
// (or a retry on the healthy replica), is recorded as an upstream error, and
// the gateway goes on serving. The gateway's own tests (test/gateway, run by
// this battery too) cover refused connections and route timeouts one by one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';
import { figure } from './processes.ts';

const REQUEST_TIMEOUT_MS = 2000; // the InferenceService's `timeout` in these tests
const KEY = 'ns/m-predictor-00001';
const endpoints = new EndpointRegistry();
const records: ResponseRecord[] = [];
const closers: Array<() => void> = [];
let gw: Gateway;

const origin = (s: Server | TcpServer): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

async function listen<S extends Server | TcpServer>(s: S): Promise<S> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

/** A healthy replica: echoes the body with 200. */
async function healthy(): Promise<{ origin: string; seen: () => number }> {
  let seen = 0;
  const s = await listen(createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      seen++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.concat(chunks));
    });
  }));
  closers.push(() => {
    s.closeAllConnections();
    s.close();
  });
  return { origin: origin(s), seen: () => seen };
}

before(async () => {
  const table = compileIngress([{ namespace: 'ns', name: 'm', scaleFromZero: false, activatorTimeoutMs: 1000, requestTimeoutMs: REQUEST_TIMEOUT_MS, traffic: [{ revisionName: 'm-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, onResponse: (r) => records.push(r) });
});

after(async () => {
  await gw.close(1000);
  for (const close of closers) close();
});

async function predict(body: string, signal?: AbortSignal): Promise<{ status: number; text: string; ms: number }> {
  const t0 = Date.now();
  const r = await fetch(`http://127.0.0.1:${gw.port}/v1/models/m:predict`, { method: 'POST', body, signal, headers: { host: 'm.ns.example.com', 'content-type': 'application/json' } });
  return { status: r.status, text: await r.text(), ms: Date.now() - t0 };
}

// In the body KServe's ingress answers with: {"error": "<Envoy's words>"}.
const ENVOY_RESET = /"upstream connect error or disconnect\/reset before headers\. reset reason: connection termination"/;

test('a replica killed with SIGKILL while it holds a request: 503 in Envoy words at once, recorded, the next request served', async (t) => {
  // A real process that reads the request, says so, and never answers: the test kills it there.
  const child = spawn(process.execPath, ['-e', `
    require('node:http').createServer((req) => req.resume().on('end', () => console.log('holding'))).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  closers.push(() => child.kill('SIGKILL'));
  let out = '';
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (d) => {
    out += d;
    const m = /port (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  }));
  endpoints.set(KEY, [`http://127.0.0.1:${port}`]);
  records.length = 0;
  const pending = predict('{"instances":[[1]]}');
  await new Promise<void>((resolve) => child.stdout!.on('data', () => /holding/.test(out) && resolve()));
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const r = await pending;
  const after = Date.now() - killedAt;
  assert.equal(r.status, 503);
  assert.match(r.text, ENVOY_RESET);
  assert.deepEqual([records[0]?.status, records[0]?.errorClass], [503, 'upstream']);
  assert.ok(after < 1000, `answered ${after} ms after the kill`);
  const good = await healthy();
  endpoints.set(KEY, [good.origin]);
  assert.equal((await predict('{"again":true}')).status, 200);
  figure(t, `replica killed (SIGKILL) holding a request: the client had 503 "${r.text}" ${after} ms after the kill; recorded as an upstream error; the next request 200`);
});

test('an upstream resetting every connection: the requests it takes get 503 in Envoy words (a reset is not in Istio\'s default retryOn), the others are served', async (t) => {
  const sockets: Socket[] = [];
  // Accepts, reads the first bytes of the request, then resets (RST, not FIN).
  const resetting = await listen(createTcpServer((s) => {
    sockets.push(s);
    s.once('data', () => s.resetAndDestroy());
  }));
  closers.push(() => resetting.close());
  const good = await healthy();
  endpoints.set(KEY, [origin(resetting), good.origin]);
  records.length = 0;
  const statuses = new Map<number, number>();
  const N = 100;
  for (let i = 0; i < N; i++) {
    const r = await predict(`{"i":${i}}`);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  // Istio's default retryOn has no plain reset: a request the resetting replica took fails, in Envoy's words.
  const failed = records.filter((r) => r.status !== 200);
  assert.equal(statuses.get(200)! + failed.length, N);
  assert.ok(failed.every((r) => r.status === 503 && r.errorClass === 'upstream'), JSON.stringify(failed.slice(0, 3)));
  assert.equal(good.seen(), statuses.get(200));

  endpoints.set(KEY, [origin(resetting)]);
  const alone = await predict('{}');
  assert.equal(alone.status, 503);
  assert.match(alone.text, ENVOY_RESET);
  figure(t, `one of two replicas resets every connection, ${N} requests: ${statuses.get(200)} answered 200 by the healthy one, ${failed.length} got 503 "connection termination" `
    + `(${sockets.length} connections reset); alone: 503 "${alone.text}" in ${alone.ms} ms`);
});

// Bounded by the component's `timeout` (Knative's revision timeoutSeconds, KServe's component
// `timeout`; here 2 s): a replica that takes a request and never answers holds its client that long,
// then the client gets 504 "upstream request timeout". It measures how long the client was held.
const CLIENT_WAIT_MS = 10_000;

test('a replica that stops reading: the request is answered within a bound, and the healthy replica serves on', async (t) => {
  // Accepts connections and never reads from them nor answers.
  const held: Socket[] = [];
  const deaf = await listen(createTcpServer((s) => {
    s.pause();
    held.push(s);
  }));
  closers.push(() => {
    for (const s of held) s.destroy();
    deaf.close();
  });
  endpoints.set(KEY, [origin(deaf)]);
  const r = await predict('{"instances":[[1]]}', AbortSignal.timeout(CLIENT_WAIT_MS))
    .catch(() => ({ status: 0, text: `no answer; the client gave up after ${CLIENT_WAIT_MS / 1000} s`, ms: CLIENT_WAIT_MS }));
  const good = await healthy();
  endpoints.set(KEY, [good.origin]);
  assert.equal((await predict('{"again":true}')).status, 200, 'the gateway serves on');
  figure(t, `replica that stops reading: ${r.status === 0 ? r.text : `${r.status} "${r.text}" after ${(r.ms / 1000).toFixed(1)} s`}; the next request (healthy replica) 200`);
  assert.ok(r.status === 504, `status ${r.status}: ${r.text}`);
  assert.ok(r.ms < REQUEST_TIMEOUT_MS * 3 + 2000, `held ${r.ms} ms; the timeout is ${REQUEST_TIMEOUT_MS} ms a try`);
});
