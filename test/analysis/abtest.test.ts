import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAbTest, srmAtEveryLook, unitsPerArm, type AbDesign } from '../../src/analysis/abtest.ts';
import { seededRandom } from '../../src/core/random.ts';
import { outcomeEstimate, type ArmOutcome } from '../../src/analysis/outcomes.ts';

const design = (o: Partial<AbDesign> = {}): AbDesign => ({ percent: 50, aggregate: 'conversion', alpha: 0.05, power: 0.8, baselineRate: 0.1, minDetectableEffect: 0.2, sequential: false, ...o });
const conv = (exposed: number, converted: number): ArmOutcome => ({ exposed, converted, sum: converted, sumSq: converted, events: converted });

test('the test is sized as R power.prop.test sizes it: 10 % vs 12 %, α 0.05, power 0.8 → 3841 units per arm', () => {
  assert.equal(unitsPerArm(design()), 3841);
  assert.equal(unitsPerArm(design({ unitsPerArm: 1000 })), 1000);
  assert.equal(unitsPerArm(design({ baselineRate: undefined })), undefined);
});

test('fixed horizon: no decision before the size; at it a two-sided z test decides win, lose or inconclusive', () => {
  assert.equal(judgeAbTest(design(), { baseline: conv(2000, 200), candidate: conv(2000, 260) }).decision, undefined);
  const win = judgeAbTest(design(), { baseline: conv(3841, 384), candidate: conv(3841, 480) });
  assert.equal(win.decision, 'win');
  assert.ok(win.pValue! < 0.05);
  assert.ok(win.relative!.value > 0.2 && win.relative!.interval[0] > 0);
  assert.match(win.reason, /the candidate wins at the horizon \(3841 units per arm\)/);
  // The reason names the interval that decided (the difference) first, the relative lift after it.
  const [lo, hi] = win.absolute!.interval;
  assert.match(win.reason, new RegExp(`: difference \\+0\\.0250 \\[\\+${lo.toPrecision(3).replace('.', '\\.')}, \\+${hi.toPrecision(3).replace('.', '\\.')}\\] \\(relative lift 25\\.00 %`));
  assert.equal(judgeAbTest(design(), { baseline: conv(3841, 480), candidate: conv(3841, 384) }).decision, 'lose');
  const flat = judgeAbTest(design(), { baseline: conv(3841, 384), candidate: conv(3841, 390) });
  assert.equal(flat.decision, 'inconclusive');
  assert.match(flat.reason, /the baseline is kept/);
  // Ended by maxDuration before the horizon: inconclusive whatever the lift.
  assert.equal(judgeAbTest(design(), { baseline: conv(1000, 100), candidate: conv(1000, 200) }, true).decision, 'inconclusive');
});

test('sequential: decides as soon as the interval of the lift excludes 0, and the always-valid p-value is the level where it does', () => {
  const d = design({ sequential: true });
  const early = judgeAbTest(d, { baseline: conv(1500, 150), candidate: conv(1500, 270) });
  assert.equal(early.decision, 'win', early.reason);
  assert.ok(early.pValue! < 0.05);
  const notYet = judgeAbTest(d, { baseline: conv(1500, 150), candidate: conv(1500, 170) });
  assert.equal(notYet.decision, undefined);
  assert.ok(notYet.pValue! > 0.05);
});

test('SRM: units far from the configured split are a mismatch at p < 0.001, a fair split is not', () => {
  assert.equal(judgeAbTest(design(), { baseline: conv(10_600, 1000), candidate: conv(9400, 1000) }).srm.mismatch, true);
  assert.equal(judgeAbTest(design(), { baseline: conv(10_050, 1000), candidate: conv(9950, 1000) }).srm.mismatch, false);
  assert.equal(judgeAbTest(design({ percent: 10 }), { baseline: conv(9000, 900), candidate: conv(1000, 100) }).srm.mismatch, false);
  // What a broken rollout looks like (the baseline answered everyone while the candidate started): caught at once.
  const started = srmAtEveryLook(670, 316, 50);
  assert.equal(started.mismatch, true);
  assert.ok(started.sequentialPValue < 1e-10 && started.sequentialPValue >= started.pValue, 'the always-valid p-value is never below the one-look χ² p-value here');
  // 53/47 served as 50/50 over 20,000 units (the experiments benchmark's broken assignment).
  assert.equal(srmAtEveryLook(10_600, 9400, 50).mismatch, true);
});

test('SRM looked at every window: the always-valid check keeps A/A false pauses under 0.1 %, where χ² at every look pauses 1.5-2 %', () => {
  // 1000 A/A experiments, 8000 units each at a true 50/50, looked at every 50 units (160 looks).
  const rand = seededRandom(2024);
  const runs = 1000;
  let sequential = 0;
  let chi2 = 0;
  for (let r = 0; r < runs; r++) {
    let c = 0;
    let seqFired = false;
    let chiFired = false;
    for (let n = 1; n <= 8000; n++) {
      if (rand() < 0.5) c++;
      if (n % 50 !== 0) continue;
      const look = srmAtEveryLook(n - c, c, 50);
      seqFired ||= look.mismatch;
      chiFired ||= look.pValue < 0.001;
    }
    if (seqFired) sequential++;
    if (chiFired) chi2++;
  }
  // Ville: at most 0.1 % of runs ever flag, so ~1 expected in 1000; P(Poisson(1) > 5) < 0.001.
  assert.ok(sequential <= 5, `${sequential} of ${runs} A/A experiments paused by the always-valid check`);
  // χ² at every look: about 1.5 % (measured by simulation); P(Poisson(15) < 5) < 0.001.
  assert.ok(chi2 >= 5, `${chi2} of ${runs} paused by χ² at every look: the reason the verdict is not χ²`);
});

test('means and ratios: per-unit value with the delta method; relative lift thresholds on a gate', () => {
  // Revenue per unit: 1000 units each; baseline mean 10 (sd ~5), candidate mean 9 → −10 %.
  const arm = (n: number, mean: number, sd: number): ArmOutcome => ({ exposed: n, converted: n, sum: n * mean, sumSq: n * (sd * sd + mean * mean), events: n });
  const e = outcomeEstimate('mean', { baseline: arm(4000, 10, 5), candidate: arm(4000, 9, 5) }, 'revenue');
  assert.equal(e.kind, 'ok');
  if (e.kind !== 'ok') return;
  assert.equal(e.judge({ kind: 'minRelativeDelta', fail: -0.02, pass: -0.02 }, 0.05).verdict, 'fail');
  const same = outcomeEstimate('mean', { baseline: arm(4000, 10, 5), candidate: arm(4000, 10, 5) }, 'revenue');
  assert.equal(same.kind === 'ok' && same.judge({ kind: 'minRelativeDelta', fail: -0.05, pass: -0.05 }, 0.05).verdict, 'pass');
  // Revenue per click: numerator and denominator per unit.
  const ratio = (n: number, num: number, den: number): ArmOutcome => ({ exposed: n, converted: n, sum: n * num, sumSq: n * num * num * 1.1, events: n, den: n * den, denSq: n * den * den * 1.1, cross: n * num * den * 1.05 });
  const r = outcomeEstimate('ratio', { baseline: ratio(2000, 20, 2), candidate: ratio(2000, 20, 2) }, 'revenue');
  assert.equal(r.kind === 'ok' && r.value, 10);
});

test('an outcome gate with no exposed candidate says why: per unit counts only requests with a unit key', () => {
  const none: ArmOutcome = { exposed: 0, converted: 0, sum: 0, sumSq: 0, events: 0 };
  const some: ArmOutcome = { exposed: 500, converted: 50, sum: 50, sumSq: 50, events: 50 };
  const perUnit = outcomeEstimate('conversion', { baseline: some, candidate: none }, 'purchase');
  assert.equal(perUnit.kind, 'nodata');
  assert.match(perUnit.kind === 'nodata' ? perUnit.reason : '', /no candidate units exposed for purchase yet \(per: unit counts only requests that carry a unit key.*--unit-header.*per: request counts every request\)/);
  const perRequest = outcomeEstimate('conversion', { baseline: some, candidate: none }, 'purchase', { per: 'request' });
  assert.deepEqual(perRequest.kind === 'nodata' && perRequest.reason, 'no candidate requests exposed for purchase yet');
  assert.equal(outcomeEstimate('conversion', { baseline: some, candidate: some }, 'purchase', { per: 'request' }).kind, 'ok');
});
