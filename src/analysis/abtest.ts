// An A/B test's verdict: which arm wins on the declared primary metric.
// Units are assigned sticky (GrowthBook's hash) at a fixed split; the test
// is sized in units per arm from the baseline rate, the minimum detectable
// effect, α and power (R's power.prop.test); it decides
//   - fixed horizon (default): once both arms reach the size, a two-sided z
//     test at α (pooled for conversions, as power.prop.test assumes);
//   - sequential (when asked): at every look, GrowthBook's sequential
//     interval of the lift (tuned at the design's size), deciding as soon as
//     it excludes 0, inconclusive at the horizon otherwise.
// A sample ratio mismatch (units per arm against the split at p < 0.001)
// invalidates the result: the caller pauses the experiment. It is checked at
// every look, so the verdict uses an always-valid test (srmAtEveryLook);
// GrowthBook's χ² and its p-value are reported beside it.
import { twoProportionSampleSize, sampleRatioMismatch, SRM_P_THRESHOLD, type SrmResult } from './fixed-horizon.ts';
import { betaBinomialLogMixture } from './sequential.ts';
import { armMoments, lift, sequentialInterval, type Aggregate, type ArmOutcome, type OutcomePair } from './outcomes.ts';
import { normalCdf, normalQuantile } from './special.ts';

export interface AbDesign {
  /** The candidate's share of units, in percent. */
  percent: number;
  aggregate: Aggregate;
  alpha: number;
  power: number;
  /** Units per arm: given, or derived from the baseline rate and the minimum detectable effect. */
  unitsPerArm?: number;
  baselineRate?: number;
  /** Relative (0.2 = +20 %: 10 % → 12 %). */
  minDetectableEffect?: number;
  sequential: boolean;
}

export type AbDecision = 'win' | 'lose' | 'inconclusive';

export interface ArmReport {
  units: number;
  /** Feedback events of the primary metric joined to this arm (zeros included). */
  events: number;
  /** Conversion tests: units (or requests) with a value above 0 — the rate's numerator. */
  converted?: number;
  /** Rate (conversion) or mean/ratio per unit, with its interval (fixed-horizon or sequential, as the test). */
  value?: number;
  interval?: [number, number];
}

export interface AbResult {
  baseline: ArmReport;
  candidate: ArmReport;
  /** candidate − baseline, and (candidate − baseline) / baseline, with intervals. */
  absolute?: { value: number; interval: [number, number] };
  relative?: { value: number; interval: [number, number] };
  /** Fixed horizon: the two-sided p-value; sequential: the always-valid p-value (the smallest α whose interval excludes 0). */
  pValue?: number;
  srm: LookedSrm;
  horizon: { unitsPerArm?: number; reached: boolean };
  decision?: AbDecision;
  reason: string;
}

/** GrowthBook's χ² and p-value, with the always-valid p-value that decides `mismatch`. */
export interface LookedSrm extends SrmResult {
  sequentialPValue: number;
}

/**
 * Prior concentration of the SRM test's beta-binomial mixture around the configured share: a
 * standard deviation of about 5 points at 50/50, where broken assignments show (seed 000's weak
 * assignment: bots, redirects, crashes on one arm), while 1-point drifts need tens of thousands.
 */
const SRM_PRIOR_CONCENTRATION = 100;

/**
 * A sample ratio mismatch judged at every look. Pearson's χ² at p < 0.001 looked at every window
 * of an A/A test pauses about 2 % of them (8,000 and 40,000 units looked at every 50: bench/srm.ts),
 * not 0.1 %. The beta-binomial mixture martingale of the candidate's units against its configured
 * share is a nonnegative martingale under a correct split, so by Ville's inequality it ever reaches
 * 1/0.001 with probability at most 0.001 however often it is looked at (Lindon & Malek's
 * anytime-valid SRM test, two arms).
 */
export function srmAtEveryLook(baselineUnits: number, candidateUnits: number, candidatePercent: number, threshold = SRM_P_THRESHOLD): LookedSrm {
  const chi2 = sampleRatioMismatch([baselineUnits, candidateUnits], [100 - candidatePercent, candidatePercent], threshold);
  const share = candidatePercent / 100;
  const n = baselineUnits + candidateUnits;
  const logM = n > 0 && share > 0 && share < 1 ? betaBinomialLogMixture(candidateUnits, n, share, SRM_PRIOR_CONCENTRATION * share, SRM_PRIOR_CONCENTRATION * (1 - share)) : 0;
  const sequentialPValue = Math.min(1, Math.exp(-logM));
  return { ...chi2, sequentialPValue, mismatch: sequentialPValue < threshold };
}

/** Units per arm the design needs; undefined when it cannot be derived. */
export function unitsPerArm(d: Pick<AbDesign, 'unitsPerArm' | 'baselineRate' | 'minDetectableEffect' | 'alpha' | 'power'>): number | undefined {
  if (d.unitsPerArm !== undefined) return d.unitsPerArm;
  if (d.baselineRate === undefined || d.minDetectableEffect === undefined) return undefined;
  const p2 = d.baselineRate * (1 + d.minDetectableEffect);
  if (!(p2 > 0 && p2 < 1)) return undefined;
  return Math.ceil(twoProportionSampleSize(d.baselineRate, p2, d.alpha, d.power));
}

function report(a: ArmOutcome, aggregate: Aggregate, interval: (m: { mean: number; variance: number; n: number }) => [number, number]): ArmReport {
  const m = armMoments(a, aggregate);
  return { units: a.exposed, events: a.events, ...(aggregate === 'conversion' ? { converted: a.converted } : {}), ...(m ? { value: m.mean, interval: interval(m) } : {}) };
}

/** The smallest α at which the sequential interval excludes 0 (1 when it does not even at α = 0.5). */
function alwaysValidP(value: number, se: number, n: number, nStar: number): number {
  if (se === 0) return value === 0 ? 1 : 0;
  let lo = 1e-12;
  let hi = 0.5;
  const excludes = (a: number) => {
    const [l, h] = sequentialInterval(value, se, n, nStar, a);
    return l > 0 || h < 0;
  };
  if (!excludes(hi)) return 1;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (excludes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The test at this look. `final` is true when the test must end now
 * (maxDuration): an undecided test is then inconclusive.
 */
export function judgeAbTest(d: AbDesign, p: OutcomePair, final = false): AbResult {
  const size = unitsPerArm(d);
  const srm = srmAtEveryLook(p.baseline.exposed, p.candidate.exposed, d.percent);
  const reached = size !== undefined && p.baseline.exposed >= size && p.candidate.exposed >= size;
  const z = normalQuantile(1 - d.alpha / 2);
  const nStar = 2 * (size ?? 10_000);
  const arm = (a: ArmOutcome) => report(a, d.aggregate, (m) => (d.sequential ? sequentialInterval(m.mean, Math.sqrt(m.variance / m.n), m.n, nStar / 2, d.alpha) : [m.mean - z * Math.sqrt(m.variance / m.n), m.mean + z * Math.sqrt(m.variance / m.n)]));
  const out: AbResult = { baseline: arm(p.baseline), candidate: arm(p.candidate), srm, horizon: { ...(size !== undefined ? { unitsPerArm: size } : {}), reached }, reason: '' };
  const c = armMoments(p.candidate, d.aggregate);
  const b = armMoments(p.baseline, d.aggregate);
  if (!c || !b || c.n < 2 || b.n < 2) {
    out.reason = 'not enough units in both arms yet';
    if (final) out.decision = 'inconclusive';
    return out;
  }
  const abs = lift(c, b, false);
  // Fixed horizon, conversions: the pooled standard error of power.prop.test's z test.
  let se = abs.se;
  if (!d.sequential && d.aggregate === 'conversion') {
    const pooled = (p.candidate.converted + p.baseline.converted) / (c.n + b.n);
    se = Math.sqrt(pooled * (1 - pooled) * (1 / c.n + 1 / b.n));
  }
  const interval = (v: number, s: number): [number, number] => (d.sequential ? sequentialInterval(v, s, c.n + b.n, nStar, d.alpha) : [v - z * s, v + z * s]);
  out.absolute = { value: abs.value, interval: interval(abs.value, se) };
  if (b.mean !== 0) {
    const rel = lift(c, b, true);
    out.relative = { value: rel.value, interval: interval(rel.value, rel.se) };
  }
  const [lo, hi] = out.absolute.interval;
  if (d.sequential) {
    out.pValue = alwaysValidP(abs.value, se, c.n + b.n, nStar);
    if (lo > 0) out.decision = 'win';
    else if (hi < 0) out.decision = 'lose';
    else if (reached || final) out.decision = 'inconclusive';
  } else {
    out.pValue = se > 0 ? 2 * (1 - normalCdf(Math.abs(abs.value / se))) : abs.value === 0 ? 1 : 0;
    if (reached || final) out.decision = !reached ? 'inconclusive' : abs.value / se > z ? 'win' : abs.value / se < -z ? 'lose' : 'inconclusive';
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  // The absolute difference decides; the relative lift's interval (delta method) is wider, as it also
  // carries the baseline's uncertainty, so it may still touch 0 when the difference does not: say which.
  const num = (x: number) => (x > 0 ? '+' : '') + x.toPrecision(3);
  const liftText = `difference ${num(abs.value)} [${num(lo)}, ${num(hi)}]${out.relative ? ` (relative lift ${pct(out.relative.value)} [${pct(out.relative.interval[0])}, ${pct(out.relative.interval[1])}])` : ''}`;
  const where = reached ? `at the horizon (${size} units per arm)` : final ? 'at maxDuration, before the horizon' : d.sequential ? 'before the horizon (sequential)' : `${Math.min(p.baseline.exposed, p.candidate.exposed)} of ${size ?? '?'} units per arm`;
  out.reason = out.decision === 'win' ? `the candidate wins ${where}: ${liftText}, p ${out.pValue!.toPrecision(3)}`
    : out.decision === 'lose' ? `the candidate loses ${where}: ${liftText}, p ${out.pValue!.toPrecision(3)}`
      : out.decision === 'inconclusive' ? `inconclusive ${where}: ${liftText}, p ${out.pValue!.toPrecision(3)}; the baseline is kept`
        : `running: ${where}; ${liftText}`;
  return out;
}
