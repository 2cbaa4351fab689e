// The gateway's upstream HTTP/1.1 client over real sockets: keep-alive reuse,
// the connection cap, request framing, timeouts, aborts, backpressure, the
// upstream's keep-alive hint and a stale kept-alive connection.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { H1Pool } from '../../src/gateway/h1/pool.ts';
import type { UpstreamRequest } from '../../src/gateway/h1/types.ts';
import { failureOf } from '../../src/gateway/retry-on.ts';

interface Answer { status: number; headers: string[]; body: Buffer }

/** Dispatches and collects the answer; `onData` may pause (return false) and resume later. */
function call(pool: H1Pool, req: Partial<UpstreamRequest>, hooks: { onData?: (c: Buffer, resume: () => void) => boolean; abortAfterConnect?: Error } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: string[] = [];
    let resume = (): void => undefined;
    pool.dispatch({ path: '/', method: 'GET', headers: {}, body: null, headersTimeout: 5_000, bodyTimeout: 5_000, ...req }, {
      onConnect: (abort) => { if (hooks.abortAfterConnect) setTimeout(() => abort(hooks.abortAfterConnect), 50); },
      onHeaders: (s, h, r) => { status = s; headers = h; resume = r; return true; },
      onData: (c) => { chunks.push(Buffer.from(c)); return hooks.onData ? hooks.onData(c, resume) : true; },
      onComplete: () => resolve({ status, headers, body: Buffer.concat(chunks) }),
      onError: reject,
    });
  });
}

const servers: Array<Server | TcpServer> = [];
after(() => { for (const s of servers) { (s as Server).closeAllConnections?.(); s.close(); } });

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, setup: (s: Server) => void = () => undefined): Promise<{ origin: string; sockets: Set<Socket> }> {
  const s = createServer(handler);
  setup(s);
  const sockets = new Set<Socket>();
  s.on('connection', (c) => sockets.add(c));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, sockets };
}

async function tcpServer(onSocket: (c: Socket, n: number) => void): Promise<string> {
  let n = 0;
  const s = createTcpServer((c) => onSocket(c, n++));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const echo = (req: IncomingMessage, res: ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
    res.setHeader('x-method', req.method!);
    res.setHeader('x-host', req.headers.host ?? '');
    res.setHeader('x-framing', req.headers['transfer-encoding'] ?? `length ${req.headers['content-length'] ?? 'none'}`);
    res.end(Buffer.concat(chunks));
  });
};

test('sequential requests reuse one kept-alive connection; the host header defaults to the origin', async () => {
  const up = await httpServer(echo, (s) => (s.keepAliveTimeout = 10_000));
  const pool = new H1Pool(up.origin);
  for (let i = 0; i < 10; i++) {
    const a = await call(pool, { method: 'POST', body: Buffer.from(`body ${i}`), headers: { 'content-type': 'text/plain' } });
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), `body ${i}`);
  }
  assert.equal(up.sockets.size, 1);
  const a = await call(pool, {});
  assert.equal(a.headers[a.headers.indexOf('x-host') + 1], up.origin.slice('http://'.length));
  const named = await call(pool, { headers: { host: 'model.example.com' } });
  assert.equal(named.headers[named.headers.indexOf('x-host') + 1], 'model.example.com');
  await pool.close();
});

test('at most `connections` sockets; requests beyond wait and are all answered', async () => {
  let open = 0;
  let peak = 0;
  const up = await httpServer((req, res) => {
    open++;
    peak = Math.max(peak, open);
    setTimeout(() => { open--; echo(req, res); }, 20);
  }, (s) => (s.keepAliveTimeout = 10_000));
  const pool = new H1Pool(up.origin, { connections: 4 });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call(pool, { method: 'PUT', body: Buffer.from(String(i)) })));
  assert.deepEqual(answers.map((a) => a.body.toString()), Array.from({ length: 40 }, (_, i) => String(i)));
  assert.equal(up.sockets.size, 4);
  assert.equal(peak, 4);
  await pool.close();
});

test('bodies: a Buffer goes with its length, a stream with the given length or chunked, POST without a body says 0', async () => {
  const up = await httpServer(echo);
  const pool = new H1Pool(up.origin);
  const header = (a: Answer, n: string): string => a.headers[a.headers.indexOf(n) + 1]!;
  const chunked = await call(pool, { method: 'POST', body: Readable.from([Buffer.from('one,'), Buffer.from('two')]) });
  assert.equal(chunked.body.toString(), 'one,two');
  assert.equal(header(chunked, 'x-framing'), 'chunked');
  const sized = await call(pool, { method: 'POST', headers: { 'content-length': '7' }, body: Readable.from([Buffer.from('one,'), Buffer.from('two')]) });
  assert.equal(sized.body.toString(), 'one,two');
  assert.equal(header(sized, 'x-framing'), 'length 7');
  // The client's own framing headers are never copied next to the connection's.
  const buffered = await call(pool, { method: 'POST', headers: { 'content-length': '999', 'transfer-encoding': 'chunked', connection: 'close' }, body: Buffer.from('abc') });
  assert.equal(header(buffered, 'x-framing'), 'length 3');
  assert.equal(header(await call(pool, { method: 'POST' }), 'x-framing'), 'length 0');
  assert.equal(header(await call(pool, { method: 'GET' }), 'x-framing'), 'length none');
  const head = await call(pool, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  await pool.close();
});

test('a header or target that could split the request is refused and nothing is sent', async () => {
  let requests = 0;
  const up = await httpServer((req, res) => { requests++; echo(req, res); });
  const pool = new H1Pool(up.origin);
  await assert.rejects(call(pool, { headers: { 'x-evil': 'a\r\nx-injected: 1' } }), (err: Error & { code?: string }) => err.code === 'UND_ERR_INVALID_ARG' && /x-evil/.test(err.message));
  await assert.rejects(call(pool, { headers: { 'bad name': 'x' } }), /invalid request header "bad name"/);
  await assert.rejects(call(pool, { headers: { 'x-unicode': 'caf\u00e9 \u2603' } }), /invalid request header "x-unicode"/);
  await assert.rejects(call(pool, { path: '/v1/models/a b HTTP/1.1\r\nx-injected: 1\r\n\r\nGET /' }), /invalid request target/);
  assert.equal(requests, 0);
  assert.equal((await call(pool, {})).status, 200, 'the pool still works');
  await pool.close();
});

test('timeouts: no headers, then headers and a stalled body; a refused connection is a connect failure', async () => {
  const origin = await tcpServer((c, n) => {
    c.on('data', () => {
      if (n === 1) c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
  });
  const pool = new H1Pool(origin);
  const t0 = performance.now();
  await assert.rejects(call(pool, { headersTimeout: 200 }), (err: Error & { code?: string }) => err.code === 'UND_ERR_HEADERS_TIMEOUT');
  assert.ok(performance.now() - t0 >= 190);
  await assert.rejects(call(pool, { headersTimeout: 200, bodyTimeout: 200 }), (err: Error & { code?: string }) => err.code === 'UND_ERR_BODY_TIMEOUT');
  await pool.close();

  const closed = await tcpServer(() => undefined);
  servers.at(-1)!.close();
  await new Promise((r) => setTimeout(r, 20));
  const dead = new H1Pool(closed);
  const err = await call(dead, {}).catch((e: Error) => e);
  assert.equal((err as { code?: string }).code, 'ECONNREFUSED');
  assert.equal(failureOf(err), 'connect-failure');
});

test('an upstream that closes mid-answer is a reset; the next request gets a new connection', async () => {
  const origin = await tcpServer((c, n) => {
    c.on('data', () => {
      if (n === 0) c.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      else c.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  const pool = new H1Pool(origin);
  const err = await call(pool, {}).catch((e: Error) => e);
  assert.equal((err as { code?: string }).code, 'UND_ERR_SOCKET');
  assert.equal(failureOf(err), 'reset');
  assert.equal((await call(pool, {})).body.toString(), 'ok');
  await pool.close();
});

test('a kept-alive connection the upstream dropped is retried once on a new connection', async () => {
  // Each connection answers its first request and drops the next without a word: the keep-alive race.
  const origin = await tcpServer((c) => {
    let served = 0;
    c.on('data', () => {
      if (served++ === 0) c.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else c.destroy();
    });
  });
  const pool = new H1Pool(origin);
  assert.equal((await call(pool, { method: 'POST', body: Buffer.from('x') })).body.toString(), 'ok');
  assert.equal((await call(pool, { method: 'POST', body: Buffer.from('y') })).body.toString(), 'ok', 'retried, not failed');
  // A streamed body cannot be sent twice: that failure is the caller's.
  await assert.rejects(call(pool, { method: 'POST', body: Readable.from([Buffer.from('z')]) }), (e: Error & { code?: string }) => e.code === 'UND_ERR_SOCKET');
  await pool.close();
});

test("the upstream's Keep-Alive timeout hint: an idle connection is given up a second before the upstream would close it", async () => {
  const up = await httpServer(echo, (s) => (s.keepAliveTimeout = 2_000)); // answers carry Keep-Alive: timeout=2
  const pool = new H1Pool(up.origin);
  await call(pool, {});
  await new Promise((r) => setTimeout(r, 300));
  await call(pool, {});
  assert.equal(up.sockets.size, 1, 'reused within the hint');
  await new Promise((r) => setTimeout(r, 1_300));
  assert.equal(pool.size, 0, 'closed by the sweep after timeout − 1 s');
  assert.equal((await call(pool, {})).status, 200);
  assert.equal(up.sockets.size, 2);
  await pool.close();
});

test('abort from the handler ends the exchange with its error and closes the connection', async () => {
  let closedUpstream = false;
  const up = await httpServer((req, res) => { res.writeHead(200); res.write('first'); res.on('close', () => (closedUpstream = true)); });
  const pool = new H1Pool(up.origin);
  await assert.rejects(call(pool, {}, { abortAfterConnect: new Error('client left') }), /client left/);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(closedUpstream);
  await pool.close();
});

test('backpressure: a handler that pauses and resumes receives every byte of a large answer', async () => {
  const BIG = 4 * 1024 * 1024;
  const up = await httpServer((req, res) => { req.resume(); res.end(Buffer.alloc(BIG, 9)); });
  const pool = new H1Pool(up.origin);
  let pauses = 0;
  const a = await call(pool, {}, {
    onData: (_c, resume) => {
      pauses++;
      setTimeout(resume, 1);
      return false;
    },
  });
  assert.equal(a.body.length, BIG);
  assert.ok(pauses > 1);
  await pool.close();
});

test('close() lets exchanges in flight finish and refuses new ones; destroy() fails them', async () => {
  const up = await httpServer((req, res) => setTimeout(() => echo(req, res), 100));
  const pool = new H1Pool(up.origin);
  const inFlight = call(pool, { method: 'POST', body: Buffer.from('late') });
  await new Promise((r) => setTimeout(r, 20));
  const closing = pool.close();
  await assert.rejects(call(pool, {}), (e: Error & { code?: string }) => e.code === 'UND_ERR_DESTROYED');
  assert.equal((await inFlight).body.toString(), 'late');
  await closing;
  assert.equal(pool.size, 0);

  const other = new H1Pool(up.origin);
  const doomed = call(other, {});
  await new Promise((r) => setTimeout(r, 20));
  await other.destroy();
  await assert.rejects(doomed);
});

test('https origins speak TLS and verify the certificate: a self-signed upstream is refused, as undici refused it', async () => {
  const { ensureServingCert } = await import('../../src/server/tls.ts');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer: createHttpsServer } = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'sy-h1-tls-'));
  const { cert, key } = await ensureServingCert(dir, '127.0.0.1');
  rmSync(dir, { recursive: true, force: true });
  let requests = 0;
  const s = createHttpsServer({ cert, key }, (req, res) => { requests++; echo(req, res); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const pool = new H1Pool(`https://127.0.0.1:${(s.address() as AddressInfo).port}`);
  const err = await call(pool, {}).catch((e: Error) => e);
  assert.match(String((err as { code?: string }).code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
  assert.equal(requests, 0);
  await pool.close();
});
