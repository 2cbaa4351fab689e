// http(s):// artifacts from a real local server: cache, limits, timeouts, digests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStorageUri } from '../../src/runtime/storage/index.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const modelBytes = Buffer.from('ONNX'.repeat(5000)); // 20 000 bytes
const hex = createHash('sha256').update(modelBytes).digest('hex');
const hits = new Map<string, number>();
let endlessClosedAt = 0;
let endlessSent = 0;

function endless(res: ServerResponse): void {
  // Chunked, no Content-Length: only counting received bytes can stop it.
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 1);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) endlessSent += chunk.length;
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => (endlessClosedAt = Date.now()));
  pump();
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  hits.set(path, (hits.get(path) ?? 0) + 1);
  switch (path) {
    case '/models/iris.onnx':
    case '/other/name.onnx':
      res.writeHead(200, { 'content-length': modelBytes.length }).end(modelBytes);
      return;
    case '/redirect':
      res.writeHead(302, { location: '/models/iris.onnx' }).end();
      return;
    case '/big.onnx':
      res.writeHead(200, { 'content-length': 50_000_000 });
      res.write(Buffer.alloc(1024));
      return; // never finishes; the client must refuse from the header
    case '/endless.onnx':
      endless(res);
      return;
    case '/slow.onnx':
      return; // headers never come
    case '/stall.onnx':
      res.writeHead(200, { 'content-length': modelBytes.length });
      res.write(modelBytes.subarray(0, 100)); // then nothing
      return;
    case '/broken.onnx':
      res.writeHead(500).end('boom');
      return;
    default:
      res.writeHead(404).end('no such model');
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => {
  server.closeAllConnections();
  server.close();
});

function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sy-storage-http-'));
}

async function rejects(uri: string, dataDir: string, code: ErrorCode, mentions: RegExp, extra: object = {}): Promise<void> {
  await assert.rejects(resolveStorageUri(uri, { dataDir, ...extra }), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(uri), `message names the URI: ${err.message}`);
    assert.match(err.message, mentions);
    return true;
  });
  // A failed download leaves no partial file behind.
  const staging = join(dataDir, 'cache', 'tmp');
  if (existsSync(staging)) assert.deepEqual(readdirSync(staging, { withFileTypes: true }).filter((e) => e.isFile() || e.isDirectory()).map((e) => e.name), [], 'staging area is clean');
}

test('downloads into the content-addressed cache and reuses it without asking the server again', async () => {
  const dataDir = freshDataDir();
  const uri = `${origin}/models/iris.onnx`;
  const first = await resolveStorageUri(uri, { dataDir });
  assert.equal(first.digest, `sha256:${hex}`);
  assert.equal(first.bytes, modelBytes.length);
  assert.equal(first.modelDir, join(dataDir, 'cache', 'sha256', hex));
  assert.deepEqual(first.files, ['iris.onnx']);
  assert.deepEqual(readFileSync(join(first.modelDir, 'iris.onnx')), modelBytes);
  const before = hits.get('/models/iris.onnx');
  const second = await resolveStorageUri(uri, { dataDir });
  assert.deepEqual(second, first);
  assert.equal(hits.get('/models/iris.onnx'), before, 'second call served from cache');
  // A pinned digest finds the entry whatever URL it came from.
  const pinned = await resolveStorageUri(`${origin}/other/name.onnx#sha256=${hex}`, { dataDir });
  assert.deepEqual(pinned, first);
  assert.equal(hits.get('/other/name.onnx'), undefined);
});

test('the same bytes via http, pvc and file have the same digest', async () => {
  const dataDir = freshDataDir();
  mkdirSync(join(dataDir, 'volumes', 'models'), { recursive: true });
  writeFileSync(join(dataDir, 'volumes', 'models', 'iris.onnx'), modelBytes);
  const viaHttp = await resolveStorageUri(`${origin}/models/iris.onnx`, { dataDir });
  const viaPvc = await resolveStorageUri('pvc://models/iris.onnx', { dataDir });
  const viaFile = await resolveStorageUri(`file://${join(dataDir, 'volumes', 'models', 'iris.onnx')}`, { dataDir });
  assert.equal(viaPvc.digest, viaHttp.digest);
  assert.equal(viaFile.digest, viaHttp.digest);
});

test('redirects are followed', async () => {
  const a = await resolveStorageUri(`${origin}/redirect`, { dataDir: freshDataDir() });
  assert.equal(a.digest, `sha256:${hex}`);
});

test('an expected sha256 is enforced and a mismatch caches nothing', async () => {
  const dataDir = freshDataDir();
  const wrong = 'ab'.repeat(32);
  await rejects(`${origin}/models/iris.onnx#sha256=${wrong}`, dataDir, 'SY_ERR_STORAGE_DIGEST', new RegExp(`has sha256 ${hex} but ${wrong} was expected`));
  assert.deepEqual(readdirSync(join(dataDir, 'cache')).filter((n) => n !== 'tmp'), []);
  const ok = await resolveStorageUri(`${origin}/models/iris.onnx`, { dataDir, expectedSha256: `sha256:${hex}` });
  assert.equal(ok.digest, `sha256:${hex}`);
});

test('an oversize download is refused from Content-Length', async () => {
  await rejects(`${origin}/big.onnx`, freshDataDir(), 'SY_ERR_STORAGE_TOO_LARGE', /1000000-byte limit \(Content-Length says 50000000\)/, { maxBytes: 1_000_000 });
});

test('a stream without Content-Length is aborted as soon as it passes the limit', async () => {
  const maxBytes = 1_000_000;
  const started = Date.now();
  await rejects(`${origin}/endless.onnx`, freshDataDir(), 'SY_ERR_STORAGE_TOO_LARGE', /1000000-byte limit \(download aborted/, { maxBytes });
  // The connection is dropped, not drained: the server stops within moments,
  // having sent at most the limit plus what socket buffers hold.
  for (let i = 0; i < 50 && endlessClosedAt === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(endlessClosedAt >= started, 'server saw the connection close');
  assert.ok(endlessSent < maxBytes + 16 * 1024 * 1024, `server pushed ${endlessSent} bytes before the abort`);
});

test('a 404 is a missing artifact; a 500 is a failed download', async () => {
  await rejects(`${origin}/missing.onnx`, freshDataDir(), 'SY_ERR_STORAGE_NOT_FOUND', /HTTP 404/);
  await rejects(`${origin}/broken.onnx`, freshDataDir(), 'SY_ERR_STORAGE_DOWNLOAD', /HTTP 500/);
});

test('a server that never answers, or stalls mid-body, times out', async () => {
  const t0 = Date.now();
  await rejects(`${origin}/slow.onnx`, freshDataDir(), 'SY_ERR_STORAGE_DOWNLOAD', /did not finish within 300 ms/, { fetchTimeoutMs: 300 });
  await rejects(`${origin}/stall.onnx`, freshDataDir(), 'SY_ERR_STORAGE_DOWNLOAD', /did not finish within 300 ms/, { fetchTimeoutMs: 300 });
  assert.ok(Date.now() - t0 < 3000, 'both gave up promptly');
});

test('an unreachable server is a failed download naming the cause', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await rejects(`http://127.0.0.1:${port}/m.onnx`, freshDataDir(), 'SY_ERR_STORAGE_DOWNLOAD', /ECONNREFUSED/);
});
