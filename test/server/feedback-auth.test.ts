// The feedback role at the API server, over real HTTP: a feedback token may
// post feedback and nothing else (403 on every other endpoint, reads too); a
// viewer or operator token may not post feedback; admins may. The endpoint
// stores into a real prediction log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { PredictionLog } from '../../src/store/predictions.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

let dir: string;
let store: Store;
let api: ApiServer;
let log: PredictionLog;
let registry: TokenRegistry;
const tokens: Record<string, string> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-api-feedback-'));
  store = await openSqliteStore({ path: join(dir, 'switchyard.db') });
  log = new PredictionLog({ path: join(dir, 'switchyard.db') });
  registry = new TokenRegistry(join(dir, 'tokens.json'));
  for (const role of ['admin', 'operator', 'viewer'] as const) tokens[role] = registry.create(role, role);
  api = await startApiServer({ store, tokens: registry, port: 0, feedback: (events) => log.postFeedback(events), predictions: (q) => log.query(q) });
});

after(async () => {
  await api.close();
  await log.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
}

const event = { requestId: 'r-1', namespace: 'shop', metric: 'click', value: 1 };

test('an admin mints a feedback token through the API; it posts feedback', async () => {
  const created = await call('POST', '/switchyard/v1/tokens', tokens.admin!, { role: 'feedback', name: 'checkout-app' });
  assert.equal(created.status, 201);
  assert.equal(created.body.role, 'feedback');
  assert.match(created.body.token, /^sy_feedback_/);
  tokens.feedback = created.body.token;
  const posted = await call('POST', '/switchyard/v1/feedback', tokens.feedback!, event);
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  assert.deepEqual(posted.body, { accepted: 0, duplicates: 0, unmatched: 1, events: [{ id: posted.body.events[0].id, status: 'unmatched' }] });
  assert.equal((await call('POST', '/switchyard/v1/feedback', tokens.admin!, event)).body.duplicates, 1);
});

test('a feedback token is refused everywhere else: reads, writes, discovery, OpenAPI, audit, tokens', async () => {
  const token = tokens.feedback ?? registry.create('feedback', 'fallback');
  const paths: Array<[string, string, unknown?]> = [
    ['GET', '/api'], ['GET', '/apis'], ['GET', '/api/v1'], ['GET', '/api/v1/namespaces'], ['GET', '/openapi/v3'],
    ['GET', '/apis/serving.kserve.io/v1beta1/namespaces/shop/inferenceservices'],
    ['POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sneaky' } }],
    ['GET', '/switchyard/v1/audit'], ['GET', '/switchyard/v1/namespaces/shop/predictions'], ['GET', '/switchyard/v1/tokens'],
    ['POST', '/switchyard/v1/tokens', { role: 'admin' }],
  ];
  for (const [method, path, body] of paths) {
    const r = await call(method, path, token, body);
    assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.errorCode, 'SY_ERR_FORBIDDEN');
  }
  assert.equal((await call('GET', '/api/v1/namespaces/sneaky', tokens.admin!)).status, 404);
});

test('viewer and operator tokens may not post feedback', async () => {
  for (const role of ['viewer', 'operator']) {
    const r = await call('POST', '/switchyard/v1/feedback', tokens[role]!, { ...event, id: `from-${role}` });
    assert.equal(r.status, 403);
    assert.match(r.body.message, new RegExp(`^feedback is forbidden: ${role} "${role}" cannot post feedback`));
  }
  const n = (log.db.prepare("SELECT count(*) AS n FROM feedback WHERE id LIKE 'from-%'").get() as { n: number }).n;
  assert.equal(n, 0);
});

test('bad events are 400 with the index and field at the API server too', async () => {
  const r = await call('POST', '/switchyard/v1/feedback', tokens.admin!, [event, { ...event, metric: 'bad metric' }]);
  assert.equal(r.status, 400);
  assert.equal(r.body.kind, 'Status');
  assert.match(r.body.message, /events\[1\]\.metric: Invalid value: "bad metric"/);
});
