// The bandit's promotion evidence: each arm's always-valid interval holds its
// true mean at every look at once (coverage over whole paths, not per look),
// where a fixed-horizon interval read at every look does not; and an arm is
// shown better only when its interval lies wholly above the other's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armIntervals, shownBetter } from '../../src/analysis/bandit-evidence.ts';
import type { ArmStats } from '../../src/analysis/bandit-posterior.ts';
import { normalDraw, seededRandom } from '../../src/core/random.ts';

const PATHS = 300;
const LOOKS = 30;
const PER_LOOK = 100;

/** Paths of two arms' rewards, read every PER_LOOK rewards: in how many did an interval ever miss its arm's mean? */
function misses(kind: 'binary' | 'continuous', means: [number, number], interval: (arms: ArmStats[]) => Array<[number, number]>, seed: number): number {
  const rand = seededRandom(seed);
  let missed = 0;
  for (let p = 0; p < PATHS; p++) {
    const arms: ArmStats[] = means.map(() => ({ pulls: 0, rewardSum: 0, rewardSumSq: 0 }));
    let miss = false;
    for (let l = 0; l < LOOKS && !miss; l++) {
      arms.forEach((a, i) => {
        for (let k = 0; k < PER_LOOK; k++) {
          const x = kind === 'binary' ? (rand() < means[i]! ? 1 : 0) : means[i]! + 10 * normalDraw(rand);
          a.pulls++;
          a.rewardSum += x;
          a.rewardSumSq += x * x;
        }
      });
      miss = interval(arms).some(([lo, hi], i) => !(lo <= means[i]! && means[i]! <= hi));
    }
    if (miss) missed++;
  }
  return missed;
}

/** The fixed-horizon 95 % interval of each mean, at α/2 per arm, as if each look were the only one. */
const fixedHorizon = (arms: ArmStats[]): Array<[number, number]> => arms.map((a) => {
  const m = a.rewardSum / a.pulls;
  const h = 2.24 * Math.sqrt(Math.max(0, a.rewardSumSq / a.pulls - m * m) / a.pulls);
  return [m - h, m + h];
});

// Misses ~ Binomial(300, p ≤ 0.05): more than 27 has probability < 0.001.
for (const kind of ['binary', 'continuous'] as const) {
  test(`${kind} rewards: the intervals hold both arms' means at all ${LOOKS} looks in at least 95 % of paths; fixed-horizon ones read at every look do not`, () => {
    const means: [number, number] = kind === 'binary' ? [0.05, 0.3] : [40, 55];
    const always = misses(kind, means, (arms) => armIntervals(kind, arms, 0.05), 7);
    const fixed = misses(kind, means, fixedHorizon, 7);
    console.log(`# ${kind}: always-valid missed in ${always}, fixed-horizon in ${fixed} of ${PATHS} paths`);
    assert.ok(always <= 27, `always-valid intervals missed in ${always} of ${PATHS} paths`);
    assert.ok(fixed > 27, `fixed-horizon intervals missed in only ${fixed} of ${PATHS} paths`);
  });
}

test('shown better: one interval wholly above the other; touching or overlapping is not enough', () => {
  assert.equal(shownBetter([[0.02, 0.05], [0.051, 0.09]], 1, 0), true);
  assert.equal(shownBetter([[0.02, 0.05], [0.05, 0.09]], 1, 0), false);
  assert.equal(shownBetter([[0.02, 0.06], [0.05, 0.09]], 1, 0), false);
  assert.equal(shownBetter([[0.02, 0.06], [0.05, 0.09]], 0, 1), false);
});

test('an arm without rewards, or continuous rewards without spread yet, has no interval: it cannot be shown better or worse', () => {
  const none: ArmStats = { pulls: 0, rewardSum: 0, rewardSumSq: 0 };
  assert.deepEqual(armIntervals('binary', [none, none], 0.05), [[0, 1], [0, 1]]);
  const flat: ArmStats = { pulls: 5, rewardSum: 50, rewardSumSq: 500 };
  assert.deepEqual(armIntervals('continuous', [flat, none], 0.05), [[-Infinity, Infinity], [-Infinity, Infinity]]);
  // More arms split alpha further: each interval is wider.
  const some: ArmStats = { pulls: 1000, rewardSum: 50, rewardSumSq: 50 };
  const [two] = armIntervals('binary', [some, some], 0.05);
  const [four] = armIntervals('binary', [some, some, some, some], 0.05);
  assert.ok(four![0] < two![0] && four![1] > two![1]);
});
