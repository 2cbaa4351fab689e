// Classical fixed-horizon designs and checks: how many units a test needs
// when it looks once, and the sample-ratio-mismatch χ² test. They size A/B
// experiments and show the price of looking often next to the sequential
// decisions (bench/decisions.ts).
import { chiSquareSurvival, normalQuantile } from './special.ts';

/**
 * Units per arm for a two-sided two-proportion z-test at level α with the
 * given power, as R's power.prop.test (pooled variance under the null,
 * unpooled under the alternative, the far tail ignored):
 *   n = (z_{1−α/2}·√(2 p̄ q̄) + z_{power}·√(p1 q1 + p2 q2))² / (p1 − p2)².
 */
export function twoProportionSampleSize(p1: number, p2: number, alpha: number, power: number): number {
  const pBar = (p1 + p2) / 2;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const num = za * Math.sqrt(2 * pBar * (1 - pBar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return (num * num) / ((p1 - p2) * (p1 - p2));
}

/**
 * Trials for a one-sided one-sample test of a rate p0 against a true rate p1
 * at level α with the given power (normal approximation):
 *   n = (z_{1−α}·√(p0 q0) + z_{power}·√(p1 q1))² / (p0 − p1)².
 */
export function oneProportionSampleSize(p0: number, p1: number, alpha: number, power: number): number {
  const za = normalQuantile(1 - alpha);
  const zb = normalQuantile(power);
  const num = za * Math.sqrt(p0 * (1 - p0)) + zb * Math.sqrt(p1 * (1 - p1));
  return (num * num) / ((p0 - p1) * (p0 - p1));
}

/** GrowthBook's threshold: a sample ratio mismatch is flagged at p < 0.001. */
export const SRM_P_THRESHOLD = 0.001;

export interface SrmResult {
  chi2: number;
  pValue: number;
  /** True when p < threshold: the assignment is broken and the result is not to be trusted. */
  mismatch: boolean;
  expected: number[];
}

/** Pearson's χ² goodness of fit of observed units per arm against the configured weights (k − 1 degrees of freedom). */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], threshold = SRM_P_THRESHOLD): SrmResult {
  if (observed.length !== weights.length || observed.length < 2) throw new Error('sampleRatioMismatch needs one weight per arm and at least two arms');
  const total = observed.reduce((a, b) => a + b, 0);
  const wTotal = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (total * w) / wTotal);
  let chi2 = 0;
  observed.forEach((o, i) => {
    const e = expected[i]!;
    if (e > 0) chi2 += ((o - e) * (o - e)) / e;
  });
  const pValue = total > 0 ? chiSquareSurvival(chi2, observed.length - 1) : 1;
  return { chi2, pValue, mismatch: pValue < threshold, expected };
}
