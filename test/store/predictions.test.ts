import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PredictionLog, queryPredictions, type PredictionEntry } from '../../src/store/predictions.ts';
import { keyedHash, type PolicySource } from '../../src/store/predictions-policy.ts';

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-pred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'switchyard.db');
}

const T0 = 1_700_000_000_000;
const entry = (i: number, over: Partial<PredictionEntry> = {}): PredictionEntry => ({
  requestId: `req-${i}`, time: T0 + i, namespace: 'ml', service: 'fraud', route: 'default', variant: 'default',
  revision: 'fraud-predictor-00001', digest: 'sha256:abc', role: 'primary', status: 200, latencyMs: 3.5,
  output: `{"predictions":[${i % 2}]}`, cohort: { tier: 'gold' }, ...over,
});
/** The log's clock (used for pruning): shortly after the entries' times. */
const clock = () => T0 + 60_000;
/** Whether the text occurs anywhere in the database file or its write-ahead log (raw bytes). */
const fileContains = (path: string, text: string): boolean =>
  [path, `${path}-wal`].some((f) => existsSync(f) && readFileSync(f).includes(Buffer.from(text)));
const tick = () => new Promise((r) => setImmediate(r));
const count = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM predictions').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

test('enqueue returns at once; rows are written in batches by the writer thread', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, batchSize: 50, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  for (let i = 0; i < 120; i++) assert.equal(log.enqueue(entry(i)), true);
  assert.equal(count(path), 0, 'nothing is written synchronously by enqueue');
  assert.equal(log.queued, 120);
  // A full batch is handed to the writer on the next turn of the loop; the rest waits for the timer.
  for (let i = 0; i < 200 && log.written < 120; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(log.written, 120);
  assert.equal(count(path), 120);
  assert.equal(log.queued, 0);
  log.enqueue(entry(200));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(count(path), 120);
  assert.equal(await log.flush(), 1);
  const [row] = log.query({ namespace: 'ml', service: 'fraud', limit: 1 });
  assert.deepEqual(row, {
    requestId: 'req-200', time: T0 + 200, namespace: 'ml', service: 'fraud', route: 'default', variant: 'default', revision: 'fraud-predictor-00001',
    digest: 'sha256:abc', role: 'primary', status: 200, latencyMs: 3.5, output: { predictions: [0] }, input: null, cohort: { tier: 'gold' }, unit: null, allocation: null, propensity: null,
  });
});

test('a flood is bounded by the queue and counted as dropped; enqueue never awaits', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, maxQueue: 1000, batchSize: 100_000, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  const started = performance.now();
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const r = log.enqueue(entry(i));
    assert.equal(typeof r, 'boolean'); // not a promise
    if (r) accepted++;
  }
  const ms = performance.now() - started;
  assert.equal(accepted, 1000);
  assert.equal(log.queued, 1000);
  assert.equal(log.dropped, 19_000);
  assert.ok(ms < 500, `20k enqueues took ${ms.toFixed(0)} ms`);
  assert.equal(await log.flush(), 1000);
  assert.equal(count(path), 1000);
  assert.equal(log.enqueue(entry(99_999)), true, 'room again after a flush');
});

const FRAUD_INPUTS: PolicySource = {
  namespace: 'ml', name: 'fraud-inputs', creationTimestamp: '2026-01-01T00:00:00Z',
  spec: { services: ['fraud'], inputs: { drop: ['$.instances[*].email'], hash: ['$.instances[*].ssn'] }, retention: '24h' },
};
const SSN_BODY = '{"instances":[{"email":"a@b.c","ssn":"123-45-6789","amount":5}]}';

test('a batch written several rows per statement keeps every row whole and in order, whatever its size', async (t) => {
  const path = tempDb(t);
  const key = Buffer.alloc(32, 3);
  // 75 rows in one batch: two full groups of 32 rows per statement and 11 written one by one.
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, batchSize: 500, hashKey: key, policies: [FRAUD_INPUTS] }, clock);
  t.after(() => log.close());
  const sent = Array.from({ length: 75 }, (_, i) => entry(i, {
    service: i % 3 === 0 ? 'other' : 'fraud', latencyMs: i / 4, status: i % 5 === 0 ? 503 : 200,
    ...(i % 2 === 0 ? { unit: `user-${i}` } : {}), input: SSN_BODY, ...(i % 7 === 0 ? { role: 'mirror' as const } : {}),
  }));
  for (const e of sent) log.enqueue(e);
  assert.equal(await log.flush(), 75);
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const rows = db.prepare('SELECT request_id, time, service, status, latency_ms, role, output, input, unit FROM predictions ORDER BY rowid').all() as Array<Record<string, unknown>>;
  assert.deepEqual(rows, sent.map((e) => ({
    request_id: e.requestId, time: e.time, service: e.service, status: e.status, latency_ms: e.latencyMs, role: e.role, output: e.output,
    input: e.service === 'fraud' ? JSON.stringify({ instances: [{ ssn: keyedHash(key, 'ml', '123-45-6789'), amount: 5 }] }) : null,
    unit: e.unit ? keyedHash(key, 'ml', e.unit) : null,
  })));
});

test('by default no input is stored, whatever the gateway copied; outputs, digest, cohort and unit are', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  log.enqueue(entry(1, { input: SSN_BODY, unit: 'user-42' }));
  await log.flush();
  const [row] = log.query({ namespace: 'ml' });
  assert.equal(row!.input, null);
  assert.deepEqual(row!.output, { predictions: [1] });
  assert.equal(row!.digest, 'sha256:abc');
  assert.deepEqual(row!.cohort, { tier: 'gold' });
  assert.match(row!.unit ?? '', /^hmac-sha256:[0-9a-f]{64}$/, 'the unit key is joinable, not readable');
  assert.equal(log.policy('ml', 'fraud').inputs, undefined);
  assert.equal(log.policy('ml', 'fraud').retentionMs, 7 * 24 * 3_600_000);
  // Nothing of the body reached the file, in any table.
  assert.equal(fileContains(path, '123-45-6789'), false);
  assert.equal(fileContains(path, 'user-42'), false);
});

test('a policy keeps inputs of its service only, with dropped paths gone and hashed paths keyed-hashed', async (t) => {
  const path = tempDb(t);
  const key = Buffer.alloc(32, 7);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, hashKey: key, policies: [FRAUD_INPUTS] }, clock);
  t.after(() => log.close());
  log.enqueue(entry(1, { input: SSN_BODY }));
  log.enqueue(entry(2, { service: 'other', input: SSN_BODY }));
  log.enqueue(entry(3, { input: 'ssn=123-45-6789' })); // not JSON: paths cannot see into it
  await log.flush();
  const byId = new Map(log.query({ namespace: 'ml', limit: 10 }).map((r) => [r.requestId, r]));
  assert.deepEqual(byId.get('req-1')!.input, { instances: [{ ssn: keyedHash(key, 'ml', '123-45-6789'), amount: 5 }] });
  assert.equal(byId.get('req-2')!.input, null, 'another service of the namespace keeps none');
  assert.equal(byId.get('req-3')!.input, '[not JSON: 15 bytes]');
  assert.equal(fileContains(path, '123-45-6789'), false);
  assert.equal(fileContains(path, 'a@b.c'), false);
});

test('setPolicies applies from the next row; a policy removed keeps no more inputs; a bad path changes nothing', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  await log.setPolicies([FRAUD_INPUTS]);
  assert.equal(log.policy('ml', 'fraud').policy, 'ml/fraud-inputs');
  log.enqueue(entry(1, { input: '{"a":1}' }));
  await log.flush();
  // Queued under the policy, removed before the writer sees it: the writer resolves again and keeps nothing.
  log.enqueue(entry(3, { input: '{"a":3}' }));
  await log.setPolicies([]);
  await log.flush();
  const byId = new Map(log.query({ namespace: 'ml', limit: 10 }).map((r) => [r.requestId, r]));
  assert.deepEqual(byId.get('req-1')!.input, { a: 1 });
  assert.equal(byId.get('req-3')!.input, null);
  const bad: PolicySource = { namespace: 'ml', name: 'bad', spec: { inputs: { keep: ["$.x[?(@.y=='z')]"] } } };
  assert.throws(() => log.setPolicies([FRAUD_INPUTS, bad]), /filters are not supported/);
  assert.equal(log.policy('ml', 'fraud').policy, undefined, 'the set in force is unchanged');
});

test('input sampling keeps a request-id fraction, the same answer for a primary and its mirror', async (t) => {
  const path = tempDb(t);
  const policy: PolicySource = { namespace: 'ml', name: 'sampled', spec: { inputs: { sampleRate: 0.3 } } };
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, policies: [policy] }, clock);
  t.after(() => log.close());
  const n = 2000;
  for (let i = 0; i < n; i++) {
    log.enqueue(entry(i, { input: `{"i":${i}}` }));
    log.enqueue(entry(i, { role: 'mirror', input: `{"i":${i}}` }));
  }
  await log.flush();
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const kept = (db.prepare("SELECT count(*) AS n FROM predictions WHERE role = 'primary' AND input IS NOT NULL").get() as { n: number }).n;
  const split = (db.prepare(`SELECT count(*) AS n FROM predictions p JOIN predictions m ON m.request_id = p.request_id AND m.role = 'mirror'
    WHERE p.role = 'primary' AND (p.input IS NULL) != (m.input IS NULL)`).get() as { n: number }).n;
  const sd = Math.sqrt(n * 0.3 * 0.7); // ≈ 20
  assert.ok(Math.abs(kept - n * 0.3) <= 5 * sd, `kept ${kept} of ${n}`);
  assert.equal(split, 0);
  assert.equal(count(path), 2 * n, 'every request has its rows: sampling is of inputs, not rows');
});

test('paired query joins primary and mirror rows on request id', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  for (let i = 0; i < 10; i++) {
    log.enqueue(entry(i));
    // Mirrors for even requests only; the shadow answers a different label and is slower.
    if (i % 2 === 0) log.enqueue(entry(i, { time: T0 + i + 5, role: 'mirror', revision: 'fraud-predictor-00002', latencyMs: 9, output: '{"predictions":[7]}' }));
  }
  log.enqueue(entry(50, { service: 'other', role: 'primary' }));
  await log.flush();
  const pairs = log.query({ namespace: 'ml', service: 'fraud', paired: true, limit: 100 });
  assert.deepEqual(pairs.map((p) => p.requestId), ['req-8', 'req-6', 'req-4', 'req-2', 'req-0']);
  assert.equal(pairs[0]!.primary.role, 'primary');
  assert.equal(pairs[0]!.mirror.role, 'mirror');
  assert.equal(pairs[0]!.mirror.revision, 'fraud-predictor-00002');
  assert.deepEqual(pairs[0]!.mirror.output, { predictions: [7] });
  assert.equal(log.query({ namespace: 'ml', service: 'fraud', paired: true, sinceMs: T0 + 4, limit: 2 }).length, 2);
  // primaries 5..9 and every mirror (times 5, 7, 9, 11, 13)
  assert.equal(log.query({ namespace: 'ml', service: 'fraud', sinceMs: T0 + 5 }).length, 5 + 5);
  assert.equal(log.query({ namespace: 'ml', service: 'fraud', role: 'mirror' }).length, 5);
  // The same query works on any connection to the store file.
  const reader = new Database(path, { readonly: true });
  t.after(() => reader.close());
  assert.equal(queryPredictions(reader, { namespace: 'ml', service: 'fraud', paired: true }).length, 5);
});

test('rows filter by revision, variant and a status range; paired rows by their primary', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  for (let i = 0; i < 12; i++) {
    log.enqueue(entry(i, {
      revision: i % 3 === 0 ? 'fraud-predictor-00002' : 'fraud-predictor-00001', variant: i % 2 === 0 ? 'a' : 'b', status: i % 4 === 0 ? 503 : 200,
    }));
    if (i % 3 === 0) log.enqueue(entry(i, { time: T0 + i + 1, role: 'mirror', revision: 'shadow-00001', status: 200 }));
  }
  await log.flush();
  const ids = (q: Parameters<typeof log.query>[0]) => (log.query(q) as Array<{ requestId: string }>).map((r) => r.requestId);
  const base = { namespace: 'ml', service: 'fraud', role: 'primary' as const };
  assert.deepEqual(ids({ ...base, revision: 'fraud-predictor-00002' }), ['req-9', 'req-6', 'req-3', 'req-0']);
  assert.deepEqual(ids({ ...base, variant: 'b', minStatus: 200, maxStatus: 299 }), ['req-11', 'req-9', 'req-7', 'req-5', 'req-3', 'req-1']);
  assert.deepEqual(ids({ ...base, minStatus: 500, maxStatus: 599 }), ['req-8', 'req-4', 'req-0']);
  // Paired: the filters apply to the primary row (its revision, its status), the shadow is whatever answered.
  assert.deepEqual(ids({ namespace: 'ml', service: 'fraud', paired: true, minStatus: 500, maxStatus: 599 }), ['req-0']);
  assert.deepEqual(ids({ namespace: 'ml', service: 'fraud', paired: true, revision: 'fraud-predictor-00002', variant: 'b' }), ['req-9', 'req-3']);
});

test('retention deletes rows by the policy that applies to them, at start, on demand and when policies change', async (t) => {
  const path = tempDb(t);
  let now = T0;
  const H = 3_600_000;
  const policies: PolicySource[] = [
    { namespace: 'ml', name: 'short', creationTimestamp: '2026-01-01T00:00:00Z', spec: { services: ['fraud'], retention: '1h' } },
    { namespace: 'ml', name: 'namespace', creationTimestamp: '2026-01-01T00:00:00Z', spec: { retention: '48h' } },
  ];
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, retentionMs: 24 * H, policies }, () => now);
  const rows: Array<[number, string, string, number]> = [[1, 'fraud', 'ml', 2], [2, 'fraud', 'ml', 0.5], [3, 'churn', 'ml', 30], [4, 'churn', 'ml', 50], [5, 'fraud', 'web', 30], [6, 'fraud', 'web', 10]];
  for (const [i, service, namespace, ageH] of rows) log.enqueue(entry(i, { service, namespace, time: T0 - ageH * H }));
  await log.flush();
  assert.equal(await log.prune(), 3);
  const left = () => {
    const db = new Database(path, { readonly: true });
    try {
      return (db.prepare('SELECT request_id FROM predictions ORDER BY request_id').all() as Array<{ request_id: string }>).map((r) => r.request_id);
    } finally {
      db.close();
    }
  };
  // fraud: its own 1 h (req-1 gone); churn: the namespace's 48 h (req-4 gone); web: the default 24 h (req-5 gone).
  assert.deepEqual(left(), ['req-2', 'req-3', 'req-6']);
  now = T0 + 20 * H;
  assert.equal(await log.setPolicies([]), 2, 'without policies everything falls back to the default 24 h');
  assert.deepEqual(left(), ['req-2']);
  await log.close();
  // Reopened a day later: rows past their retention go at start, before any traffic.
  now = T0 + 40 * H;
  const again = new PredictionLog({ path, flushIntervalMs: 60_000, retentionMs: 24 * H }, () => now);
  t.after(() => again.close());
  await again.flush();
  assert.deepEqual(left(), []);
  assert.equal(again.pruned, 1);
});

test('the retention timer deletes without any traffic', async (t) => {
  const path = tempDb(t);
  let now = T0;
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, retentionMs: 1000, pruneIntervalMs: 20 }, () => now);
  t.after(() => log.close());
  log.enqueue(entry(1, { time: T0 }));
  await log.flush();
  assert.equal(count(path), 1);
  now = T0 + 5000;
  for (let i = 0; i < 100 && count(path) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(count(path), 0);
});

test('rows the writer has not answered yet count against maxQueue', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, maxQueue: 100, batchSize: 60, flushIntervalMs: 60_000 }, clock);
  t.after(() => log.close());
  for (let i = 0; i < 60; i++) log.enqueue(entry(i));
  await tick(); // 60 handed to the writer
  let accepted = 0;
  for (let i = 60; i < 200; i++) if (log.enqueue(entry(i))) accepted++;
  // However far the writer got, queued + in flight never exceeded 100.
  assert.ok(accepted >= 40 && accepted <= 100, `accepted ${accepted}`);
  assert.equal(log.dropped, 140 - accepted);
  await log.flush();
  assert.equal(count(path), 60 + accepted);
  assert.equal(log.written + log.dropped, 200);
});

test('close writes what is queued and is idempotent; a closed log drops', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000 }, clock);
  for (let i = 0; i < 7; i++) log.enqueue(entry(i));
  await Promise.all([log.close(), log.close()]);
  assert.equal(count(path), 7);
  assert.equal(log.enqueue(entry(8)), false);
  assert.equal(log.dropped, 1);
});
