// Feedback end to end: real `switchyard up`, real ONNX models, a TrafficPlan
// whose cohorts assign users sticky to the baseline or the candidate (a canary
// held at 50 %). Predictions go through the gateway; an application with a
// `feedback` token posts clicks for them at once and purchases per user, and
// each is joined to the revision that served it. A flood with a viewer token
// is refused and stores nothing; a bad batch is refused whole, naming the
// event and field; a retry of the same ids counts once; the CLI posts through
// the API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { readFeedback } from '../../src/store/feedback.ts';
import { BIN, kubectl, removeDir, ROOT, run, startUp, until, type Up } from './harness.ts';

const K = '1.33';
const USERS = 40;

const plan = JSON.stringify({
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-copy', namespace: 'quickstart' },
  spec: {
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'ml-platform' },
    cohorts: { unit: { header: 'x-user-id' } },
    // Held at 50 %: the step needs far more requests than the test sends.
    phases: [{ canary: { steps: [50, 100], hold: { minRequests: 1_000_000, passingWindows: 1 } } }],
    gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'latencyP99Ms', max: 5000 }, { metric: 'outputPSI', max: 0.2 }],
    window: '5s', maxDuration: '1h', rollback: { onGateFailure: true, keepWarm: '1h' },
  },
});

let up: Up;
let feedbackToken: string;

before(async () => {
  up = await startUp(['--apply', 'examples/quickstart']);
  cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
  const ready = await kubectl(K, up, ['wait', '--for=condition=Ready', 'isvc/iris', '-n', 'quickstart', '--timeout=90s'], { timeoutMs: 100_000 });
  assert.equal(ready.code, 0, ready.stderr);
  const applied = await kubectl(K, up, ['apply', '-f', '-'], { input: plan });
  assert.equal(applied.code, 0, applied.stderr);
  const created = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, 'token', 'create', '--role', 'feedback', '--name', 'shop-frontend']);
  assert.equal(created.code, 0, created.stderr);
  feedbackToken = created.stdout.trim();
});

after(async () => {
  await up.stop();
  removeDir(up.dataDir);
});

async function predict(user: string): Promise<{ requestId: string; revision: string }> {
  const res = await request(`${up.gatewayUrl}/v1/models/iris:predict`, {
    method: 'POST', body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
    headers: { host: 'iris.quickstart.example.com', 'content-type': 'application/json', 'x-user-id': user },
  });
  assert.equal(res.statusCode, 200, await res.body.text());
  await res.body.dump();
  return { requestId: res.headers['x-request-id'] as string, revision: res.headers['x-switchyard-revision'] as string };
}

async function postFeedback(body: unknown, token: string) {
  const res = await request(`${up.gatewayUrl}/switchyard/v1/feedback`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
}

function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(up.dataDir, 'switchyard.db'), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const storedCount = () => withDb((db) => (db.prepare('SELECT count(*) AS n FROM feedback').get() as { n: number }).n);

test('feedback posted right after predictions under a plan with unit cohorts joins the revision that served each', { timeout: 300_000 }, async () => {
  // Once the candidate takes its 50 %, users land on both revisions.
  await until('users served by both revisions', async () => {
    const seen = new Set<string>();
    for (let u = 0; u < 16; u++) seen.add((await predict(`probe-${u}`)).revision);
    return seen.size === 2 ? true : undefined;
  }, 180_000, () => up.output().split('\n').slice(-10).join('\n'));

  const served: Array<{ user: string; requestId: string; revision: string }> = [];
  for (let u = 0; u < USERS; u++) for (let k = 0; k < 2; k++) served.push({ user: `user-${u}`, ...(await predict(`user-${u}`)) });
  const revisionOf = new Map<string, string>();
  for (const s of served) {
    assert.equal(revisionOf.get(s.user) ?? s.revision, s.revision, `${s.user} always sees one arm`);
    revisionOf.set(s.user, s.revision);
  }
  assert.equal(new Set(revisionOf.values()).size, 2);

  // Posted at once: the prediction rows may still be queued in the log when the events arrive.
  const clicks = served.map((s, i) => ({ requestId: s.requestId, metric: 'click', value: i % 3 === 0 ? 1 : 0, id: `click-${s.requestId}` }));
  const posted = await postFeedback(clicks, feedbackToken);
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  assert.deepEqual([posted.body.accepted, posted.body.duplicates, posted.body.unmatched], [served.length, 0, 0]);
  const purchases = [...revisionOf.keys()].map((user) => ({ unit: user, namespace: 'quickstart', metric: 'purchase', value: 1 }));
  const bought = await postFeedback(purchases, feedbackToken);
  assert.deepEqual([bought.body.accepted, bought.body.unmatched], [USERS, 0]);

  const joined = withDb((db) => readFeedback(db, { namespace: 'quickstart', service: 'iris', metric: 'click', after: 0 }).events);
  assert.equal(joined.length, served.length);
  const byRequest = new Map(served.map((s) => [s.requestId, s.revision]));
  for (const e of joined) {
    assert.equal(e.matched, true);
    assert.equal(e.revision, byRequest.get(e.requestId!), `click for ${e.requestId} joined the revision that answered it`);
    assert.ok(e.predictionMs! <= e.eventMs);
    assert.match(e.unit ?? '', /^hmac-sha256:/);
  }
  const purchased = withDb((db) => readFeedback(db, { namespace: 'quickstart', service: 'iris', metric: 'purchase', after: 0 }).events);
  assert.deepEqual(purchased.map((e) => e.revision).sort(), [...revisionOf.values()].sort(), 'each purchase counts for the arm its user was assigned');

  // A retry of the same ids counts once.
  const before = storedCount();
  const retry = await postFeedback(clicks, feedbackToken);
  assert.deepEqual([retry.body.accepted, retry.body.duplicates], [0, served.length]);
  assert.equal(storedCount(), before);
});

test('a flood with a viewer token is refused (403) and stores nothing; refusals show in the gateway\'s /metrics', { timeout: 120_000 }, async () => {
  const viewer = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, 'token', 'create', '--role', 'viewer']);
  const token = viewer.stdout.trim();
  const before = storedCount();
  const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    postFeedback({ requestId: `flood-${i}`, namespace: 'quickstart', metric: 'click', value: 1 }, token).then((r) => r.status)));
  assert.deepEqual([...new Set(statuses)], [403]);
  assert.equal(storedCount(), before);
  const metrics = await (await request(`${up.gatewayUrl}/metrics`)).body.text();
  assert.match(metrics, /^switchyard_feedback_refused_total\{listener="gateway",reason="forbidden"\} 200$/m);
});

test('a bad batch is 400 naming the event index and field, and nothing of it is stored', { timeout: 60_000 }, async () => {
  const before = storedCount();
  const batch = [
    { requestId: 'good-1', namespace: 'quickstart', metric: 'click', value: 1 },
    { requestId: 'good-2', namespace: 'quickstart', metric: 'click', value: 1 },
    { requestId: 'bad', namespace: 'quickstart', metric: 'click', value: 'NaN' },
  ];
  const r = await postFeedback(batch, feedbackToken);
  assert.equal(r.status, 400);
  assert.equal(r.body.errorCode, 'SY_ERR_INVALID_FEEDBACK');
  assert.match(r.body.message, /events\[2\]\.value: Invalid value: "NaN": must be of type number/);
  assert.equal(storedCount(), before);
});

test('the CLI posts through the API server with a feedback kubeconfig', { timeout: 60_000 }, async () => {
  const { requestId } = await predict('cli-user');
  const r = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, '--token', feedbackToken, 'feedback', 'post', '--request-id', requestId, '--metric', 'refund', '--value', '12.5', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).accepted, 1);
  // The same token reads nothing.
  const get = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, '--token', feedbackToken, 'get', 'isvc', '-n', 'quickstart']);
  assert.equal(get.code, 1);
  assert.match(get.stderr, /forbidden: feedback "[^"]+" may only POST \/switchyard\/v1\/feedback/);
});
