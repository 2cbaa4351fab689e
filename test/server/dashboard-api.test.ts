// What the dashboard needs from the API server, over real HTTP: its files
// under /ui/ (no token, no other origin), who-am-I and may-I reviews, a plan's
// history and a service's telemetry series, one plan's audit transitions, and
// prediction rows filtered by revision and status.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { dashboardHandler } from '../../src/server/dashboard.ts';
import { PlanHistory } from '../../src/server/plan-history.ts';
import { telemetrySeries } from '../../src/server/telemetry-series.ts';
import { PredictionLog } from '../../src/store/predictions.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

let dir: string;
let store: Store;
let api: ApiServer;
let predictions: PredictionLog;
const tokens: Record<string, string> = {};
const history = new PlanHistory();
const telemetry = new TelemetryRecorder({ bucketMs: 1000 });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-dash-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  predictions = new PredictionLog({ path: join(dir, 'db.sqlite'), flushIntervalMs: 60_000 });
  const registry = new TokenRegistry(join(dir, 'tokens.json'));
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = registry.create(role, `${role}-1`);
  api = await startApiServer({
    store, tokens: registry, port: 0, ui: dashboardHandler(),
    planHistory: (ns, name) => history.points(ns, name),
    telemetrySeries: (q) => telemetrySeries(telemetry, q),
    predictions: (q) => predictions.query(q),
  });
});

after(async () => {
  await api.close();
  await predictions.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? tokens.admin}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${api.url}${path}`, { method, headers, redirect: 'manual', ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
}

test('the dashboard is served under /ui/ without a token, from this origin only', async () => {
  const bare = await call('GET', '/ui', { token: null });
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get('location'), '/ui/');

  const page = await call('GET', '/ui/', { token: null });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  assert.match(page.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'; style-src 'self'.*connect-src 'self'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.deepEqual(assets.map((a) => a.replace(/\?v=[0-9a-f]+$/, '')).sort(), ['app.css', 'app.js', 'data:,'], 'only relative assets (and an empty icon)');

  const js = await call('GET', '/ui/app.js', { token: null });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type')!, /^text\/javascript/);
  const code = await js.text();
  assert.ok(code.length > 10_000 && code.length < 400_000, `the bundle is ${code.length} bytes`);
  // Offline: no URL of another origin, except XML namespaces (which are names, never fetched).
  const urls = [...code.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]).filter((u) => !u.startsWith('http://www.w3.org/'));
  assert.deepEqual(urls, []);
  const css = await (await call('GET', '/ui/app.css', { token: null })).text();
  assert.match(css, /\.uplot/, 'uPlot\'s stylesheet is bundled');
  assert.doesNotMatch(css, /@import|url\(\s*["']?https?:/);

  const again = await call('GET', '/ui/app.js', { token: null, headers: { 'if-none-match': js.headers.get('etag')! } });
  assert.equal(again.status, 304);
  assert.equal((await call('GET', '/ui/nope.js', { token: null })).status, 404);
  assert.equal((await call('POST', '/ui/', { token: null, body: {} })).status, 405);
  // Everything else still needs a token.
  assert.equal((await call('GET', '/api/v1/namespaces', { token: null })).status, 401);
});

test('a token can ask who it is and what it may do; a bad one gets 401', async () => {
  const whoami = async (token: string) => call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  const me = (await (await whoami(tokens.operator!)).json()) as { kind: string; status: { userInfo: { username: string; extra: Record<string, string[]> } } };
  assert.equal(me.kind, 'SelfSubjectReview');
  assert.equal(me.status.userInfo.username, 'operator-1');
  assert.deepEqual(me.status.userInfo.extra['switchyard.dev/role'], ['operator']);
  const bad = await whoami('sy_admin_not-a-real-token');
  assert.equal(bad.status, 401);
  assert.match(((await bad.json()) as { message: string }).message, /not known to this server/);

  const canI = async (role: string, verb: string, resource: string) => {
    const res = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      token: tokens[role]!, body: { spec: { resourceAttributes: { namespace: 'ml', verb, group: 'switchyard.dev', resource } } },
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
  };
  assert.deepEqual(await Promise.all([canI('viewer', 'patch', 'trafficplans'), canI('operator', 'patch', 'trafficplans'), canI('admin', 'patch', 'trafficplans')]), [false, true, true]);
  assert.equal(await canI('viewer', 'watch', 'trafficplans'), true);
  assert.equal(await canI('operator', 'delete', 'inferenceservices'), false);
  // Secrets hold storage credentials: only an admin reads them (Kubernetes' view role leaves them out too).
  assert.deepEqual(await Promise.all([canI('viewer', 'get', 'secrets'), canI('operator', 'list', 'secrets'), canI('admin', 'get', 'secrets')]), [false, false, true]);
  for (const role of ['viewer', 'operator'] as const) {
    const secrets = await call('GET', '/api/v1/namespaces/ml/secrets', { token: tokens[role]! });
    assert.equal(secrets.status, 403, `${role} lists Secrets`);
  }
  assert.equal((await call('GET', '/api/v1/namespaces/ml/secrets', { token: tokens.admin! })).status, 200);
  const invalid = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { spec: {} } });
  assert.equal(invalid.status, 422);
  assert.match(((await invalid.json()) as { message: string }).message, /exactly one of resourceAttributes and nonResourceAttributes/);
});

test("a plan's history and a service's telemetry series", async () => {
  const to = new Date(Date.now() - 1000).toISOString();
  history.observe({ type: 'ADDED', object: { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'p', namespace: 'ml' }, status: { phase: 'Progressing', canaryPercent: 10, lastWindow: { from: to, to, verdict: 'pass' }, gates: [] } } });
  const h = (await (await call('GET', '/switchyard/v1/namespaces/ml/trafficplans/p/history', { token: tokens.viewer! })).json()) as { items: Array<{ verdict: string }> };
  assert.deepEqual(h.items.map((p) => p.verdict), ['pass']);

  telemetry.record({ namespace: 'ml', service: 'fraud', revision: 'fraud-00001', variant: 'default', status: 200, latencyMs: 3 });
  const res = await call('GET', '/switchyard/v1/namespaces/ml/telemetry/series?service=fraud&spanMs=10000&stepMs=1000', { token: tokens.viewer! });
  const s = (await res.json()) as { stepMs: number; revisions: Record<string, unknown[]> };
  assert.equal(s.stepMs, 1000);
  assert.deepEqual(Object.keys(s.revisions), ['fraud-00001']);
  assert.equal(s.revisions['fraud-00001']!.length, 10);
  for (const [query, message] of [['stepMs=1500', /whole seconds/], ['stepMs=1000&spanMs=3600000', /at most 720 points/], ['stepMs=abc', /whole number of milliseconds/]] as const) {
    const bad = await call('GET', `/switchyard/v1/namespaces/ml/telemetry/series?service=fraud&${query}`);
    assert.equal(bad.status, 400, query);
    assert.match(((await bad.json()) as { message: string }).message, message);
  }
  assert.equal((await call('GET', '/switchyard/v1/namespaces/ml/telemetry/series')).status, 400, 'service is required');
});

test("one plan's transitions from the audit log, and prediction rows by revision and status class", async () => {
  for (const [name, verb] of [['p', 'plan/started'], ['q', 'plan/started'], ['p', 'update/status'], ['p', 'plan/kill']]) {
    await store.appendAudit({ actor: 'system:plan-controller', verb: verb!, resource: `switchyard.dev/trafficplans/ml/${name}` });
  }
  const audit = (await (await call('GET', '/switchyard/v1/audit?resource=switchyard.dev/trafficplans/ml/p&verbPrefix=plan/', { token: tokens.viewer! })).json()) as { items: Array<{ verb: string }> };
  assert.deepEqual(audit.items.map((r) => r.verb), ['plan/started', 'plan/kill']);

  const row = (i: number, revision: string, status: number) => ({
    requestId: `r${i}`, time: Date.now() - 1000 + i, namespace: 'ml', service: 'fraud', variant: 'default', revision, role: 'primary' as const, status, latencyMs: 2, output: '{}',
  });
  predictions.enqueue(row(1, 'fraud-00001', 200));
  predictions.enqueue(row(2, 'fraud-00002', 503));
  predictions.enqueue(row(3, 'fraud-00002', 200));
  await predictions.flush();
  const ids = async (q: string) => ((await (await call('GET', `/switchyard/v1/namespaces/ml/predictions?service=fraud&${q}`)).json()) as { items: Array<{ requestId: string }> }).items.map((r) => r.requestId);
  assert.deepEqual(await ids('revision=fraud-00002'), ['r3', 'r2']);
  assert.deepEqual(await ids('status=5xx'), ['r2']);
  assert.deepEqual(await ids('status=200&revision=fraud-00002'), ['r3']);
  const bad = await call('GET', '/switchyard/v1/namespaces/ml/predictions?status=bad');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /an HTTP status \(e\.g\. 503\) or a class/);
});
