import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLimits, limitsProblem, type Limits } from '../../src/analysis/bandit-limits.ts';
import { seededRandom } from '../../src/core/random.ts';

const close = (got: readonly number[], want: readonly number[]) =>
  assert.ok(got.length === want.length && got.every((x, i) => Math.abs(x - want[i]!) < 1e-12), `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);

test('without limits the weights are only normalised', () => {
  close(applyLimits([2, 1, 1], {}), [0.5, 0.25, 0.25]);
  close(applyLimits([0, 0], {}), [0.5, 0.5]);
});

test('a ceiling caps an arm and its excess goes to the others in proportion to their weights', () => {
  close(applyLimits([0.7, 0.2, 0.1], { max: 0.5 }), [0.5, 0.5 * (2 / 3), 0.5 * (1 / 3)]);
  // UCB puts everything on one arm: the rest is shared equally by arms without weight.
  close(applyLimits([1, 0, 0], { max: 0.5 }), [0.5, 0.25, 0.25]);
  close(applyLimits([1, 0, 0], { max: 0.6 }), [0.6, 0.2, 0.2]);
});

test('a floor keeps every arm learning: it takes from the others in proportion to their weights', () => {
  close(applyLimits([0.9, 0.08, 0.02], { min: 0.05 }), [0.95 * (0.9 / 0.98), 0.95 * (0.08 / 0.98), 0.05]);
  close(applyLimits([1, 0, 0], { min: 0.1 }), [0.8, 0.1, 0.1]);
  close(applyLimits([1, 0, 0], { min: 0.1, max: 0.7 }), [0.7, 0.15, 0.15]);
  // Limits per arm: the baseline (arm 0) is held at ≥ 50 %, the candidates capped at 30 %.
  close(applyLimits([0.1, 0.6, 0.3], { min: [0.5, 0, 0], max: [1, 0.3, 0.3] }), [0.5, 0.3, 0.2]);
});

test('a frozen arm gets nothing, whatever its weight or floor, and its share goes to the others', () => {
  close(applyLimits([0.5, 0.3, 0.2], { frozen: [false, true, false] }), [0.5 / 0.7, 0, 0.2 / 0.7]);
  close(applyLimits([0.2, 0.7, 0.1], { min: 0.1, frozen: [false, true] }), [2 / 3, 0, 1 / 3]);
  close(applyLimits([0.1, 0.9, 0], { min: 0.1, max: 0.8, frozen: [false, true, false] }), [0.8, 0, 0.2]);
});

test('limits that cannot all hold are named, and the active arms then split the traffic equally', () => {
  assert.match(limitsProblem(3, { min: 0.4 })!, /floors of the 3 active arms add up to 1.2000/);
  close(applyLimits([0.8, 0.1, 0.1], { min: 0.4 }), [1 / 3, 1 / 3, 1 / 3]);
  // Ceilings of 40 % with two of three arms frozen: the survivor must take everything.
  assert.match(limitsProblem(3, { max: 0.4, frozen: [false, true, true] })!, /ceilings of the 1 active arms add up to 0.4000/);
  close(applyLimits([0.1, 0.5, 0.4], { max: 0.4, frozen: [false, true, true] }), [1, 0, 0]);
  assert.equal(limitsProblem(3, { min: 0.1, max: 0.5 }), undefined);
  assert.match(limitsProblem(2, { frozen: [true, true] })!, /every arm is frozen/);
  assert.throws(() => applyLimits([0.5, 0.5], { frozen: [true, true] }), /every arm is frozen/);
});

test('malformed limits and weights are refused with the field named', () => {
  assert.throws(() => applyLimits([0.5, 0.5], { min: 0.6, max: 0.5 }), /arm 0's floor 0.6 is above its ceiling 0.5/);
  assert.throws(() => applyLimits([0.5, 0.5], { max: [0.5] }), /limits.max has 1 entries for 2 arms/);
  assert.throws(() => applyLimits([0.5, 0.5], { min: 1.5 }), /limits.min\[0\] must be a fraction/);
  assert.throws(() => applyLimits([0.5, -1], {}), /weights\[1\] must be a finite number ≥ 0/);
  assert.throws(() => applyLimits([], {}), /at least one arm/);
});

test('for any weights and feasible limits: sums to 1, within every limit, frozen at 0, and proportional among unclamped arms', () => {
  const rand = seededRandom(21);
  for (let c = 0; c < 500; c++) {
    const k = 2 + Math.floor(rand() * 8);
    const weights = Array.from({ length: k }, () => (rand() < 0.2 ? 0 : rand() ** 3));
    const frozen = Array.from({ length: k }, () => rand() < 0.15);
    const active = frozen.filter((f) => !f).length;
    if (active === 0) continue;
    const min = rand() < 0.5 ? 0 : (rand() * 0.9) / active;
    const max = rand() < 0.5 ? 1 : Math.min(1, Math.max(min, 1.1 / active + rand() * 0.5));
    const limits: Limits = { min, max, frozen };
    if (limitsProblem(k, limits)) continue;
    const out = applyLimits(weights, limits);
    const label = JSON.stringify({ weights, limits, out });
    assert.ok(Math.abs(out.reduce((a, x) => a + x, 0) - 1) < 1e-9, label);
    out.forEach((x, i) => {
      if (frozen[i]) assert.equal(x, 0, label);
      else assert.ok(x >= min - 1e-12 && x <= max + 1e-12, label);
    });
    // Arms strictly inside their limits keep the ratio of their weights.
    const free = out.flatMap((x, i) => (!frozen[i] && weights[i]! > 0 && x > min + 1e-9 && x < max - 1e-9 ? [i] : []));
    for (const i of free) for (const j of free) assert.ok(Math.abs(out[i]! * weights[j]! - out[j]! * weights[i]!) < 1e-9, label);
  }
});
