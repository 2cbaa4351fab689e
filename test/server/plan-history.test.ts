// A plan's recent history: one point per judged window (with each gate's
// window and cumulative values) and per move of split or phase, from the
// store's watch, bounded in points per plan and in plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followPlanHistory, PlanHistory, TRAFFIC_PLANS } from '../../src/server/plan-history.ts';
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
