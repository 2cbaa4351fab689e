// The limit flags of `switchyard up` reach its listeners: the real binary,
// its HTTPS API server and its gateway, on loopback.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { rawRequest, slowHead } from '../core/http-clients.ts';
import { removeDir, startUp, type Up } from './harness.ts';

let up: Up;
let ca: string;
const portOf = (url: string) => Number(new URL(url).port);

before(async () => {
  up = await startUp(['--gateway-max-body', '1Ki', '--api-max-body', '1Ki', '--api-header-timeout', '1s', '--gateway-header-timeout', '1s']);
  ca = readFileSync(join(up.dataDir, 'tls', 'server.crt'), 'utf8');
});
after(async () => {
  await up.stop();
  removeDir(up.dataDir);
});

test('--gateway-max-body and --api-max-body: 413 in each protocol\'s format, unread', async () => {
  const gw = await rawRequest({ port: portOf(up.gatewayUrl) }, 'POST /v1/models/iris:predict HTTP/1.1\r\nHost: iris.default.example.com\r\nContent-Length: 2048\r\n\r\n', { bytes: 2048, chunked: false });
  assert.equal(gw.status, 413);
  assert.deepEqual(JSON.parse(gw.body), { error: 'the request body of 2048 bytes exceeds the limit of 1024 bytes' });
  const api = await rawRequest({ port: portOf(up.url), ca }, `POST /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${up.adminToken}\r\nContent-Length: 2048\r\n\r\n`, { bytes: 2048, chunked: false });
  assert.equal(api.status, 413);
  assert.equal(JSON.parse(api.body).errorCode, 'SY_ERR_BODY_TOO_LARGE');
});

test('--api-header-timeout and --gateway-header-timeout: a head that never ends is closed with 408', async () => {
  const [api, gw] = await Promise.all([slowHead({ port: portOf(up.url), ca }), slowHead({ port: portOf(up.gatewayUrl) })]);
  for (const r of [api, gw]) {
    assert.equal(r.status, 408);
    assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
  }
  assert.equal(JSON.parse(api.body).errorCode, 'SY_ERR_REQUEST_TIMEOUT');
  assert.match(JSON.parse(gw.body).error, /head within 1s/);
});
