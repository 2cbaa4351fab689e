// Reference processes for bench/gateway.ts, each doing the same 90/10 split
// between upstreams A and B and nothing else (no routing table, request id,
// telemetry or log), so the gateway's own cost and its client's can be read
// off side by side in one run:
//   naive:    node:http server, undici `request`, `pipe` (the issue's reference point);
//   dispatch: node:http server, buffered body, undici `dispatch` with a raw-header handler
//             (how the gateway's hot path used undici);
//   h1:       the same with the gateway's own upstream client (src/gateway/h1/);
//   hello:    a node:http server answering a constant body itself, no upstream: the floor
//             of any proxy built on node:http.

const listen = `
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.error('PORT ' + server.address().port));
`;

export const naiveProxySource = (root: string, a: number, b: number): string => `
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
const { Pool } = createRequire(${JSON.stringify(`${root}/package.json`)})('undici');
const pools = [new Pool('http://127.0.0.1:${a}', { connections: 64 }), new Pool('http://127.0.0.1:${b}', { connections: 64 })];
const server = createServer(async (req, res) => {
  try {
    const up = await pools[Math.random() < 0.9 ? 0 : 1].request({ path: req.url, method: req.method, headers: req.headers, body: req });
    res.writeHead(up.statusCode, up.headers);
    up.body.pipe(res);
  } catch (err) {
    res.writeHead(502).end(String(err));
  }
});
${listen}`;

/** The shared minimal proxy: buffered body, headers minus hop-by-hop, the answer streamed by a handler class. */
const minimalProxy = (pools: string, toString: (expr: string) => string): string => `
import { createServer } from 'node:http';
${pools}
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);
class Handler {
  constructor(res) { this.res = res; }
  onConnect() {}
  onHeaders(status, raw) {
    const out = [];
    for (let i = 0; i < raw.length; i += 2) {
      const n = ${toString('raw[i]')};
      const l = n.toLowerCase();
      if (l !== 'connection' && l !== 'keep-alive' && l !== 'transfer-encoding') out.push(n, ${toString('raw[i + 1]')});
    }
    this.res.writeHead(status, out);
    return true;
  }
  onData(c) { this.res.write(c); return true; }
  onComplete() { this.res.end(); }
  onError() { if (!this.res.headersSent) this.res.writeHead(502); this.res.end(); }
}
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const headers = {};
    for (const k in req.headers) if (!HOP.has(k)) headers[k] = req.headers[k];
    headers.host = req.headers.host;
    pools[Math.random() < 0.9 ? 0 : 1].dispatch({ path: req.url, method: req.method, headers, body, headersTimeout: 30000, bodyTimeout: 30000 }, new Handler(res));
  });
});
${listen}`;

export const dispatchProxySource = (root: string, a: number, b: number): string => minimalProxy(`
import { createRequire } from 'node:module';
const { Pool } = createRequire(${JSON.stringify(`${root}/package.json`)})('undici');
const pools = [new Pool('http://127.0.0.1:${a}', { connections: 64 }), new Pool('http://127.0.0.1:${b}', { connections: 64 })];`, (x: string) => `${x}.toString('latin1')`);

export const h1ProxySource = (root: string, a: number, b: number): string => minimalProxy(`
const { H1Pool } = await import(${JSON.stringify(`${root}/src/gateway/h1/pool.ts`)});
const pools = [new H1Pool('http://127.0.0.1:${a}'), new H1Pool('http://127.0.0.1:${b}')];`, (x: string) => x);

export const helloSource = `
import { createServer } from 'node:http';
const body = '{"predictions":[1]}';
const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, headers); res.end(body); }); });
${listen}`;
