// Always-valid statistics: tests and confidence sequences whose error
// guarantee holds however often one looks and however long one waits
// (Ville's inequality: a nonnegative martingale with mean 1 ever reaches
// 1/α with probability at most α). The plan's gates are judged with these.
//
// - Rates (errors, invalid outputs, class shares, latency exceedances): the
//   beta-binomial mixture martingale. Against a point rate p0, after n trials
//   with S successes,
//     M_n(p0) = ∫ q^S (1−q)^(n−S) dπ(q) / (p0^S (1−p0)^(n−S)),
//   π a Beta(a, b) prior (or a weighted mixture of several), so
//     M_n(p0) = B(a + S, b + n − S) / B(a, b) / (p0^S (1−p0)^(n−S)).
//   Under p0 it is a martingale; {p : M_n(p) < 1/α} is a confidence
//   sequence (Howard, Ramdas, McAuliffe & Sekhon 2021, "conjugate mixture").
//   It uses the exact Bernoulli likelihood, so rates near 0 need few trials:
//   500 clean requests prove a rate under 1 % at α = 0.04 with a Beta(1, 99)
//   component, where a sub-Gaussian bound needs tens of thousands.
// - Means with known variance: Howard et al.'s two-sided normal-mixture
//   boundary and Johari et al.'s mSPRT; GrowthBook's sequential interval for
//   estimated standard errors (provider values, A/B lifts).
import { logBeta } from './special.ts';

/** One Beta(a, b) component of a mixing prior, with its weight (weights sum to 1). */
export interface BetaComponent {
  a: number;
  b: number;
  weight: number;
}
export type BetaPrior = readonly BetaComponent[];

export const UNIFORM_PRIOR: BetaPrior = [{ a: 1, b: 1, weight: 1 }];

/**
 * A prior tuned for decisions near `rate`: half uniform (robust wherever the
 * truth is) and half a Beta with its mean at `rate` and the smaller shape 1
 * (most of its mass between 0 and a few times `rate` for small rates). The
 * mixture costs at most ln 2 against the better of the two.
 */
export function priorNear(rate: number): BetaPrior {
  const r = Math.min(Math.max(rate, 1e-6), 1 - 1e-6);
  if (Math.abs(r - 0.5) < 1e-9) return UNIFORM_PRIOR;
  let prior = PRIORS.get(r);
  if (!prior) {
    const tuned = r < 0.5 ? { a: 1, b: (1 - r) / r } : { a: r / (1 - r), b: 1 };
    prior = [{ a: 1, b: 1, weight: 0.5 }, { ...tuned, weight: 0.5 }];
    if (PRIORS.size < 1000) PRIORS.set(r, prior);
  }
  return prior;
}
const PRIORS = new Map<number, BetaPrior>();

function logLikelihood(successes: number, n: number, p: number): number {
  const s = successes > 0 ? successes * Math.log(p) : 0;
  const f = n - successes > 0 ? (n - successes) * Math.log1p(-p) : 0;
  return s + f;
}

/** ln ∫ q^S (1−q)^(n−S) dπ(q): the mixture's marginal likelihood of the data. */
export function logMarginal(successes: number, n: number, prior: BetaPrior): number {
  if (prior.length === 1) {
    const c = prior[0]!;
    return Math.log(c.weight) + logBeta(c.a + successes, c.b + n - successes) - logBeta(c.a, c.b);
  }
  let max = -Infinity;
  const terms = new Array<number>(prior.length);
  for (let i = 0; i < prior.length; i++) {
    const c = prior[i]!;
    const t = Math.log(c.weight) + logBeta(c.a + successes, c.b + n - successes) - logBeta(c.a, c.b);
    terms[i] = t;
    if (t > max) max = t;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

/** ln M_n(p0) for a single Beta(a, b) prior: the beta-binomial mixture martingale against the rate p0. */
export function betaBinomialLogMixture(successes: number, n: number, p0: number, a: number, b: number): number {
  return logMarginal(successes, n, [{ a, b, weight: 1 }]) - logLikelihood(successes, n, p0);
}

/** ln M_n(p0) under any mixing prior. */
export function rateLogEvidence(successes: number, n: number, p0: number, prior: BetaPrior): number {
  if (n <= 0) return 0;
  if (p0 <= 0) return successes > 0 ? Infinity : logMarginal(0, n, prior);
  if (p0 >= 1) return successes < n ? Infinity : logMarginal(n, n, prior);
  return logMarginal(successes, n, prior) - logLikelihood(successes, n, p0);
}

/**
 * Where the data stand against the rate p0 at level α: `above` when the rate
 * is surely above p0, `below` when surely below, undefined when p0 is still
 * inside the confidence sequence. One evaluation, no search.
 */
export function rateSide(successes: number, n: number, p0: number, alpha: number, prior: BetaPrior): 'above' | 'below' | undefined {
  if (n <= 0) return undefined;
  if (rateLogEvidence(successes, n, p0, prior) < Math.log(1 / alpha)) return undefined;
  return successes / n > p0 ? 'above' : 'below';
}

/**
 * The confidence sequence {p : M_n(p) < 1/α} for a Bernoulli rate: with
 * probability ≥ 1 − α it holds the true rate at every n at once. The
 * maximum-likelihood rate is always inside (M_n ≤ 1 there).
 */
export function rateConfidenceSequence(successes: number, n: number, alpha: number, prior: BetaPrior): [number, number] {
  if (n <= 0) return [0, 1];
  // g(p) = ln M_n(p) − ln(1/α) is convex in p with its minimum (≤ −ln(1/α)) at the MLE: one root on each side.
  const c = logMarginal(successes, n, prior) - Math.log(1 / alpha);
  const mle = successes / n;
  const lower = successes === 0 ? 0 : rateRoot(c, successes, n - successes, Number.MIN_VALUE, mle);
  const upper = successes === n ? 1 : rateRoot(c, successes, n - successes, mle, 1 - Number.EPSILON / 2);
  return [lower, upper];
}

/** g(p) = c − s·ln p − f·ln(1 − p). */
function rateG(c: number, s: number, f: number, p: number): number {
  return c - (s > 0 ? s * Math.log(p) : 0) - (f > 0 ? f * Math.log1p(-p) : 0);
}

/**
 * The root of rateG in [a, b], where it changes sign: Newton's steps kept
 * inside a shrinking bracket, bisection when a step leaves it; relative
 * precision 1e-10. (A plain function, not closures: this runs at every look.)
 */
function rateRoot(c: number, s: number, f: number, a: number, b: number): number {
  let ga = rateG(c, s, f, a);
  const gb = rateG(c, s, f, b);
  if (ga * gb > 0) return Math.abs(ga) < Math.abs(gb) ? a : b;
  let lo = a;
  let hi = b;
  let x = (a + b) / 2;
  for (let i = 0; i < 100; i++) {
    const gx = rateG(c, s, f, x);
    if (gx === 0) return x;
    if (gx > 0 === ga > 0) {
      lo = x;
      ga = gx;
    } else hi = x;
    const step = x - gx / (-s / x + f / (1 - x));
    const next = step > lo && step < hi ? step : (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-10 * Math.max(Math.abs(x), 1e-300) || hi - lo <= 1e-12 * Math.max(hi, 1e-300)) return next;
    x = next;
  }
  return x;
}

/**
 * Counts k of n for which a Binomial(n, q) count is not rejected at level α:
 * the always-valid band [kLo, kHi] around n·q. With the true q-quantile x_q,
 * #{X ≤ x_q} stays in the band at every n with probability ≥ 1 − α, so x_q
 * lies between the order statistics at ranks kLo and kHi + 1.
 */
export function binomialCountBand(n: number, q: number, alpha: number, prior: BetaPrior): [number, number] {
  if (n <= 0) return [0, 0];
  const bound = Math.log(1 / alpha);
  const centre = Math.min(n, Math.max(0, Math.round(n * q)));
  // Integer bisection on each side of the centre (the evidence is convex in k, smallest near n·q).
  let lo = 0;
  let hi = centre;
  if (rateLogEvidence(0, n, q, prior) < bound) hi = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (rateLogEvidence(mid, n, q, prior) >= bound) lo = mid;
    else hi = mid;
  }
  const kLo = hi;
  lo = centre;
  hi = n;
  if (rateLogEvidence(n, n, q, prior) < bound) lo = n;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (rateLogEvidence(mid, n, q, prior) >= bound) hi = mid;
    else lo = mid;
  }
  return [kLo, lo];
}

/**
 * Howard et al. (2021), two-sided normal-mixture boundary for a running sum
 * S_t of σ²-sub-Gaussian increments: |S_t| ≤ √((tσ² + ρ) ln((tσ² + ρ)/(ρ α²)))
 * for all t with probability ≥ 1 − α. ρ tunes where it is tightest (t ≈ ρ/σ²).
 */
export function normalMixtureBoundary(t: number, sigma2: number, rho: number, alpha: number): number {
  const v = t * sigma2 + rho;
  return Math.sqrt(v * Math.log(v / (rho * alpha * alpha)));
}

/**
 * mSPRT for a difference of means (Johari, Pekelis & Walsh): after n pairs with
 * mean difference d, per-pair variance V and a N(0, τ²) mixing prior,
 * Λ_n = √(V / (V + nτ²)) · exp(n²τ²d² / (2V(V + nτ²))); the always-valid
 * p-value is min(1, 1/Λ) at a single look (and the running minimum over looks).
 */
export function msprtNormal(meanDiff: number, n: number, varPerPair: number, tau2: number): { lambda: number; pValue: number } {
  const v = varPerPair + n * tau2;
  const lambda = Math.sqrt(varPerPair / v) * Math.exp((n * n * tau2 * meanDiff * meanDiff) / (2 * varPerPair * v));
  return { lambda, pValue: Math.min(1, 1 / lambda) };
}

/** GrowthBook's tuning ρ for a target sample size N*: ρ = √((−2 ln α + ln(−2 ln α + 1)) / N*). */
export function growthbookRho(nStar: number, alpha: number): number {
  const l = -2 * Math.log(alpha);
  return Math.sqrt((l + Math.log(l + 1)) / nStar);
}

/**
 * GrowthBook's sequential confidence interval half-width for an estimate with
 * standard error `se` from n units: σ̂·√(2(nρ²+1)/(n²ρ²) · ln(√(nρ²+1)/α)),
 * σ̂ = se·√n. It is valid at every n, unlike the fixed-horizon z·se.
 */
export function growthbookSequentialHalfwidth(se: number, n: number, nStar: number, alpha: number): number {
  const rho = growthbookRho(nStar, alpha);
  const r2n = n * rho * rho;
  return se * Math.sqrt(((2 * (r2n + 1)) / r2n) * Math.log(Math.sqrt(r2n + 1) / alpha));
}
