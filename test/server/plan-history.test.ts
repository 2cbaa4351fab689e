// A plan's recent history: one point per judged window (with each gate's
// window and cumulative values) and per move of split or phase, from the
// store's watch, bounded in points per plan and in plans, and kept in the
// database across restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followPlanHistory, PlanHistory, TRAFFIC_PLANS } from '../../src/server/plan-history.ts';
import { PlanHistoryLog } from '../../src/store/plan-history-log.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject } from '../../src/store/types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function plan(name: string, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'ml' }, spec: {}, status };
}

const windowStatus = (s: number, percent: number, value: number) => ({
  phase: 'Progressing', phaseIndex: 0, currentStep: percent === 10 ? 0 : 1, canaryPercent: percent, split: { base: 100 - percent, cand: percent }, stepRequests: s * 10,
  lastWindow: { from: iso(s - 2), to: iso(s), verdict: 'inconclusive' },
  gates: [{ name: 'errorRate', metric: 'errorRate', verdict: 'inconclusive', value, interval: [0, value * 3], lastWindow: { value: value * 2, samples: 20 } }],
});

test('a point per judged window and per move; repeated statuses add nothing', () => {
  let now = T0;
  const h = new PlanHistory({ now: () => now });
  h.observe({ type: 'ADDED', object: plan('p', { phase: 'Pending' }) });
  h.observe({ type: 'MODIFIED', object: plan('p', windowStatus(2, 10, 0.01)) });
  h.observe({ type: 'MODIFIED', object: plan('p', windowStatus(2, 10, 0.01)) }); // the same window again (another status write)
  h.observe({ type: 'MODIFIED', object: plan('p', windowStatus(4, 10, 0.004)) });
  now = T0 + 4500;
  h.observe({ type: 'MODIFIED', object: plan('p', { ...windowStatus(4, 50, 0.004), message: 'advanced' }) }); // moved, no new window
  const points = h.points('ml', 'p');
  assert.deepEqual(points.map((p) => [p.at - T0, p.phase, p.canaryPercent, p.verdict ?? null]), [
    [0, 'Pending', undefined, null], [2000, 'Progressing', 10, 'inconclusive'], [4000, 'Progressing', 10, 'inconclusive'], [4500, 'Progressing', 50, null],
  ]);
  assert.deepEqual(points[1]!.gates, [{ name: 'errorRate', metric: 'errorRate', verdict: 'inconclusive', window: 0.02, value: 0.01, interval: [0, 0.03] }]);
  assert.deepEqual(points[3]!.split, { base: 50, cand: 50 });
  assert.deepEqual(points[3]!.gates, [], 'a move without a window carries no gate values');
  assert.deepEqual(h.points('ml', 'other'), []);
  h.observe({ type: 'MODIFIED', object: plan('s', { ...windowStatus(6, 10, 0.01), shadow: { percent: 50, pairs: 120, compared: 120, agreement: 0.975 } }) });
  assert.deepEqual(h.points('ml', 's')[0]!.shadow, { pairs: 120, agreement: 0.975 }, 'a shadow phase\'s pairs and agreement, window by window');
});

test('points and plans are bounded; a deleted plan is forgotten', () => {
  const h = new PlanHistory({ maxPoints: 3, maxPlans: 2 });
  for (let s = 2; s <= 10; s += 2) h.observe({ type: 'MODIFIED', object: plan('a', windowStatus(s, 10, 0.01)) });
  assert.deepEqual(h.points('ml', 'a').map((p) => p.at - T0), [6000, 8000, 10000], 'the oldest points go first');
  h.observe({ type: 'ADDED', object: plan('b', windowStatus(2, 10, 0.01)) });
  h.observe({ type: 'MODIFIED', object: plan('a', windowStatus(12, 10, 0.01)) });
  h.observe({ type: 'ADDED', object: plan('c', windowStatus(2, 10, 0.01)) });
  assert.equal(h.points('ml', 'b').length, 0, 'the plan changed least recently is dropped');
  assert.equal(h.points('ml', 'a').length, 3);
  h.observe({ type: 'DELETED', object: plan('c', {}) });
  assert.equal(h.points('ml', 'c').length, 0);
});

test('followed from a real store: plans as stored at start, then every status write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-hist-'));
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const actor = { actor: { name: 'test' } };
  const stored = await store.create(TRAFFIC_PLANS, plan('p', windowStatus(2, 10, 0.01)), actor);
  const { history, stop } = await followPlanHistory(store);
  t.after(stop);
  assert.equal(history.points('ml', 'p').length, 1, 'seeded from the stored status');
  await store.update(TRAFFIC_PLANS, { ...stored, status: windowStatus(4, 10, 0.02) }, { ...actor, subresource: 'status' });
  for (let i = 0; i < 50 && history.points('ml', 'p').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(history.points('ml', 'p').map((p) => p.gates[0]?.value), [0.01, 0.02]);
});

test('kept in the database: a restart reads back the points of the plans that exist; a plan made again under its name, or deleted, starts afresh', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-hist-'));
  const path = join(dir, 'db.sqlite');
  const store = await openSqliteStore({ path });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const actor = { actor: { name: 'test' } };
  const status = (obj: KubeObject, s: Record<string, unknown>) => store.update(TRAFFIC_PLANS, { ...obj, status: s }, { ...actor, subresource: 'status' });
  const waitFor = async (h: PlanHistory, name: string, n: number) => {
    for (let i = 0; i < 100 && h.points('ml', name).length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };
  // First run: p gets three windows, q two.
  let log = new PlanHistoryLog(path);
  let run = await followPlanHistory(store, { log, maxPoints: 3 });
  let p = await store.create(TRAFFIC_PLANS, plan('p', windowStatus(2, 10, 0.01)), actor);
  const q = await store.create(TRAFFIC_PLANS, plan('q', windowStatus(2, 10, 0.01)), actor);
  for (const s of [4, 6, 8]) p = await status(p, windowStatus(s, 10, s / 1000));
  await status(q, windowStatus(4, 10, 0.02));
  await waitFor(run.history, 'p', 3);
  await waitFor(run.history, 'q', 2);
  run.stop();
  log.close();
  // Meanwhile q is deleted and made again (a new uid): its old points are not its own.
  await store.delete({ ...TRAFFIC_PLANS, namespace: 'ml', name: 'q' }, actor);
  await store.create(TRAFFIC_PLANS, plan('q', windowStatus(20, 10, 0.05)), actor);
  // Second run: p's charts are there, bounded as before; nothing is added twice.
  log = new PlanHistoryLog(path);
  run = await followPlanHistory(store, { log, maxPoints: 3 });
  t.after(() => {
    run.stop();
    log.close();
  });
  assert.deepEqual(run.history.points('ml', 'p').map((x) => x.at - T0), [4000, 6000, 8000]);
  assert.deepEqual(run.history.points('ml', 'q').map((x) => x.gates[0]?.value), [0.05], 'the new q has only its own status');
  p = await status(p, windowStatus(10, 50, 0.01));
  await waitFor(run.history, 'p', 4);
  assert.deepEqual(run.history.points('ml', 'p').map((x) => x.at - T0), [6000, 8000, 10000]);
  assert.deepEqual(log.points({ namespace: 'ml', name: 'p', uid: p.metadata.uid! }, 10).map((x) => x.at - T0), [6000, 8000, 10000], 'the database keeps what memory keeps');
});

test('a point the database cannot take (here a read-only file) is reported, and the history and its watch go on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-hist-'));
  const path = join(dir, 'db.sqlite');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  new PlanHistoryLog(path).close(); // the table exists
  const errors: string[] = [];
  const log = new PlanHistoryLog(path, (err) => errors.push(err.message));
  t.after(() => log.close());
  (log as unknown as { db: { pragma(s: string): void } }).db.pragma('query_only = ON');
  const h = new PlanHistory({ log });
  const obj = { ...plan('p', windowStatus(2, 10, 0.01)), metadata: { name: 'p', namespace: 'ml', uid: 'u1' } };
  assert.doesNotThrow(() => h.observe({ type: 'ADDED', object: obj }));
  assert.equal(h.points('ml', 'p').length, 1, 'kept in memory');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /readonly|read-only|query_only/i);
});
