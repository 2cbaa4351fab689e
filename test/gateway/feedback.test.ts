// POST /switchyard/v1/feedback on the gateway, over real HTTP, wired as
// `switchyard up` wires it: real upstreams under a plan's unit cohorts, the
// gateway's hooks writing a real prediction log, real tokens. Feedback posted
// right after the predictions joins the revision that answered each; refused
// requests store nothing and are counted in /metrics; /switchyard/ paths never
// reach a model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { compileCohorts } from '../../src/gateway/cohorts.ts';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { FeedbackStats } from '../../src/gateway/feedback.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';
import { gatewayObservers } from '../../src/gateway/telemetry/hooks.ts';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { PredictionLog } from '../../src/store/predictions.ts';

let dir: string;
let gw: Gateway;
let log: PredictionLog;
const upstreams: Server[] = [];
let upstreamHits = 0;
const tokens: Record<'feedback' | 'viewer' | 'admin', string> = { feedback: '', viewer: '', admin: '' };

async function upstream(name: string): Promise<string> {
  const server = createServer((req, res) => {
    upstreamHits++;
    req.resume().on('end', () => res.end(JSON.stringify({ predictions: [name] })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  upstreams.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-gw-feedback-'));
  const registry = new TokenRegistry(join(dir, 'tokens.json'));
  for (const role of ['feedback', 'viewer', 'admin'] as const) tokens[role] = registry.create(role, role);
  const endpoints = new EndpointRegistry();
  endpoints.set('shop/ranker-predictor-00001', [await upstream('v1')]);
  endpoints.set('shop/ranker-predictor-00002', [await upstream('v2')]);
  const table = compileIngress([{
    namespace: 'shop', name: 'ranker', scaleFromZero: false, activatorTimeoutMs: 1000,
    traffic: [
      { revisionName: 'ranker-predictor-00002', percent: 50, tag: 'latest', latestRevision: true },
      { revisionName: 'ranker-predictor-00001', percent: 50, tag: 'prev', latestRevision: false },
    ],
    cohorts: compileCohorts('shop/ranker-v2', { unit: { header: 'x-user-id' } }),
  }], 'example.com', 1);
  // The log flushes on its own only every minute: feedback must not depend on the timer.
  log = new PredictionLog({ path: join(dir, 'switchyard.db'), flushIntervalMs: 60_000 });
  const observers = gatewayObservers(new TelemetryRecorder(), log);
  gw = await startGateway({
    port: 0, ingress: () => table, endpoints, ...observers,
    feedback: { authorize: (h) => void registry.authorizeFeedback(h), record: (events) => log.postFeedback(events), stats: new FeedbackStats() },
  });
});

after(async () => {
  await gw.close(1000);
  await log.close();
  for (const s of upstreams) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${gw.port}${path}`;

async function post(body: unknown, token: string | null, headers: Record<string, string> = {}) {
  const res = await request(url('/switchyard/v1/feedback'), {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
}

const stored = () => (log.db.prepare('SELECT count(*) AS n FROM feedback').get() as { n: number }).n;

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await request(url('/metrics'))).body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('feedback posted right after its predictions joins the revision that answered each, with a feedback token', async () => {
  const served: Array<{ requestId: string; revision: string }> = [];
  for (let i = 0; i < 40; i++) {
    const res = await request(url('/v1/models/ranker:predict'), { method: 'POST', body: '{"instances":[[1]]}', headers: { host: 'ranker.shop.example.com', 'x-user-id': `user-${i}` } });
    await res.body.dump();
    served.push({ requestId: res.headers['x-request-id'] as string, revision: res.headers['x-switchyard-revision'] as string });
  }
  assert.ok(new Set(served.map((s) => s.revision)).size === 2, 'both revisions served some users');
  const r = await post(served.map((s, i) => ({ requestId: s.requestId, metric: 'click', value: i % 2, id: `click-${i}` })), tokens.feedback);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual([r.body.accepted, r.body.duplicates, r.body.unmatched], [40, 0, 0]);
  const rows = log.db.prepare("SELECT request_id, revision FROM feedback WHERE metric = 'click'").all() as Array<{ request_id: string; revision: string }>;
  assert.deepEqual(new Map(rows.map((x) => [x.request_id, x.revision])), new Map(served.map((s) => [s.requestId, s.revision])));
  // A retry of the same ids counts once.
  const retry = await post(served.map((s, i) => ({ requestId: s.requestId, metric: 'click', value: i % 2, id: `click-${i}` })), tokens.feedback);
  assert.deepEqual([retry.body.accepted, retry.body.duplicates], [0, 40]);
  assert.equal(await metric('switchyard_feedback_events_total', 'listener="gateway",status="accepted"'), 40);
  assert.equal(await metric('switchyard_feedback_events_total', 'listener="gateway",status="duplicate"'), 40);
});

test('a viewer token is 403, no token 401: nothing stored, every refusal counted', async () => {
  const before = stored();
  const forbidden = await metric('switchyard_feedback_refused_total', 'listener="gateway",reason="forbidden"');
  for (let i = 0; i < 25; i++) {
    const r = await post({ requestId: `r${i}`, metric: 'click', value: 1 }, tokens.viewer);
    assert.equal(r.status, 403);
    assert.equal(r.body.errorCode, 'SY_ERR_FORBIDDEN');
  }
  const anonymous = await post({ requestId: 'r', metric: 'click', value: 1 }, null);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.kind, 'Status');
  assert.equal((await post({ requestId: 'r', metric: 'click', value: 1 }, 'sy_feedback_made-up')).status, 401);
  assert.equal(stored(), before);
  assert.equal(await metric('switchyard_feedback_refused_total', 'listener="gateway",reason="forbidden"'), forbidden + 25);
  assert.equal(await metric('switchyard_feedback_refused_total', 'listener="gateway",reason="unauthorized"'), 2);
  // An admin may post too.
  assert.equal((await post({ requestId: 'admin-posted', namespace: 'shop', metric: 'click', value: 1 }, tokens.admin)).status, 200);
});

test('a bad batch is 400 naming the event index and field, and nothing of it is stored', async () => {
  const before = stored();
  const r = await post([
    { requestId: 'ok-1', namespace: 'shop', metric: 'click', value: 1 },
    { requestId: 'ok-2', namespace: 'shop', metric: 'click', value: 1 },
    { requestId: 'ok-3', namespace: 'shop', metric: 'click', value: 1 },
    { requestId: 'bad', namespace: 'shop', metric: 'click', value: 'one' },
  ], tokens.feedback);
  assert.equal(r.status, 400);
  assert.equal(r.body.errorCode, 'SY_ERR_INVALID_FEEDBACK');
  assert.match(r.body.message, /events\[3\]\.value: Invalid value: "one": must be of type number/);
  assert.deepEqual(r.body.details.causes.map((c: { field: string }) => c.field), ['events[3].value']);
  assert.equal(stored(), before);
  const notJson = await post('{"requestId": ', tokens.feedback);
  assert.deepEqual([notJson.status, notJson.body.errorCode], [400, 'SY_ERR_MALFORMED_BODY']);
  const text = await post('x', tokens.feedback, { 'content-type': 'text/csv' });
  assert.deepEqual([text.status, text.body.errorCode], [415, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE']);
  assert.equal(stored(), before);
});

test('limits: more than 1000 events or more than 1 MiB is 413 naming the limit; only POST', async () => {
  const before = stored();
  const many = await post(Array.from({ length: 1001 }, (_, i) => ({ requestId: `r${i}`, metric: 'click', value: 1 })), tokens.feedback);
  assert.equal(many.status, 413);
  assert.equal(many.body.message, 'a batch holds at most 1000 events, this one 1001: send it in several batches');
  const big = await post([{ requestId: 'x'.repeat(200), metric: 'click', value: 1, id: 'y'.repeat(1024 * 1024) }], tokens.feedback);
  assert.equal(big.status, 413);
  assert.equal(big.body.errorCode, 'SY_ERR_BODY_TOO_LARGE');
  assert.match(big.body.message, /at most 1048576 bytes/);
  // A body of undeclared length (chunked) is counted as it is read.
  const chunked = await request(url('/switchyard/v1/feedback'), {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.feedback}` },
    body: Readable.from((function* () {
      yield '[';
      for (let i = 0; i < 200; i++) yield `{"requestId":"r${i}","metric":"click","value":1,"id":"${'z'.repeat(8000)}"},`;
      yield '{"requestId":"last","metric":"click","value":1}]';
    })()),
  });
  assert.equal(chunked.statusCode, 413);
  assert.equal(chunked.headers.connection, 'close', 'the rest of the body is never read: the connection ends');
  assert.equal(((await chunked.body.json()) as { errorCode: string }).errorCode, 'SY_ERR_BODY_TOO_LARGE');
  assert.equal(stored(), before);
  const get = await request(url('/switchyard/v1/feedback'), { headers: { authorization: `Bearer ${tokens.feedback}` } });
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.allow, 'POST');
  await get.body.dump();
  assert.equal(await metric('switchyard_feedback_refused_total', 'listener="gateway",reason="too_large"'), 3);
});

test('/switchyard/ paths never reach a model, whatever the Host', async () => {
  const hits = upstreamHits;
  for (const path of ['/switchyard/v1/feedbacks', '/switchyard/v1/namespaces/shop/predictions', '/switchyard/']) {
    const res = await request(url(path), { method: 'POST', body: '{}', headers: { host: 'ranker.shop.example.com', 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 404);
    assert.equal(((await res.body.json()) as { errorCode: string }).errorCode, 'SY_ERR_NOT_FOUND');
  }
  assert.equal(upstreamHits, hits);
});
