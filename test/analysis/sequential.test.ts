// Always-valid statistics: the intervals are what they claim, and the error
// guarantee holds however often one looks. Simulations use fixed seeds and
// bounds derived from the binomial distribution of the simulated error count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/core/random.ts';
import {
  UNIFORM_PRIOR, binomialCountBand, priorNear, rateConfidenceSequence, rateLogEvidence, rateSide,
} from '../../src/analysis/sequential.ts';
import { wilsonUpper } from './helpers.ts';

/** Upper end of a 3-sigma band for an error count of `runs` Bernoulli(α) trials, as a fraction. */
const errorBound = (alpha: number, runs: number) => alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs);

test('the rate sequence is {p : M_n(p) < 1/α}: its ends sit exactly on the boundary and it holds the MLE', () => {
  const alpha = 0.01;
  for (const [s, n] of [[0, 500], [3, 1000], [70, 100], [1, 1], [2000, 5000]] as const) {
    for (const prior of [UNIFORM_PRIOR, priorNear(0.01)]) {
      const [lo, hi] = rateConfidenceSequence(s, n, alpha, prior);
      assert.ok(lo <= s / n && s / n <= hi, `${s}/${n}: [${lo}, ${hi}]`);
      if (lo > 0) assert.ok(Math.abs(rateLogEvidence(s, n, lo, prior) - Math.log(1 / alpha)) < 1e-7, `lower end of ${s}/${n}`);
      if (hi < 1) assert.ok(Math.abs(rateLogEvidence(s, n, hi, prior) - Math.log(1 / alpha)) < 1e-7, `upper end of ${s}/${n}`);
      // Just inside the ends p is not rejected, just outside it is.
      if (hi < 1) {
        assert.equal(rateSide(s, n, hi * (1 - 1e-6), alpha, prior), undefined);
        assert.equal(rateSide(s, n, Math.min(1 - 1e-12, hi * (1 + 1e-6)), alpha, prior), 'below');
      }
    }
  }
});

test('a few hundred clean requests prove a rate under 1 %, where a one-window Wilson bound never could', () => {
  const alpha = 0.05;
  // Tuned to the threshold, 600 clean requests suffice; the uniform prior needs more but still no more than ~1000.
  assert.equal(rateSide(0, 600, 0.01, alpha, priorNear(0.01)), 'below');
  assert.equal(rateSide(0, 400, 0.01, alpha, priorNear(0.01)), undefined);
  assert.equal(rateSide(0, 1000, 0.01, alpha, UNIFORM_PRIOR), 'below');
  // The fixed-horizon bound of a 200-request window never gets under 1 %, however many windows pass.
  assert.ok(wilsonUpper(0, 200, 1.645) > 0.01);
});

test('looking after every request: the chance the sequence ever excludes the true rate stays under α', () => {
  const rand = seededRandom(12);
  const runs = 600;
  const horizon = 1500;
  const alpha = 0.05;
  for (const p of [0.01, 0.3]) {
    for (const prior of [priorNear(0.01), UNIFORM_PRIOR]) {
      let misses = 0;
      for (let r = 0; r < runs; r++) {
        let s = 0;
        for (let n = 1; n <= horizon; n++) {
          if (rand() < p) s++;
          if (rateLogEvidence(s, n, p, prior) >= Math.log(1 / alpha)) {
            misses++;
            break;
          }
        }
      }
      assert.ok(misses / runs <= errorBound(alpha, runs), `p=${p}: ${misses}/${runs} runs excluded the truth at some look`);
    }
  }
});

test('a fixed-horizon interval looked at after every request excludes the truth far more often than α', () => {
  // The failure the sequential statistics fix: the same runs, judged by a one-sided Wilson bound at every look.
  const rand = seededRandom(3);
  const runs = 300;
  let misses = 0;
  for (let r = 0; r < runs; r++) {
    let s = 0;
    for (let n = 1; n <= 1500; n++) {
      if (rand() < 0.3) s++;
      if (n >= 30 && wilsonUpper(s, n, 1.645) < 0.3) {
        misses++;
        break;
      }
    }
  }
  assert.ok(misses / runs > 0.2, `${misses}/${runs}`);
});

test('the count band of a quantile holds the true quantile at every look', () => {
  const rand = seededRandom(5);
  const runs = 400;
  const alpha = 0.05;
  const q = 0.99;
  let misses = 0;
  for (let r = 0; r < runs; r++) {
    let below = 0;
    for (let n = 1; n <= 3000; n++) {
      if (rand() < q) below++; // a value at or under the true 0.99-quantile
      if (n % 50 !== 0) continue;
      const [lo, hi] = binomialCountBand(n, q, alpha, priorNear(1 - q));
      if (below < lo || below > hi) {
        misses++;
        break;
      }
    }
  }
  assert.ok(misses / runs <= errorBound(alpha, runs), `${misses}/${runs}`);
});
