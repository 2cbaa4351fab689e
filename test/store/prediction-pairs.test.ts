// Shadow pairs read from a real SQLite prediction log: each shadow answer is
// read once (by its rowid cursor), however late it was written; answers still
// in the grace period wait; a duplicate answer counts once; a shadow answer
// without its primary is returned unpaired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPredictionsDb } from '../../src/store/predictions.ts';
import { readShadowPairs } from '../../src/store/prediction-pairs.ts';

function withDb(fn: (insert: (row: { id: string; time: number; role: string; revision: string; status?: number; output?: unknown; cohort?: object }) => void, db: ReturnType<typeof openPredictionsDb>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sy-pairs-'));
  const db = openPredictionsDb(join(dir, 'p.sqlite'));
  const stmt = db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, revision, role, status, latency_ms, output, cohort) VALUES (?, ?, 'ns', 'iris', ?, ?, ?, ?, ?, ?)`);
  try {
    fn((r) => stmt.run(r.id, r.time, r.revision, r.role, r.status ?? 200, r.role === 'mirror' ? 12 : 10, JSON.stringify(r.output ?? { predictions: [1] }), r.cohort ? JSON.stringify(r.cohort) : null), db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const q = { namespace: 'ns', service: 'iris', revision: 'iris-2' };

test('pairs are joined on request id and read once; the cursor moves past them', () => withDb((insert, db) => {
  insert({ id: 'a', time: 1000, role: 'primary', revision: 'iris-1', cohort: { tier: 'gold' } });
  insert({ id: 'a', time: 1010, role: 'mirror', revision: 'iris-2', output: { predictions: [2] } });
  insert({ id: 'b', time: 1020, role: 'primary', revision: 'iris-1' });
  insert({ id: 'b', time: 1030, role: 'mirror', revision: 'iris-2' });
  const first = readShadowPairs(db, { ...q, after: 0, beforeMs: 5000 });
  assert.deepEqual(first.pairs.map((p) => [p.requestId, p.baseline?.output, p.candidate.output]), [['a', { predictions: [1] }, { predictions: [2] }], ['b', { predictions: [1] }, { predictions: [1] }]]);
  assert.deepEqual(first.pairs[0]!.cohort, { tier: 'gold' });
  assert.deepEqual(readShadowPairs(db, { ...q, after: first.cursor, beforeMs: 5000 }).pairs, [], 'nothing twice');
}));

test('a late shadow answer is read when it is written; young ones wait out the grace period', () => withDb((insert, db) => {
  insert({ id: 'a', time: 1000, role: 'primary', revision: 'iris-1' });
  insert({ id: 'b', time: 1000, role: 'primary', revision: 'iris-1' });
  insert({ id: 'b', time: 4000, role: 'mirror', revision: 'iris-2' });
  const early = readShadowPairs(db, { ...q, after: 0, beforeMs: 3000 });
  assert.deepEqual(early.pairs, [], 'b is still within the grace period');
  // a's shadow answer is written only now (with its answer time, earlier than b's).
  insert({ id: 'a', time: 1500, role: 'mirror', revision: 'iris-2' });
  const later = readShadowPairs(db, { ...q, after: early.cursor, beforeMs: 10_000 });
  assert.deepEqual(later.pairs.map((p) => p.requestId), ['b', 'a']);
}));

test('a duplicate shadow answer counts once; one without a primary is unpaired; other revisions are not read', () => withDb((insert, db) => {
  insert({ id: 'a', time: 1000, role: 'primary', revision: 'iris-1' });
  insert({ id: 'a', time: 1010, role: 'mirror', revision: 'iris-2' });
  insert({ id: 'a', time: 1020, role: 'mirror', revision: 'iris-2' });
  insert({ id: 'x', time: 1030, role: 'mirror', revision: 'iris-2', status: 504 });
  insert({ id: 'a', time: 1040, role: 'mirror', revision: 'iris-3' });
  const r = readShadowPairs(db, { ...q, after: 0, beforeMs: 5000 });
  assert.deepEqual(r.pairs.map((p) => [p.requestId, p.baseline !== undefined, p.candidate.status]), [['a', true, 200], ['x', false, 504]]);
}));

test('a cursor beyond the table (retention emptied it) starts again from the beginning', () => withDb((insert, db) => {
  insert({ id: 'a', time: 1000, role: 'primary', revision: 'iris-1' });
  insert({ id: 'a', time: 1010, role: 'mirror', revision: 'iris-2' });
  assert.equal(readShadowPairs(db, { ...q, after: 999_999, beforeMs: 5000 }).pairs.length, 1);
}));
