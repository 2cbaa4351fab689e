// What the gateway hands the prediction log, end to end through a real
// gateway, a real upstream and a real SQLite file: the artifact digest from
// the routing table, the unit key (hashed) and strata; never a header; the
// request body only where a PredictionLogPolicy keeps it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { compileCohorts } from '../../src/gateway/cohorts.ts';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type GatewaySnapshot } from '../../src/gateway/server.ts';
import { gatewayObservers } from '../../src/gateway/telemetry/hooks.ts';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { PredictionLog } from '../../src/store/predictions.ts';
import { keyedHash } from '../../src/store/predictions-policy.ts';

const KEY = Buffer.alloc(32, 9);
const DIGEST_1 = `sha256:${'1'.repeat(64)}`;
const DIGEST_2 = `sha256:${'2'.repeat(64)}`;
const SECRET_HEADERS = { authorization: 'Bearer tok-7c1f-never-stored', 'x-api-key': 'key-5e2a-never-stored', cookie: 'session=sess-90ab-never-stored' };
const BODY = '{"instances":[{"ssn":"123-45-6789","amount":12.5}]}';

let dir: string;
let upstreamServer: Server;
let gw: Gateway;
let log: PredictionLog;
let table: GatewaySnapshot;
const endpoints = new EndpointRegistry();

function service(revision: string, digest: string): IngressService {
  return {
    namespace: 'bank', name: 'fraud', scaleFromZero: false, activatorTimeoutMs: 1000,
    traffic: [{ revisionName: revision, percent: 100, latestRevision: true }],
    digests: { [revision]: digest },
    cohorts: compileCohorts('bank/plan', { unit: { header: 'x-user-id' }, strata: [{ name: 'tier', header: 'x-tier' }] }),
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-capture-'));
  upstreamServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"predictions":[0.93]}');
    });
  });
  await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(upstreamServer.address() as AddressInfo).port}`;
  endpoints.set('bank/fraud-predictor-00001', [origin]);
  endpoints.set('bank/fraud-predictor-00002', [origin]);
  table = compileIngress([service('fraud-predictor-00001', DIGEST_1)], 'example.com', 1);
  log = new PredictionLog({ path: join(dir, 'switchyard.db'), flushIntervalMs: 60_000, hashKey: KEY });
  const observers = gatewayObservers(new TelemetryRecorder(), log);
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, ...observers });
});

after(async () => {
  await gw.close(1000);
  await log.close();
  upstreamServer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function predict(extra: Record<string, string> = {}): Promise<string> {
  const res = await request(`http://127.0.0.1:${gw.port}/v1/models/fraud:predict`, {
    method: 'POST', body: BODY,
    headers: { host: 'fraud.bank.example.com', 'content-type': 'application/json', 'x-user-id': 'user-31337', 'x-tier': 'gold', ...SECRET_HEADERS, ...extra },
  });
  assert.equal(res.statusCode, 200);
  await res.body.text();
  return res.headers['x-request-id'] as string;
}

/** Every byte of the database and its write-ahead log, to look for what must never be there. */
function fileBytes(): Buffer {
  const path = join(dir, 'switchyard.db');
  return Buffer.concat([path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

test('a row carries the digest, strata and hashed unit key, the answer, and neither headers nor the body', async () => {
  const id = await predict();
  await log.flush();
  const [row] = log.query({ namespace: 'bank', service: 'fraud' });
  assert.equal(row!.requestId, id);
  assert.equal(row!.revision, 'fraud-predictor-00001');
  assert.equal(row!.digest, DIGEST_1);
  assert.deepEqual(row!.cohort, { tier: 'gold' });
  assert.equal(row!.unit, keyedHash(KEY, 'bank', 'user-31337'), 'joinable to feedback by the same keyed hash');
  assert.deepEqual(row!.output, { predictions: [0.93] });
  assert.equal(row!.input, null);
  const bytes = fileBytes();
  for (const secret of [...Object.values(SECRET_HEADERS), '123-45-6789', 'user-31337']) assert.equal(bytes.includes(secret), false, `${secret} is in the file`);
});

test('rows keep the digest of the revision that answered after it is replaced', async () => {
  const before = await predict();
  table = compileIngress([service('fraud-predictor-00002', DIGEST_2)], 'example.com', 2);
  const afterId = await predict();
  await log.flush();
  const byId = new Map(log.query({ namespace: 'bank', service: 'fraud', limit: 10 }).map((r) => [r.requestId, r]));
  assert.equal(byId.get(before)!.digest, DIGEST_1);
  assert.equal(byId.get(afterId)!.revision, 'fraud-predictor-00002');
  assert.equal(byId.get(afterId)!.digest, DIGEST_2);
});

test('under a policy the input is kept as it says, and headers still are not', async () => {
  await log.setPolicies([{ namespace: 'bank', name: 'fraud-inputs', spec: { services: ['fraud'], inputs: { hash: ['$.instances[*].ssn'] } } }]);
  const id = await predict();
  await log.flush();
  const row = log.query({ namespace: 'bank', service: 'fraud', limit: 10 }).find((r) => r.requestId === id)!;
  assert.deepEqual(row.input, { instances: [{ ssn: keyedHash(KEY, 'bank', '123-45-6789'), amount: 12.5 }] });
  const bytes = fileBytes();
  for (const secret of [...Object.values(SECRET_HEADERS), '123-45-6789']) assert.equal(bytes.includes(secret), false, `${secret} is in the file`);
  await log.setPolicies([]);
});

test("under a bandit's allocation a row carries its version and the served arm's probability (propensity); without one, neither", async () => {
  const split = (allocation?: number): IngressService => ({
    ...service('fraud-predictor-00001', DIGEST_1),
    traffic: [{ revisionName: 'fraud-predictor-00002', percent: 30, latestRevision: true }, { revisionName: 'fraud-predictor-00001', percent: 70, latestRevision: false }],
    ...(allocation !== undefined ? { allocation } : {}),
  });
  table = compileIngress([split(7)], 'example.com', 3);
  const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => predict({ 'x-user-id': `u${i}` })));
  table = compileIngress([split()], 'example.com', 4);
  const plain = await predict();
  await log.flush();
  const byId = new Map(log.query({ namespace: 'bank', service: 'fraud', limit: 200 }).map((r) => [r.requestId, r]));
  const rows = ids.map((id) => byId.get(id)!);
  assert.ok(rows.every((r) => r.allocation === 7));
  for (const r of rows) assert.equal(r.propensity, r.revision === 'fraud-predictor-00002' ? 0.3 : 0.7, `${r.revision}`);
  assert.ok(new Set(rows.map((r) => r.revision)).size === 2, 'both arms served');
  assert.equal(byId.get(plain)!.allocation, null);
  assert.equal(byId.get(plain)!.propensity, null);
});
