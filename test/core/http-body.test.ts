import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/core/http-body.ts';

/** A server answering the body's length, or the error's code; `send` writes chunks without a Content-Length. */
async function roundTrip(chunks: string[], limit: number, declare = false): Promise<string> {
  const server = createServer((req, res) => {
    readBody(req, limit).then((b) => res.end(`ok ${b.length}`), (err: { code?: string }) => res.end(String(err.code)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<string>((resolve, reject) => {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', headers: declare ? { 'content-length': total } : {} }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  } finally {
    server.close();
  }
}

test('a body within the limit is read whole; one over it is SY_ERR_BODY_TOO_LARGE, declared or streamed', async () => {
  assert.equal(await roundTrip(['abc', 'def'], 6), 'ok 6');
  assert.equal(await roundTrip(['abc', 'defg'], 6), 'SY_ERR_BODY_TOO_LARGE');
  assert.equal(await roundTrip(['x'.repeat(100)], 10, true), 'SY_ERR_BODY_TOO_LARGE');
});
