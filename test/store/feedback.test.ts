// Feedback joined and stored by the prediction log's writer thread, on a
// real SQLite file: by request id (rows with a unit key by index, others by a
// bounded scan), by unit (its first row), unmatched events kept and counted,
// retries counted once, events posted before their prediction row is
// written, retention, and the reads the analysis uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseFeedbackBatch } from '../../src/api/feedback.ts';
import { feedbackCounts, readFeedback } from '../../src/store/feedback.ts';
import { JOIN_SQL, requestIdTime } from '../../src/store/feedback-write.ts';
import { requestIdV7 } from '../../src/gateway/request-id.ts';
import { PredictionLog, type PredictionEntry } from '../../src/store/predictions.ts';
import { keyedHash } from '../../src/store/predictions-policy.ts';

const T0 = 1_700_000_000_000;
const KEY = new Uint8Array(32).fill(7);

function tempDb(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-feedback-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'switchyard.db');
}

/** A log whose timer never flushes on its own (60 s): rows reach the file only when something hands them over. */
function openLog(t: { after: (fn: () => Promise<void>) => void }, path: string, now: () => number, over: Partial<ConstructorParameters<typeof PredictionLog>[0]> = {}): PredictionLog {
  const log = new PredictionLog({ path, hashKey: KEY, flushIntervalMs: 60_000, ...over }, now);
  t.after(() => log.close());
  return log;
}

const prediction = (requestId: string, over: Partial<PredictionEntry> = {}): PredictionEntry => ({
  requestId, time: T0, namespace: 'shop', service: 'ranker', variant: 'latest', revision: 'ranker-predictor-00002',
  role: 'primary', status: 200, latencyMs: 2, cohort: { tier: 'gold' }, ...over,
});

const rowsOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM feedback ORDER BY rowid').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
};

test('an event posted right after its prediction joins it: the queued rows are written first', async (t) => {
  const path = tempDb(t);
  const log = openLog(t, path, () => T0 + 1000);
  log.enqueue(prediction('r1', { unit: 'user-1' }));
  // Nothing flushed the log: the row is still queued when the event arrives.
  assert.equal(log.queued, 1);
  const result = await log.postFeedback(parseFeedbackBatch({ requestId: 'r1', metric: 'click', value: 1 }));
  assert.deepEqual({ ...result, events: result.events.map((e) => e.status) }, { accepted: 1, duplicates: 0, unmatched: 0, events: ['accepted'] });
  const [row] = rowsOf(path);
  assert.deepEqual({ ...row, id: undefined }, {
    id: undefined, namespace: 'shop', received_ms: T0 + 1000, event_ms: T0 + 1000, metric: 'click', value: 1, request_id: 'r1',
    unit: keyedHash(KEY, 'shop', 'user-1'), service: 'ranker', revision: 'ranker-predictor-00002', variant: 'latest', prediction_ms: T0,
    cohort: '{"tier":"gold"}', matched: 1,
  });
});

test('a unit event joins the unit\'s first row in its namespace: its assignment', async (t) => {
  const path = tempDb(t);
  const log = openLog(t, path, () => T0 + 60_000);
  log.enqueue(prediction('a', { unit: 'user-9', time: T0 + 10, revision: 'ranker-predictor-00001', variant: 'prev' }));
  log.enqueue(prediction('b', { unit: 'user-9', time: T0 + 20 }));
  log.enqueue(prediction('c', { unit: 'user-9', time: T0 + 5, namespace: 'other' }));
  const r = await log.postFeedback(parseFeedbackBatch([
    { unit: 'user-9', namespace: 'shop', metric: 'purchase', value: 1, time: T0 + 30_000 },
    { unit: 'user-9', namespace: 'shop', metric: 'revenue', value: 42.5, time: new Date(T0 + 30_000).toISOString() },
    { unit: 'user-404', namespace: 'shop', metric: 'purchase', value: 1 },
  ]));
  assert.deepEqual(r.events.map((e) => e.status), ['accepted', 'accepted', 'unmatched']);
  const { events } = readFeedback(log.db, { namespace: 'shop', service: 'ranker', metric: 'revenue', after: 0 });
  assert.equal(events.length, 1);
  assert.deepEqual({ ...events[0], rowid: 0 }, {
    rowid: 0, revision: 'ranker-predictor-00001', variant: 'prev', unit: keyedHash(KEY, 'shop', 'user-9'), requestId: null, value: 42.5,
    eventMs: T0 + 30_000, predictionMs: T0 + 10, cohort: { tier: 'gold' }, matched: true,
  });
  // The unmatched event is kept, with its unit hashed as the log hashes units: never the plain key.
  const unmatched = rowsOf(path).find((row) => row.matched === 0)!;
  assert.equal(unmatched.unit, keyedHash(KEY, 'shop', 'user-404'));
  assert.equal(unmatched.service, null);
  assert.equal(JSON.stringify(rowsOf(path)).includes('user-'), false);
});

test('retries count once: the same id again is a duplicate, and an event without id is identified by its content', async (t) => {
  const path = tempDb(t);
  const log = openLog(t, path, () => T0 + 1000);
  log.enqueue(prediction('r1', { unit: 'u1' }));
  const batch = [
    { requestId: 'r1', metric: 'click', value: 1, id: 'evt-1' },
    { requestId: 'r1', metric: 'purchase', value: 1, time: T0 + 500 },
    { requestId: 'r1', metric: 'purchase', value: 1, time: new Date(T0 + 500).toISOString() },
  ];
  const first = await log.postFeedback(parseFeedbackBatch(batch));
  // The third says what the second says (the same time, written another way): one event.
  assert.deepEqual(first.events.map((e) => e.status), ['accepted', 'accepted', 'duplicate']);
  assert.equal(first.events[1]!.id, first.events[2]!.id);
  assert.match(first.events[1]!.id, /^sha256:[0-9a-f]{64}$/);
  const again = await log.postFeedback(parseFeedbackBatch(batch));
  assert.deepEqual(again, { accepted: 0, duplicates: 3, unmatched: 0, events: first.events.map((e) => ({ id: e.id, status: 'duplicate' })) });
  assert.equal(rowsOf(path).length, 2);
  // The same id in another namespace is another event.
  const elsewhere = await log.postFeedback(parseFeedbackBatch({ requestId: 'r1', namespace: 'other', metric: 'click', value: 1, id: 'evt-1' }));
  assert.deepEqual(elsewhere.events.map((e) => e.status), ['unmatched']);
});

test('a request id without a unit key joins by a bounded scan of its namespace, or of every namespace when the event names none', async (t) => {
  const path = tempDb(t);
  const now = T0 + 3_600_000;
  const log = openLog(t, path, () => now, { joinWindowMs: 600_000, feedbackScanRows: 50 });
  for (let i = 0; i < 100; i++) log.enqueue(prediction(`plain-${i}`, { time: now - 100_000 + i * 1000 }));
  log.enqueue(prediction('old', { time: now - 700_000 }));
  const r = await log.postFeedback(parseFeedbackBatch([
    { requestId: 'plain-99', namespace: 'shop', metric: 'click', value: 1 },
    { requestId: 'plain-60', namespace: 'shop', metric: 'click', value: 1 },
    // Without the namespace: the same bounded scan over every namespace's rows (the documented field is optional).
    { requestId: 'plain-98', metric: 'click', value: 1 },
    // Older than the join window before the event.
    { requestId: 'old', namespace: 'shop', metric: 'click', value: 1 },
    // Beyond the 50 newest rows the scan reads.
    { requestId: 'plain-10', namespace: 'shop', metric: 'click', value: 1 },
    // In the namespace's window, but of another namespace.
    { requestId: 'plain-97', namespace: 'other', metric: 'click', value: 1 },
  ]));
  assert.deepEqual(r.events.map((e) => e.status), ['accepted', 'accepted', 'accepted', 'unmatched', 'unmatched', 'unmatched']);
  const [a, b, c] = rowsOf(path);
  assert.deepEqual([a!.prediction_ms, b!.prediction_ms, a!.unit], [now - 1000, now - 40_000, null]);
  assert.deepEqual([c!.namespace, c!.prediction_ms], ['shop', now - 2000], 'joined without a namespace, the event takes its prediction\'s');
  const lost = await log.postFeedback(parseFeedbackBatch({ requestId: 'never-made', metric: 'click', value: 1 }));
  assert.equal(lost.events[0]!.status, 'unmatched');
  assert.equal(rowsOf(path).at(-1)!.namespace, '', 'an unmatched event without a namespace is stored under none');
});

test('a gateway-made request id (UUIDv7) bounds the scan by its own time', async (t) => {
  const path = tempDb(t);
  const now = T0 + 3_600_000;
  const log = openLog(t, path, () => now);
  const made = requestIdV7(now - 30_000);
  assert.equal(requestIdTime(made), now - 30_000);
  assert.equal(requestIdTime('0190a1b2-7c3d-4e4f-8a5b-6c7d8e9f0a1b'), undefined, 'a UUIDv4 carries no time');
  log.enqueue(prediction(made, { time: now - 29_990 }));
  // The same id on a row older than the id itself (1 s of clock slack allowed) is not the request's.
  const early = requestIdV7(now - 20_000);
  log.enqueue(prediction(early, { time: now - 25_000 }));
  const r = await log.postFeedback(parseFeedbackBatch([made, early].map((requestId) => ({ requestId, namespace: 'shop', metric: 'click', value: 1 }))));
  assert.deepEqual(r.events.map((e) => e.status), ['accepted', 'unmatched']);
});

test('joins use the partial indexes on keyed rows and the time index, never a walk of a namespace\'s rows', (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, hashKey: KEY });
  t.after(() => log.close());
  const plan = (sql: string) => (log.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x')) as Array<{ detail: string }>)
    .map((r) => r.detail).join('; ');
  // The rows of one request id (one, unless a client reuses its ids) are sorted: no more.
  assert.equal(plan(JOIN_SQL.byRequest), 'SEARCH predictions USING INDEX predictions_request_unit (request_id=?); USE TEMP B-TREE FOR ORDER BY');
  assert.equal(plan(JOIN_SQL.byRequestIn), 'SEARCH predictions USING INDEX predictions_request_unit (request_id=?); USE TEMP B-TREE FOR ORDER BY');
  assert.equal(plan(JOIN_SQL.byUnit), 'SEARCH predictions USING INDEX predictions_unit (namespace=? AND unit=?)');
  assert.equal(plan(JOIN_SQL.recent), 'SEARCH predictions USING INDEX predictions_time (time>? AND time<?)');
  assert.equal(plan(JOIN_SQL.recentAnywhere), 'SEARCH predictions USING INDEX predictions_time (time>? AND time<?)');
  assert.match(plan("SELECT * FROM feedback WHERE namespace = 'a' AND service = 'b' AND metric = 'c' AND rowid > 0 ORDER BY rowid LIMIT 10"), /USING INDEX feedback_service/);
});

test('readFeedback pages by rowid; feedbackCounts counts accepted per metric and unmatched', async (t) => {
  const path = tempDb(t);
  let now = T0 + 1000;
  const log = openLog(t, path, () => now);
  log.enqueue(prediction('r1', { unit: 'u1' }));
  log.enqueue(prediction('r2', { unit: 'u2', service: 'search' }));
  await log.postFeedback(parseFeedbackBatch([
    { requestId: 'r1', metric: 'click', value: 1, id: '1' },
    { requestId: 'r1', metric: 'click', value: 0, id: '2' },
    { requestId: 'r2', metric: 'click', value: 1, id: '3' },
    { requestId: 'r1', metric: 'revenue', value: 9.5, id: '4' },
    { requestId: 'nope', namespace: 'shop', metric: 'click', value: 1, id: '5' },
  ]));
  const page1 = readFeedback(log.db, { namespace: 'shop', service: 'ranker', metric: 'click', after: 0, limit: 1 });
  assert.deepEqual(page1.events.map((e) => e.value), [1]);
  const page2 = readFeedback(log.db, { namespace: 'shop', service: 'ranker', metric: 'click', after: page1.cursor });
  assert.deepEqual(page2.events.map((e) => e.value), [0]);
  assert.equal(readFeedback(log.db, { namespace: 'shop', service: 'ranker', metric: 'click', after: page2.cursor }).events.length, 0);
  assert.equal(readFeedback(log.db, { namespace: 'shop', service: 'ranker', metric: 'click', after: page2.cursor }).cursor, page2.cursor);
  assert.deepEqual(feedbackCounts(log.db, { namespace: 'shop' }), { accepted: 4, unmatched: 1, byMetric: { click: 3, revenue: 1 } });
  assert.deepEqual(feedbackCounts(log.db, { namespace: 'shop', service: 'ranker' }), { accepted: 3, unmatched: 0, byMetric: { click: 2, revenue: 1 } });
  now += 5000;
  await log.postFeedback(parseFeedbackBatch({ requestId: 'r1', metric: 'click', value: 1, id: '6' }));
  assert.deepEqual(feedbackCounts(log.db, { namespace: 'shop', sinceMs: now }), { accepted: 1, unmatched: 0, byMetric: { click: 1 } });
});

test('feedback follows the retention of its service\'s prediction log, unmatched events that of their namespace', async (t) => {
  const path = tempDb(t);
  let now = T0;
  const log = openLog(t, path, () => now);
  log.enqueue(prediction('r1', { unit: 'u1' }));
  log.enqueue(prediction('r2', { unit: 'u2', service: 'search' }));
  await log.postFeedback(parseFeedbackBatch([
    { requestId: 'r1', metric: 'click', value: 1 },
    { requestId: 'r2', metric: 'click', value: 1 },
    { requestId: 'nope', namespace: 'shop', metric: 'click', value: 1 },
  ]));
  now = T0 + 2 * 3_600_000;
  await log.setPolicies([{ namespace: 'shop', name: 'short', spec: { services: ['ranker'], retention: '1h' } }]);
  assert.deepEqual(rowsOf(path).map((r) => r.request_id), ['r2', 'nope']);
  await log.setPolicies([{ namespace: 'shop', name: 'wide', spec: { retention: '1h' } }]);
  assert.deepEqual(rowsOf(path).map((r) => r.request_id), []);
  assert.equal(log.feedbackPruned, 3);
});

test('a closed log refuses feedback with SY_ERR_UNAVAILABLE', async (t) => {
  const log = new PredictionLog({ path: tempDb(t), hashKey: KEY });
  await log.close();
  await assert.rejects(log.postFeedback(parseFeedbackBatch({ requestId: 'r', metric: 'click', value: 1 })), { code: 'SY_ERR_UNAVAILABLE' });
});

test('a log written before rows carried unit keys opens, gains the column and the feedback table, and joins its new rows', async (t) => {
  const path = tempDb(t);
  const old = new Database(path);
  old.exec(`CREATE TABLE predictions (request_id TEXT NOT NULL, time INTEGER NOT NULL, namespace TEXT NOT NULL, service TEXT NOT NULL,
    route TEXT, variant TEXT, revision TEXT, digest TEXT, role TEXT NOT NULL, status INTEGER NOT NULL, latency_ms REAL NOT NULL,
    output TEXT, input TEXT, cohort TEXT)`);
  old.prepare("INSERT INTO predictions VALUES ('before', ?, 'shop', 'ranker', NULL, 'latest', 'r1', NULL, 'primary', 200, 1, NULL, NULL, NULL)").run(T0);
  old.close();
  const log = openLog(t, path, () => T0 + 1000);
  log.enqueue(prediction('after', { unit: 'u1' }));
  const r = await log.postFeedback(parseFeedbackBatch([
    { requestId: 'after', metric: 'click', value: 1 },
    { requestId: 'before', namespace: 'shop', metric: 'click', value: 1 },
  ]));
  assert.deepEqual(r.events.map((e) => e.status), ['accepted', 'accepted']);
});

test('feedback is stored while another connection writes the same file (the store\'s): the batch waits for the write lock, never "database is locked"', async (t) => {
  const path = tempDb(t);
  const log = openLog(t, path, () => T0 + 1000);
  for (let i = 0; i < 50; i++) log.enqueue(prediction(`r${i}`, { unit: `user-${i}` }));
  await log.flush();
  const other = new Database(path, { timeout: 5000 });
  t.after(() => other.close());
  other.exec('CREATE TABLE IF NOT EXISTS scratch (n INTEGER)');
  const write = other.prepare('INSERT INTO scratch (n) VALUES (?)');
  const posts = Array.from({ length: 200 }, (_, i) => log.postFeedback(parseFeedbackBatch({ requestId: `r${i % 50}`, metric: 'click', value: 1, id: `e${i}` })).then(() => 'ok', (err: Error) => err.message));
  // Meanwhile this thread commits small writes as fast as it can, as the store does between windows.
  const until = performance.now() + 400;
  for (let n = 0; performance.now() < until; n++) write.run(n);
  const outcomes = await Promise.all(posts);
  assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);
  assert.equal(rowsOf(path).length, 200);
});
