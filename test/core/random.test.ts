import { test } from 'node:test';
import assert from 'node:assert/strict';
import { betaDraw, gammaDraw, seededRandom } from '../../src/core/random.ts';

const N = 40_000;

/** Sample mean and variance with their standard errors (the variance's from the sample's fourth central moment). */
function moments(draw: () => number) {
  const xs = Float64Array.from({ length: N }, draw);
  const mean = xs.reduce((a, x) => a + x, 0) / N;
  let m2 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d2 = (x - mean) ** 2;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= N;
  m4 /= N;
  return { mean, variance: m2, meanSe: Math.sqrt(m2 / N), varianceSe: Math.sqrt((m4 - m2 * m2) / N), min: Math.min(...xs) };
}

/** Within 4.5 standard errors: a false failure once in ~150,000 runs of a correct sampler. */
function near(label: string, got: number, want: number, se: number) {
  assert.ok(Math.abs(got - want) < 4.5 * se, `${label}: ${got} vs ${want} (± ${4.5 * se})`);
}

test('Gamma draws have mean k and variance k, for shapes below 1 (boosted), near 1 and large', () => {
  const rand = seededRandom(1);
  for (const k of [0.3, 1, 2.5, 37, 5000]) {
    const m = moments(() => gammaDraw(rand, k));
    near(`Gamma(${k}) mean`, m.mean, k, m.meanSe);
    near(`Gamma(${k}) variance`, m.variance, k, m.varianceSe);
    assert.ok(m.min >= 0);
  }
  assert.throws(() => gammaDraw(rand, 0), /gamma shape must be > 0/);
});

test('Beta draws have mean a/(a+b) and variance ab/((a+b)²(a+b+1)), including the counts a bandit reaches', () => {
  const rand = seededRandom(2);
  for (const [a, b] of [[1, 1], [0.5, 0.5], [2, 30], [90_001, 10_001]] as const) {
    const m = moments(() => betaDraw(rand, a, b));
    const s = a + b;
    near(`Beta(${a},${b}) mean`, m.mean, a / s, m.meanSe);
    near(`Beta(${a},${b}) variance`, m.variance, (a * b) / (s * s * (s + 1)), m.varianceSe);
    assert.ok(m.min >= 0);
  }
});
