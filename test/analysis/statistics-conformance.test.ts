// The statistics the gates and experiments decide with, against reference
// values computed independently (test/fixtures/stats/README.md), to 1e-6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { betaBinomialLogMixture, growthbookRho, growthbookSequentialHalfwidth, msprtNormal, normalMixtureBoundary } from '../../src/analysis/sequential.ts';
import { sampleRatioMismatch, twoProportionSampleSize, SRM_P_THRESHOLD } from '../../src/analysis/fixed-horizon.ts';

const V = JSON.parse(readFileSync(new URL('../fixtures/stats/stats_vectors.json', import.meta.url), 'utf8'));

/** |actual − expected| within 1e-6, relative to the expected value when it is large. */
function close(actual: number, expected: number, what: string, tol = 1e-6): void {
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol * scale, `${what}: ${actual} vs ${expected}`);
}

test('two-proportion sample size matches R power.prop.test', () => {
  for (const c of V.two_proportion_sample_size) {
    const n = twoProportionSampleSize(c.p1, c.p2, c.alpha, c.power);
    // The reference rounds the exact value to 2 decimals.
    close(n, c.n_per_arm_exact, `n(${c.p1} vs ${c.p2})`, 0.006 / c.n_per_arm_exact);
    assert.equal(Math.ceil(n), c.n_per_arm_ceil);
  }
});

test('SRM χ² and p-value, verdict at p < 0.001', () => {
  assert.equal(SRM_P_THRESHOLD, 0.001);
  for (const c of V.srm_chi2) {
    const r = sampleRatioMismatch(c.users, c.weights);
    close(r.chi2, c.chi2, `χ²(${c.users})`);
    // p-values are given to 6 significant digits.
    assert.ok(Math.abs(r.pValue - c.p_value) <= 1e-6 * Math.max(c.p_value, 1e-3) + 5e-7 * c.p_value, `p(${c.users}): ${r.pValue} vs ${c.p_value}`);
    assert.equal(r.mismatch, c['srm_at_0.001']);
  }
});

test('mSPRT likelihood ratio and always-valid p-value', () => {
  for (const c of V.msprt_normal) {
    const r = msprtNormal(c.mean_diff, c.n_pairs, c.V_per_pair, c.tau2);
    close(r.lambda, c.Lambda, `Λ(${c.mean_diff}, ${c.n_pairs})`);
    close(r.pValue, c.p_always_valid_single_look, `p(${c.mean_diff}, ${c.n_pairs})`);
    assert.equal(r.pValue < 0.05, c['reject_at_alpha_0.05']);
  }
});

test('Howard et al. normal-mixture confidence sequence', () => {
  for (const c of V.howard_normal_mixture_cs) {
    const b = normalMixtureBoundary(c.t, c.sigma2, c.rho, c.alpha);
    close(b, c.boundary_S_t, `boundary(t=${c.t}, ρ=${c.rho})`);
    close(b / c.t, c.halfwidth_mean, `half-width(t=${c.t})`);
  }
});

test("GrowthBook's sequential interval", () => {
  for (const c of V.growthbook_sequential) {
    close(growthbookRho(c.N_star, c.alpha), c.rho, `ρ(N*=${c.N_star})`);
    close(growthbookSequentialHalfwidth(c.se, c.n_total, c.N_star, c.alpha), c.seq_halfwidth, `half-width(n=${c.n_total})`);
  }
});

test('beta-binomial mixture martingale', () => {
  for (const c of V.beta_binomial_mixture) {
    const logM = betaBinomialLogMixture(c.successes, c.n, c.p0, c.a, c.b);
    close(logM, c.log_M, `ln M(S=${c.successes}, n=${c.n}, p0=${c.p0}, Beta(${c.a},${c.b}))`);
    close(Math.exp(logM), c.M, `M(S=${c.successes}, n=${c.n})`);
    assert.equal(logM >= Math.log(20), c['reject_at_alpha_0.05']);
  }
});
