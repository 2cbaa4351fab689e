// The bandit phase's guardrails around the allocation, pure: floors and
// ceilings, frozen arms, reward sanity and freshness, the no-learning mode,
// the stopping rule and maxDuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import { seededRandom } from '../../src/core/random.ts';
import { aboveText, banditLook, promotionWait, startBandit, type ArmReading } from '../../src/controllers/plan/bandit-phase.ts';
import { simulateBandit } from '../../bench/bandit-rollout.ts';
import type { BanditPhaseSpec as BanditSpec } from '../../src/api/kinds/trafficplan.ts';

const MIN = 60_000;
function spec(b: Record<string, unknown> = {}): BanditSpec {
  return trafficPlanSpec.parse({
    target: { virtualService: { name: 'picker' } }, candidate: { revision: 'b' }, owner: { team: 't' },
    phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, rewardFreshness: '5m', minPercent: 5, ...b } }],
  }).phases[0]!.bandit!;
}
const reading = (assigned: number, clicks: number, o: Partial<ArmReading> = {}): ArmReading => ({ assigned, rewarded: assigned, sum: clicks, sumSq: clicks, outOfRange: 0, lastRewardMs: 0, ...o });
const arms = ['a', 'b', 'c'];

test('starts equal within the limits and moves toward the best arm as rewards come in', () => {
  const b = spec();
  let s = startBandit(b, arms, 0, 0);
  assert.deepEqual(s.weights.map((w) => Math.round(w * 1000) / 1000), [0.333, 0.333, 0.333]);
  const rand = seededRandom(1);
  const r = banditLook(b, s, [reading(1000, 40, { lastRewardMs: MIN }), reading(1000, 50, { lastRewardMs: MIN }), reading(1000, 90, { lastRewardMs: MIN })], [undefined, undefined, undefined], 0, MIN, rand);
  s = r.state;
  assert.equal(s.version, 2);
  assert.ok(s.weights[2]! > 0.8, `best arm ${s.weights[2]}`);
  assert.ok(s.weights.every((w) => w >= 0.05 - 1e-9), 'every arm keeps its floor');
  assert.ok(s.probabilityBest![2]! > 0.9);
});

test('clicks-only feedback: with zeroAfter, assignments that got no click count as 0s, so the arm that converts more wins', () => {
  const b = spec({ reward: { metric: 'click', zeroAfter: '10m' } });
  const s = startBandit(b, arms, 0, 0);
  // Only the 1s were posted: 40, 50 and 90 clicks of 1000 assignments each, the rest past zeroAfter with nothing.
  const clicksOnly = (clicks: number) => reading(1000, clicks, { rewarded: clicks, implicitZeros: 1000 - clicks, lastRewardMs: MIN });
  const r = banditLook(b, s, [clicksOnly(40), clicksOnly(50), clicksOnly(90)], [undefined, undefined, undefined], 0, MIN, seededRandom(11));
  assert.ok(r.state.weights[2]! > 0.8, `best arm ${r.state.weights[2]}`);
  // Without the implicit zeros every arm's rate would read 1 (only 1s arrived): nothing to tell them apart.
  const blind = banditLook(b, s, [clicksOnly(40), clicksOnly(50), clicksOnly(90)].map((x) => ({ ...x, implicitZeros: 0 })), [undefined, undefined, undefined], 0, MIN, seededRandom(11));
  assert.ok(blind.state.weights[2]! < 0.8, `without zeros ${blind.state.weights[2]}`);
});

test('zeroAfter is refused on continuous rewards, naming the field', () => {
  assert.throws(() => spec({ reward: { metric: 'revenue', kind: 'continuous', zeroAfter: '10m' } }), /zeroAfter[\s\S]*binary rewards only/);
});

test('an arm whose guardrail fails is frozen at 0 at once, its traffic to the others', () => {
  const b = spec();
  const s0 = startBandit(b, arms, 0, 0);
  const r = banditLook(b, { ...s0, learning: false }, [reading(100, 5), reading(100, 5), reading(100, 5)], [undefined, 'errorRate: [0.2, 0.4] beyond max 0.01', undefined], 0, 30_000, seededRandom(2));
  assert.equal(r.state.weights[1], 0);
  assert.equal(r.state.frozen[1], true);
  assert.match(r.notes[0]!, /arm b frozen at 0: errorRate/);
  assert.ok(Math.abs(r.state.weights[0]! + r.state.weights[2]! - 1) < 1e-9);
});

test('rewards out of range or a jumping reward rate freeze learning; the allocation stays', () => {
  const b = spec({ reward: { metric: 'click', min: 0, max: 1 }, maxRewardRateJump: 0.2 });
  const s0 = startBandit(b, arms, 0, 0);
  const out = banditLook(b, s0, [reading(100, 5, { lastRewardMs: 1000 }), reading(100, 5, { outOfRange: 3, lastRewardMs: 1000 }), reading(100, 5, { lastRewardMs: 1000 })], [], 0, MIN, seededRandom(3));
  assert.match(out.state.hold!, /outside the declared range for arm b \(3\)/);
  assert.deepEqual(out.state.weights, s0.weights);
  const learnt = banditLook(b, s0, [reading(100, 10, { lastRewardMs: 1000 }), reading(100, 10, { lastRewardMs: 1000 }), reading(100, 10, { lastRewardMs: 1000 })], [], 0, MIN, seededRandom(4)).state;
  const jumped = banditLook(b, learnt, [reading(200, 20, { lastRewardMs: 2000 }), reading(200, 120, { lastRewardMs: 2000 }), reading(200, 20, { lastRewardMs: 2000 })], [], 0, 2 * MIN, seededRandom(5));
  assert.match(jumped.state.hold!, /reward rate jumped/);
  assert.deepEqual(jumped.state.weights, learnt.weights);
});

test('no reward for rewardFreshness freezes the allocation, or sends everything to the fallback arm', () => {
  const freeze = spec();
  const s0 = startBandit(freeze, arms, 0, 0);
  const r = banditLook(freeze, s0, [reading(100, 5, { lastRewardMs: 0 }), reading(100, 5, { lastRewardMs: 0 }), reading(100, 5, { lastRewardMs: 0 })], [], 0, 6 * MIN, seededRandom(6));
  assert.match(r.state.hold!, /no reward for more than rewardFreshness 5m: allocation frozen/);
  assert.deepEqual(r.state.weights, s0.weights);
  const fb = spec({ onStale: 'fallback' });
  const f = banditLook(fb, startBandit(fb, arms, 0, 0), [reading(100, 5, { lastRewardMs: 0 }), reading(100, 5, { lastRewardMs: 0 }), reading(100, 5, { lastRewardMs: 0 })], [], 0, 6 * MIN, seededRandom(7));
  assert.deepEqual(f.state.weights, [1, 0, 0]);
});

test('the no-learning mode keeps the allocation fixed', () => {
  const b = spec();
  const s0 = { ...startBandit(b, arms, 0, 0), learning: false };
  const r = banditLook(b, s0, [reading(1000, 10, { lastRewardMs: MIN }), reading(1000, 10, { lastRewardMs: MIN }), reading(1000, 200, { lastRewardMs: MIN })], [], 0, MIN, seededRandom(8));
  assert.deepEqual(r.state.weights, s0.weights);
  assert.equal(r.state.version, s0.version);
});

test('ends when one arm is best with the asked probability (promoted), or keeps the fallback at maxDuration', () => {
  const b = spec({ stop: { probabilityBest: 0.95, minRewards: 100 }, maxDuration: '1h' });
  const s0 = startBandit(b, arms, 0, 0);
  const win = banditLook(b, s0, [reading(5000, 200, { lastRewardMs: MIN }), reading(5000, 250, { lastRewardMs: MIN }), reading(5000, 400, { lastRewardMs: MIN })], [], 0, MIN, seededRandom(9));
  assert.deepEqual([win.end?.best, win.end?.promote, win.end?.cause], [2, true, 'bandit-best-arm']);
  // Rounded down to two decimals: a near-certain arm never reads as a certain 100 %.
  assert.match(win.end!.reason, /is best with probability (\d\d\.\d\d|100\.00) % and its reward interval \[0\.0\d+, 0\.0\d+\] lies above the fallback arm a's \[0\.0\d+, 0\.0\d+\] — promoted$/);
  assert.doesNotMatch(win.end!.reason, /probability 100\.0 %/);
  const flat = banditLook(b, s0, [reading(200, 10, { lastRewardMs: 59 * MIN }), reading(200, 10, { lastRewardMs: 59 * MIN }), reading(200, 11, { lastRewardMs: 59 * MIN })], [], 0, 61 * MIN, seededRandom(10));
  assert.deepEqual([flat.end?.best, flat.end?.promote, flat.end?.cause], [0, false, 'bandit-inconclusive']);
});

test('the best arm is promoted only once its gates pass: while they are undecided the bandit goes on, at maxDuration the fallback is kept', () => {
  const b = spec({ stop: { probabilityBest: 0.95, minRewards: 100 }, maxDuration: '1h' });
  const s0 = startBandit(b, arms, 0, 0);
  const rows = [reading(5000, 200, { lastRewardMs: MIN }), reading(5000, 250, { lastRewardMs: MIN }), reading(5000, 400, { lastRewardMs: MIN })];
  const undecided = [undefined, undefined, 'errorRate: [0, 0.03] straddles max 0.02'];
  const waits = banditLook(b, s0, rows, [], 0, MIN, seededRandom(9), 0, undecided);
  assert.equal(waits.end, undefined, 'not promoted while its errorRate is undecided');
  assert.deepEqual(waits.state.awaiting, { arm: 2, why: undecided[2] });
  assert.match(waits.notes.join('\n'), /arm c is best with probability .*; promoting it waits for its gates to pass: errorRate/);
  // Said once, not at every look.
  assert.deepEqual(banditLook(b, waits.state, rows, [], 0, MIN + 5000, seededRandom(9), 0, undecided).notes, []);
  // An undecided gate on another arm holds nothing.
  const other = banditLook(b, s0, rows, [], 0, MIN, seededRandom(9), 0, [undefined, 'errorRate: undecided', undefined]);
  assert.deepEqual([other.end?.best, other.end?.cause], [2, 'bandit-best-arm']);
  const late = banditLook(b, waits.state, rows.map((r) => ({ ...r, lastRewardMs: 60 * MIN })), [], 0, 61 * MIN, seededRandom(9), 0, undecided);
  assert.deepEqual([late.end?.best, late.end?.promote, late.end?.cause], [0, false, 'bandit-inconclusive']);
  assert.match(late.end!.reason, /arm c is best with probability .* but its gates have not passed \(errorRate/);
});

test('rewards that join no known request beyond maxUnmatchedRewardShare freeze learning; a few stragglers do not', () => {
  const b = spec({ maxUnmatchedRewardShare: 0.05 });
  const s0 = startBandit(b, arms, 0, 0);
  const rows = [reading(1000, 40, { lastRewardMs: 1000 }), reading(1000, 50, { lastRewardMs: 1000 }), reading(1000, 90, { lastRewardMs: 1000 })];
  const few = banditLook(b, s0, rows, [], 0, MIN, seededRandom(7), 100);
  assert.equal(few.state.hold, undefined, '100 of 3100 (3 %) is under 5 %');
  assert.notDeepEqual(few.state.weights, s0.weights);
  const many = banditLook(b, s0, rows, [], 0, MIN, seededRandom(7), 400);
  assert.match(many.state.hold!, /400 rewards joined no known request/);
  assert.deepEqual(many.state.weights, s0.weights);
});

test('without new rewards the allocation stays as it is, so users are not moved between arms by sampling noise', () => {
  const b = spec({ cadence: '1m' });
  const s0 = startBandit(b, arms, 0, 0);
  const none = banditLook(b, s0, [reading(300, 0, { rewarded: 0 }), reading(300, 0, { rewarded: 0 }), reading(300, 0, { rewarded: 0 })], [undefined, undefined, undefined], 0, MIN, seededRandom(3));
  assert.equal(none.state.version, s0.version, 'no rewards yet: no reallocation');
  const some = [reading(300, 10, { lastRewardMs: 2 * MIN }), reading(300, 12, { lastRewardMs: 2 * MIN }), reading(300, 30, { lastRewardMs: 2 * MIN })];
  const first = banditLook(b, none.state, some, [undefined, undefined, undefined], 0, 2 * MIN, seededRandom(4)).state;
  assert.equal(first.version, s0.version + 1);
  const same = banditLook(b, first, some, [undefined, undefined, undefined], 0, 3 * MIN, seededRandom(5)).state;
  assert.equal(same.version, first.version, 'the same rewards a cadence later: the same allocation');
  assert.deepEqual(same.weights, first.weights);
});

test('a leader not yet shown better than the fallback is confirmed against it: the two share the traffic, and it is promoted once its interval lies above', () => {
  const b = spec({ stop: { probabilityBest: 0.95, minRewards: 100 }, cadence: '1m' });
  const s0 = startBandit(b, arms, 0, 0);
  // c leads clearly (8 % against 4 % and 5 %), but 2000 rewards each leave the intervals overlapping.
  const early = [reading(2000, 80, { lastRewardMs: MIN }), reading(2000, 100, { lastRewardMs: MIN }), reading(2000, 160, { lastRewardMs: MIN })];
  const lead = banditLook(b, s0, early, [], 0, MIN, seededRandom(9));
  assert.equal(lead.end, undefined, 'not promoted on P(best) alone');
  assert.ok(lead.state.probabilityBest![2]! >= 0.95);
  assert.equal(lead.state.confirming, 2);
  const [fallbackHigh, leaderLow] = [lead.state.intervals![0]![1], lead.state.intervals![2]![0]];
  assert.ok(leaderLow <= fallbackHigh, `intervals overlap: c from ${leaderLow}, a up to ${fallbackHigh}`);
  assert.match(lead.notes.join('\n'), /arm c is best with probability .*, but its reward interval \[0\.0\d+, 0\.\d+\] does not lie above the fallback arm a's \[0\.0\d+, 0\.0\d+\] yet: it and the fallback arm now share the traffic/);
  // In the no-learning mode the allocation stays where the operator fixed it: nothing is confirmed.
  assert.equal(banditLook(b, { ...s0, learning: false }, early, [], 0, MIN, seededRandom(9)).state.confirming, undefined);
  // The next allocation confirms: c and the fallback half each, b at its floor.
  const more = [reading(2500, 100, { lastRewardMs: 2 * MIN }), reading(2100, 105, { lastRewardMs: 2 * MIN }), reading(2600, 210, { lastRewardMs: 2 * MIN })];
  const confirming = banditLook(b, lead.state, more, [], 0, 2 * MIN, seededRandom(10));
  assert.deepEqual(confirming.state.weights.map((w) => Math.round(w * 1000) / 1000), [0.475, 0.05, 0.475]);
  assert.deepEqual(confirming.notes, [], 'said once');
  // Enough rewards on both: promoted.
  const shown = [reading(12_000, 480, { lastRewardMs: 9 * MIN }), reading(2200, 110, { lastRewardMs: 9 * MIN }), reading(12_000, 960, { lastRewardMs: 9 * MIN })];
  const done = banditLook(b, confirming.state, shown, [], 0, 9 * MIN, seededRandom(11));
  assert.deepEqual([done.end?.best, done.end?.promote, done.end?.cause], [2, true, 'bandit-best-arm']);
});

test('arms within the value-remaining bound, or a leader unproven at maxDuration, keep the fallback: no promotion without evidence', () => {
  const b = spec({ stop: { valueRemaining: 0.5, minRewards: 100 }, maxDuration: '1h' });
  const s0 = startBandit(b, arms, 0, 0);
  const flat = [reading(3000, 150, { lastRewardMs: MIN }), reading(3000, 150, { lastRewardMs: MIN }), reading(3000, 158, { lastRewardMs: MIN })];
  const equal = banditLook(b, s0, flat, [], 0, MIN, seededRandom(4));
  assert.deepEqual([equal.end?.best, equal.end?.promote, equal.end?.cause], [0, false, 'bandit-value-remaining']);
  assert.match(equal.end!.reason, /is below 0\.5, and its reward interval .* does not lie above the fallback arm a's .*: the fallback arm a is kept$/);
  const strict = spec({ stop: { probabilityBest: 0.95, minRewards: 100 }, maxDuration: '1h' });
  const early = [reading(2000, 80, { lastRewardMs: 59 * MIN }), reading(2000, 100, { lastRewardMs: 59 * MIN }), reading(2000, 160, { lastRewardMs: 59 * MIN })];
  const late = banditLook(strict, startBandit(strict, arms, 0, 0), early, [], 0, 61 * MIN, seededRandom(9));
  assert.deepEqual([late.end?.best, late.end?.promote, late.end?.cause], [0, false, 'bandit-inconclusive']);
  assert.match(late.end!.reason, /maxDuration 1h reached: arm c is best with probability .* but its reward interval .* does not lie above .*: the fallback arm is kept/);
});

// Error rates across traffic levels, through the whole phase (bench/bandit-stop.ts prints them at length).
test('equal arms: a candidate is promoted in at most alpha of rollouts at every traffic level, where P(best) alone promotes in about a quarter; a 20 % better one is promoted', () => {
  const b = spec({ stop: { probabilityBest: 0.95, minRewards: 100 }, cadence: '1m', maxDuration: '1h', rewardFreshness: '1h' });
  const rand = seededRandom(23);
  const RUNS = 60;
  let promoted = 0;
  let likely = 0;
  for (const perLook of [300, 3000]) {
    for (let r = 0; r < RUNS; r++) {
      const x = simulateBandit(b, [0.05, 0.05], perLook, 61, MIN, rand);
      if (x.promoted !== undefined) promoted++;
      if ((x.firstLikelyBest ?? 0) > 0) likely++;
    }
  }
  // Promotions ~ Binomial(120, p ≤ 0.05): more than 14 has probability < 0.001.
  assert.ok(promoted <= 14, `promoted in ${promoted} of ${2 * RUNS} A/A rollouts`);
  // What the rule guards against: P(best) ≥ 0.95 on the candidate first in well over 14 of them.
  assert.ok(likely > 14, `P(best) alone would have promoted ${likely}`);
  let right = 0;
  for (let r = 0; r < 30; r++) if (simulateBandit(b, [0.05, 0.06], 3000, 61, MIN, rand).promoted === 1) right++;
  console.log(`# A/A promoted ${promoted} of ${2 * RUNS} (P(best) alone ${likely}); 20 % better promoted ${right} of 30`);
  assert.ok(right >= 24, `the better candidate promoted in ${right} of 30`);
});

test('what a leader\'s promotion waits for, in words: its gates, evidence that it earns more, or both', () => {
  const b = spec({ stop: { probabilityBest: 0.95, minRewards: 100 } });
  const early = [reading(2000, 80, { lastRewardMs: MIN }), reading(2000, 100, { lastRewardMs: MIN }), reading(2000, 160, { lastRewardMs: MIN })];
  const both = banditLook(b, startBandit(b, arms, 0, 0), early, [], 0, MIN, seededRandom(9), 0, [undefined, undefined, 'errorRate: [0, 0.03] straddles max 0.02']).state;
  assert.match(promotionWait(both)!, /^arm c is best with probability \d+\.\d\d %; its promotion waits for its gates to pass \(errorRate: \[0, 0\.03\] straddles max 0\.02\) and for evidence that it earns more: its reward interval \[.*\] does not lie above the fallback arm a's \[.*\] yet; meanwhile it and the fallback arm share the traffic$/);
  const evidence = banditLook(b, startBandit(b, arms, 0, 0), early, [], 0, MIN, seededRandom(9)).state;
  assert.match(promotionWait(evidence)!, /its promotion waits for evidence that it earns more: .*; meanwhile it and the fallback arm share the traffic$/);
  const shown = [reading(5000, 200, { lastRewardMs: MIN }), reading(5000, 250, { lastRewardMs: MIN }), reading(5000, 400, { lastRewardMs: MIN })];
  const gates = banditLook(b, startBandit(b, arms, 0, 0), shown, [], 0, MIN, seededRandom(9), 0, [undefined, undefined, 'errorRate: undecided']).state;
  assert.match(promotionWait(gates)!, /its promotion waits for its gates to pass \(errorRate: undecided\)$/);
  assert.equal(promotionWait(startBandit(b, arms, 0, 0)), undefined);
});

test('a promotion\'s reason shows the intervals with the digits that tell them apart', () => {
  assert.equal(aboveText(['a', 'c'], [[9.16, 12.2004], [12.2049, 15.9]], 1, 0), 'its reward interval [12.205, 15.900] lies above the fallback arm a\'s [9.1600, 12.200]');
  assert.equal(aboveText(['a', 'c'], [[0.029, 0.053], [0.065, 0.097]], 1, 0), 'its reward interval [0.0650, 0.0970] lies above the fallback arm a\'s [0.0290, 0.0530]');
});
