// Outcome metrics: what happened after predictions (clicks, purchases,
// revenue), per arm, from feedback joined to the predictions it follows.
//   conversion  share of exposed units (or requests) with an event of value > 0
//   mean        total value per exposed unit (or request), e.g. revenue per user
//   ratio       total of one metric over total of another, e.g. revenue per click
// Each as an always-valid estimate the gates judge: conversions with the
// beta-binomial sequences (as every rate); means and ratios with GrowthBook's
// sequential interval on the plug-in standard error (the delta method for
// ratios and for relative lifts, as GrowthBook computes them).
import { rateEstimate, verdictOf, isDelta, isRelative, type Check, type Estimate, type NoData } from './gate-metrics.ts';
import { growthbookSequentialHalfwidth } from './sequential.ts';

/** One arm's outcome totals over the units (or requests) it served. */
export interface ArmOutcome {
  /** Units (or requests) the arm served in the range. */
  exposed: number;
  /** Of them, with at least one event of value > 0. */
  converted: number;
  /** Σ and Σ² of the per-unit totals of the metric (units without events count 0). */
  sum: number;
  sumSq: number;
  /** Events counted. */
  events: number;
  /** Ratio metrics: Σ and Σ² of the per-unit denominator totals, and Σ numerator × denominator. */
  den?: number;
  denSq?: number;
  cross?: number;
}

export interface OutcomePair {
  baseline: ArmOutcome;
  candidate: ArmOutcome;
}

export type Aggregate = 'conversion' | 'mean' | 'ratio';

export function emptyArm(): ArmOutcome {
  return { exposed: 0, converted: 0, sum: 0, sumSq: 0, events: 0 };
}

/** Mean and variance of the per-unit values of an arm (ratio: the delta method's linearised variance). */
export function armMoments(a: ArmOutcome, aggregate: Aggregate): { mean: number; variance: number; n: number } | undefined {
  const n = a.exposed;
  if (n <= 0) return undefined;
  if (aggregate === 'conversion') {
    const p = a.converted / n;
    return { mean: p, variance: p * (1 - p), n };
  }
  const mx = a.sum / n;
  const vx = Math.max(0, a.sumSq / n - mx * mx);
  if (aggregate === 'mean') return { mean: mx, variance: vx, n };
  const my = (a.den ?? 0) / n;
  if (my <= 0) return undefined;
  const vy = Math.max(0, (a.denSq ?? 0) / n - my * my);
  const cxy = (a.cross ?? 0) / n - mx * my;
  const r = mx / my;
  // Var(X̄/Ȳ)·n ≈ (vx − 2r·cxy + r²·vy) / ȳ².
  return { mean: r, variance: Math.max(0, (vx - 2 * r * cxy + r * r * vy) / (my * my)), n };
}

/** Difference (absolute or relative) of candidate and baseline with its standard error. */
export function lift(c: { mean: number; variance: number; n: number }, b: { mean: number; variance: number; n: number }, relative: boolean): { value: number; se: number } {
  if (!relative) return { value: c.mean - b.mean, se: Math.sqrt(c.variance / c.n + b.variance / b.n) };
  // GrowthBook's delta-method relative lift: (μc/μb − 1), Var ≈ Vc/(n_c μb²) + μc² Vb/(n_b μb⁴).
  const value = c.mean / b.mean - 1;
  const se = Math.sqrt(c.variance / (c.n * b.mean * b.mean) + (c.mean * c.mean * b.variance) / (b.n * b.mean ** 4));
  return { value, se };
}

/** GrowthBook's sequential interval of an estimate with standard error `se` from n units, tuned at nStar. */
export function sequentialInterval(value: number, se: number, n: number, nStar: number, alpha: number): [number, number] {
  if (se === 0) return [value, value];
  const h = growthbookSequentialHalfwidth(se, n, nStar, alpha);
  return [value - h, value + h];
}

/** Units of a typical experiment: the sequential interval is tightest around here when nothing better is known. */
export const DEFAULT_TUNING = 10_000;

/** An outcome metric as a gate's estimate: the candidate's value, the baseline's, and intervals for every check. */
export function outcomeEstimate(aggregate: Aggregate, p: OutcomePair, metric: string, opts: { per?: 'unit' | 'request'; nStar?: number } = {}): Estimate | NoData {
  const nStar = opts.nStar ?? DEFAULT_TUNING;
  const samples = { candidate: p.candidate.exposed, baseline: p.baseline.exposed };
  const units = opts.per === 'request' ? 'requests' : 'units';
  if (p.candidate.exposed <= 0 && opts.per !== 'request') {
    // The usual reason is not a lack of traffic but of unit keys: say where they come from.
    return { kind: 'nodata', reason: `no candidate units exposed for ${metric} yet (per: unit counts only requests that carry a unit key: a plan's cohorts.unit, a sticky route, or in a cluster the sink's --unit-header; per: request counts every request)`, samples };
  }
  if (aggregate === 'conversion') return rateEstimate({ s: p.candidate.converted, n: p.candidate.exposed }, { s: p.baseline.converted, n: p.baseline.exposed }, `${units} exposed for ${metric}`);
  const c = armMoments(p.candidate, aggregate);
  if (!c) return { kind: 'nodata', reason: `no candidate ${units} with ${metric} yet`, samples };
  const b = armMoments(p.baseline, aggregate);
  return {
    kind: 'ok', value: c.mean, samples, ...(b ? { baseline: b.mean } : {}),
    judge(check: Check, alpha: number) {
      if (c.n < 2) return { verdict: 'inconclusive', interval: [c.mean, c.mean] };
      if (!isDelta(check.kind) && !isRelative(check.kind)) {
        const iv = sequentialInterval(c.mean, Math.sqrt(c.variance / c.n), c.n, nStar, alpha);
        return { verdict: verdictOf(check, iv), interval: iv };
      }
      if (!b || b.n < 2) return { verdict: 'nodata', reason: `${check.kind} needs baseline units with ${metric}` };
      if (isRelative(check.kind) && b.mean === 0) return { verdict: 'inconclusive', reason: `the baseline's ${metric} is 0: no relative lift` };
      const l = lift(c, b, isRelative(check.kind));
      const iv = sequentialInterval(l.value, l.se, c.n + b.n, nStar, alpha);
      return { verdict: verdictOf(check, iv), interval: iv };
    },
  };
}
