// What a bandit reads from the prediction log at each look, on a real SQLite
// file written by the log's writer thread: each arm's assignments and the
// rewards joined to them (one per request, whenever it arrived), values out
// of the declared range counted apart, arms told apart by VirtualService
// subset, rewards that joined nothing counted, and the inverse-propensity
// totals of the logged assignments.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFeedbackBatch } from '../../src/api/feedback.ts';
import { ipsFromTotals } from '../../src/analysis/bandit.ts';
import { countUnmatchedRewards, readArmRewards, readOutcomes } from '../../src/store/outcomes.ts';
import { openPredictionsDb } from '../../src/store/predictions-write.ts';
import { PredictionLog, type PredictionEntry } from '../../src/store/predictions.ts';

const T0 = 1_700_000_000_000;

/** A prediction log on a fresh SQLite file (its clock at `now`), and the file's path; both go when the test ends. */
function freshLog(t: TestContext, now: number): { log: PredictionLog; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-outcomes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'switchyard.db');
  const log = new PredictionLog({ path, hashKey: new Uint8Array(32), flushIntervalMs: 60_000 }, () => now);
  t.after(() => log.close());
  return { log, path };
}

test('arm rewards: assignments, rewards once per request, out-of-range apart, per subset, unmatched, and IPS totals', async (t) => {
  const { log, path } = freshLog(t, T0 + 5000);
  const row = (id: string, variant: string, propensity: number, time = T0 + 1000): PredictionEntry => ({
    requestId: id, time, namespace: 'shop', service: 'ranker.models.internal', route: 'shop/ranker/main', variant, role: 'primary', status: 200, latencyMs: 1,
    allocation: 3, propensity,
  });
  // Arm a: 4 assignments at p = 0.5, two clicked (one clicked twice: counts once). Arm b: 2 at p = 0.25, one reward out of range.
  for (const [id, v, p] of [['a1', 'a', 0.5], ['a2', 'a', 0.5], ['a3', 'a', 0.5], ['a4', 'a', 0.5], ['b1', 'b', 0.25], ['b2', 'b', 0.25]] as const) log.enqueue(row(id, v, p));
  log.enqueue(row('old', 'a', 0.5, T0 - 60_000));
  const events = [
    { requestId: 'a1', metric: 'click', value: 1, id: 'e1' }, { requestId: 'a1', metric: 'click', value: 1, id: 'e1-again' },
    { requestId: 'a3', metric: 'click', value: 1, id: 'e2' }, { requestId: 'b1', metric: 'click', value: 7, id: 'e3' },
    { requestId: 'old', metric: 'click', value: 1, id: 'e4' }, { requestId: 'nobody', metric: 'click', value: 1, id: 'e5' },
  ].map((e) => ({ ...e, namespace: 'shop' }));
  await log.postFeedback(parseFeedbackBatch(events));
  await log.flush();
  const db = openPredictionsDb(path);
  t.after(() => db.close());
  const arms = [{ namespace: 'shop', service: 'ranker.models.internal', variant: 'a' }, { namespace: 'shop', service: 'ranker.models.internal', variant: 'b' }];
  const [a, b] = readArmRewards(db, { arms, route: 'shop/ranker/main', metric: 'click', fromMs: T0, min: 0, max: 1 });
  assert.equal(a!.assigned, 4, 'rows before the phase do not count');
  assert.equal(a!.rewarded, 2, 'a request rewarded twice counts once');
  assert.equal(a!.sum, 2);
  assert.equal(b!.assigned, 2);
  assert.equal(b!.rewarded, 0);
  assert.equal(b!.outOfRange, 1, 'a click of 7 is outside [0, 1]: counted apart, not learnt from');
  assert.equal(a!.lastRewardMs, T0 + 5000);
  assert.equal(countUnmatchedRewards(db, { namespace: 'shop', metric: 'click', fromMs: T0 }), 1);
  // IPS without zeroAfter: as for learning, only assignments with a reward (a's two clicks, 1/0.5 each);
  // b has none in range (the click of 7 is not a reward), so nothing to estimate from.
  assert.deepEqual(a!.logged, { n: 2, sum: 4, sumSq: 8, inverse: 4 });
  assert.equal(b!.logged, undefined);
  // zeroAfter: assignments older than it with no reward event count as 0s (a2, a4; b2 — b1's out-of-range event is an event).
  const later = readArmRewards(db, { arms, route: 'shop/ranker/main', metric: 'click', fromMs: T0, min: 0, max: 1, zeroAfterMs: 60_000, toMs: T0 + 1000 + 60_000 });
  assert.deepEqual(later.map((x) => x.implicitZeros), [2, 1]);
  const early = readArmRewards(db, { arms, route: 'shop/ranker/main', metric: 'click', fromMs: T0, min: 0, max: 1, zeroAfterMs: 60_000, toMs: T0 + 1000 + 59_999 });
  assert.deepEqual(early.map((x) => x.implicitZeros), [0, 0], 'not yet zeroAfter old: still pending');
  // A click on an assignment younger than zeroAfter waits with it: learning from clicks that come at
  // once and zeros that come zeroAfter later would read a rate of 1 from the young assignments.
  assert.deepEqual(early.map((x) => [x.rewarded, x.sum, x.logged]), [[0, 0, undefined], [0, 0, undefined]]);
  assert.equal(early[1]!.outOfRange, 1, 'an out-of-range value is seen at once (it freezes learning)');
  assert.equal(early[0]!.lastRewardMs, T0 + 5000, 'freshness reads every reward');
  assert.deepEqual(later.map((x) => [x.rewarded, x.sum]), [[2, 2], [0, 0]], 'once zeroAfter old, clicks and zeros count together');
  // With zeroAfter, IPS counts the unclicked assignments as the 0s learning counts: a's rows give 1/0.5 twice and 0 twice.
  assert.deepEqual(later[0]!.logged, { n: 4, sum: 4, sumSq: 8, inverse: 8 });
  assert.deepEqual(later[1]!.logged, { n: 2, sum: 0, sumSq: 0, inverse: 8 });
  assert.equal(a!.implicitZeros, 0, 'without zeroAfter only explicit 0 events count');
  const [ipsA, ipsB] = ipsFromTotals([later[0]!.logged!, later[1]!.logged!]);
  assert.equal(ipsA!.ips, 4 / 6);
  assert.equal(ipsA!.snips, 0.5, 'SNIPS: the click rate of arm a');
  assert.equal(ipsB!.ips, 0);
  // Without zeroAfter a pending assignment is no 0: SNIPS is the mean of the rewards that came, as the arm's learnt rate is.
  assert.equal(ipsFromTotals([a!.logged!])[0]!.snips, a!.sum / a!.rewarded);
});

test("an A/B test's exposures count from the candidate's first answer: the units the baseline served while the candidate started are no arm", async (t) => {
  const { log, path } = freshLog(t, T0 + 60_000);
  const row = (id: string, revision: string, unit: string, time: number): PredictionEntry => ({
    requestId: id, time, namespace: 'shop', service: 'rec', revision, variant: '', role: 'primary', status: 200, latencyMs: 1, unit,
  });
  // While the candidate starts (T0 .. T0+10s) the baseline answers every unit, u1..u8; from T0+10s the split holds: u9..u12 on each side.
  for (let i = 1; i <= 8; i++) log.enqueue(row(`early-${i}`, 'rec-1', `u${i}`, T0 + i * 1000));
  for (let i = 9; i <= 12; i++) {
    log.enqueue(row(`b-${i}`, 'rec-1', `u${i}`, T0 + 10_000 + i));
    log.enqueue(row(`c-${i}`, 'rec-2', `v${i}`, T0 + 10_000 + i));
  }
  await log.postFeedback(parseFeedbackBatch([
    { requestId: 'early-1', metric: 'purchase', value: 1, id: 'p0' }, { requestId: 'b-9', metric: 'purchase', value: 1, id: 'p1' }, { requestId: 'c-9', metric: 'purchase', value: 1, id: 'p2' },
  ].map((e) => ({ ...e, namespace: 'shop' }))));
  await log.flush();
  const db = openPredictionsDb(path);
  t.after(() => db.close());
  const q = { namespace: 'shop', service: 'rec', baselineRevision: 'rec-1', candidateRevision: 'rec-2', metric: 'purchase', per: 'unit' as const, fromMs: T0, toMs: T0 + 60_000, attributionMs: 3_600_000 };
  const all = readOutcomes(db, q);
  assert.deepEqual([all.baseline.exposed, all.candidate.exposed, all.baseline.converted], [12, 4, 2], 'from the step start: 12 baseline units against 4');
  const ab = readOutcomes(db, { ...q, fromCandidateStart: true });
  assert.deepEqual([ab.baseline.exposed, ab.candidate.exposed, ab.baseline.converted, ab.candidate.converted], [4, 4, 1, 1]);
  const none = readOutcomes(db, { ...q, toMs: T0 + 10_000, fromCandidateStart: true });
  assert.deepEqual([none.baseline.exposed, none.candidate.exposed], [0, 0], 'before the candidate answered, nothing counts');
});
