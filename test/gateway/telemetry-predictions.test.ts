import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PredictionLog, queryPredictions, type PredictionEntry } from '../../src/store/predictions.ts';

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
    digest: 'sha256:abc', role: 'primary', status: 200, latencyMs: 3.5, output: { predictions: [0] }, input: null, cohort: { tier: 'gold' },
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

test('redaction replaces the configured JSON paths, per service', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({
    path, flushIntervalMs: 60_000,
    redact: { request: ['$.instances[*].email'], response: ['$.explanations'] },
    services: { 'ml/secret': { redact: { response: ['$'] } } },
  }, clock);
  t.after(() => log.close());
  log.enqueue(entry(1, {
    input: '{"instances":[{"email":"a@b.c","amount":5},{"email":"d@e.f","amount":7}]}',
    output: Buffer.from('{"predictions":[1,0],"explanations":{"top":"email"}}'),
  }));
  log.enqueue(entry(2, { service: 'secret', output: '{"predictions":[1]}' }));
  log.enqueue(entry(3, { output: 'not json at all' })); // redaction configured: unparseable text is not kept
  await log.flush();
  const rows = log.query({ namespace: 'ml', limit: 10 });
  const byId = new Map(rows.map((r) => [r.requestId, r]));
  assert.deepEqual(byId.get('req-1')!.input, { instances: [{ email: '[redacted]', amount: 5 }, { email: '[redacted]', amount: 7 }] });
  assert.deepEqual(byId.get('req-1')!.output, { predictions: [1, 0], explanations: '[redacted]' });
  assert.equal(byId.get('req-2')!.output, '[redacted]');
  assert.equal(byId.get('req-3')!.output, '[redacted]');
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

test('per-service sampling keeps a request id fraction, and a primary with its mirror', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, sampleRate: 1, services: { 'ml/fraud': { sampleRate: 0.3 } } }, clock);
  t.after(() => log.close());
  const n = 5000;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const p = log.wants('ml', 'fraud', `id-${i}`);
    assert.equal(log.wants('ml', 'fraud', `id-${i}`), p, 'same answer for the mirror row');
    if (p) kept++;
  }
  const sd = Math.sqrt(n * 0.3 * 0.7); // ≈ 32
  assert.ok(Math.abs(kept - n * 0.3) <= 5 * sd, `kept ${kept} of ${n}`);
  assert.equal(log.wants('ml', 'other', 'id-1'), true);
  // enqueue applies the same sampling.
  let queued = 0;
  for (let i = 0; i < 1000; i++) if (log.enqueue(entry(i, { requestId: `id-${i}` }))) queued++;
  let wanted = 0;
  for (let i = 0; i < 1000; i++) if (log.wants('ml', 'fraud', `id-${i}`)) wanted++;
  assert.equal(queued, wanted);
});

test('a redaction path with a filter is refused at construction', (t) => {
  const path = tempDb(t);
  assert.throws(() => new PredictionLog({ path, redact: { response: ["$.predictions[?(@.x=='y')]"] } }), /SY_ERR_CONFIG|filters are not supported/);
});

test('rows older than the retention are pruned when a batch is written', async (t) => {
  const path = tempDb(t);
  const log = new PredictionLog({ path, flushIntervalMs: 60_000, retentionMs: 30_000 }, clock);
  t.after(() => log.close());
  log.enqueue(entry(0, { time: T0 + 10_000 })); // 50 s old at the clock
  log.enqueue(entry(1, { time: T0 + 40_000 })); // 20 s old
  await log.flush();
  assert.deepEqual(log.query({ namespace: 'ml' }).map((r) => r.requestId), ['req-1']);
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
