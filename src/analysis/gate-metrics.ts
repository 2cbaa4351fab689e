// Each built-in gate metric as an always-valid estimate: a point value and,
// for any threshold check at level α, a confidence-sequence interval of the
// statistic the check compares (the candidate's value, its difference from
// the baseline, or its relative difference) and the verdict it gives.
//
//   rates (errorRate, invalidOutputRate)  beta-binomial mixture confidence
//       sequence of the candidate's rate; deltas from the two sides' sequences
//       at α/2 each: [lo_c − hi_b, hi_c − lo_b], relative [lo_c/hi_b − 1, hi_c/lo_b − 1].
//   latency quantiles  as exceedance rates: "p99 ≤ T" is "at most 1 % of
//       requests are slower than T", a rate judged like the error rate; the
//       quantile's interval is read from the sequence of that rate. Deltas
//       move T with the baseline's quantile interval (at α/2).
//   outputPSI, classRateDelta  per-class share sequences on each side (α split
//       over classes and sides); PSI's interval is its range over that box,
//       classRateDelta's the range of the largest class difference.
//   requests  a count, exact.
// docs/plans.md states the formulas and why.
import { atomCount, countAbove, labelTotal, valueAtRank, quantileOfAtoms, type Atoms, type SideEvidence } from './evidence.ts';
import { binCounts, decileEdges, PSI_EPSILON } from './psi.ts';
import { binomialCountBand, priorNear, rateConfidenceSequence, UNIFORM_PRIOR, type BetaPrior } from './sequential.ts';

export type CheckKind = 'max' | 'min' | 'maxDelta' | 'minDelta' | 'maxRelativeDelta' | 'minRelativeDelta';
export const CHECK_KINDS: readonly CheckKind[] = ['max', 'min', 'maxDelta', 'minDelta', 'maxRelativeDelta', 'minRelativeDelta'];

/** One threshold of a gate: fails beyond `fail`, passes within `pass` (equal unless the gate sets a band). */
export interface Check {
  kind: CheckKind;
  fail: number;
  pass: number;
}

export const isUpper = (k: CheckKind): boolean => k.startsWith('max');
export const isDelta = (k: CheckKind): boolean => k === 'maxDelta' || k === 'minDelta';
export const isRelative = (k: CheckKind): boolean => k.endsWith('RelativeDelta');

export type CheckVerdict = 'pass' | 'fail' | 'inconclusive' | 'nodata';
export interface CheckOutcome {
  verdict: CheckVerdict;
  /** Interval of the statistic this check compares; absent for nodata. */
  interval?: [number, number];
  reason?: string;
}

export interface Estimate {
  kind: 'ok';
  value: number;
  baseline?: number;
  samples: { candidate: number; baseline: number };
  /** The value already compares candidate with baseline (outputPSI, classRateDelta): delta thresholds apply to it. */
  comparison?: boolean;
  /** `detail: false` skips what only a reader needs (intervals shown next to a verdict): for looks that only ask "did it fail?". */
  judge(check: Check, alpha: number, detail?: boolean): CheckOutcome;
}
export interface NoData {
  kind: 'nodata';
  reason: string;
  samples: { candidate: number; baseline: number };
}

/** Verdict of an interval against a check's thresholds. */
export function verdictOf(check: Check, iv: [number, number]): CheckVerdict {
  const [lo, hi] = iv;
  if (isUpper(check.kind)) return lo > check.fail ? 'fail' : hi < check.pass ? 'pass' : 'inconclusive';
  return hi < check.fail ? 'fail' : lo > check.pass ? 'pass' : 'inconclusive';
}

function outcome(check: Check, iv: [number, number]): CheckOutcome {
  return { verdict: verdictOf(check, iv), interval: iv };
}

/** The prior a check's rate sequence uses: tuned between its pass and fail thresholds (rates only). */
function priorFor(check: Check | undefined, fallback: number): BetaPrior {
  if (!check || isDelta(check.kind) || isRelative(check.kind)) return priorNear(fallback);
  const centre = Math.sqrt(Math.max(check.fail, 1e-6) * Math.max(check.pass, 1e-6));
  return centre > 0 && centre < 1 ? priorNear(centre) : UNIFORM_PRIOR;
}

/** Typical scale of error-like rates: the prior of delta checks, which have no absolute threshold to tune to. */
const DEFAULT_RATE_SCALE = 0.01;

function difference(c: [number, number], b: [number, number], relative: boolean): [number, number] {
  if (!relative) return [c[0] - b[1], c[1] - b[0]];
  const lo = b[1] > 0 ? c[0] / b[1] - 1 : c[0] > 0 ? Infinity : -1;
  const hi = b[0] > 0 ? c[1] / b[0] - 1 : Infinity;
  return [lo, hi];
}

/** A Bernoulli rate on each side: successes of trials. */
export function rateEstimate(c: { s: number; n: number }, b: { s: number; n: number }, what: string): Estimate | NoData {
  const samples = { candidate: c.n, baseline: b.n };
  if (c.n <= 0) return { kind: 'nodata', reason: `no candidate ${what} yet`, samples };
  return {
    kind: 'ok', value: c.s / c.n, samples, ...(b.n > 0 ? { baseline: b.s / b.n } : {}),
    judge(check, alpha) {
      if (!isDelta(check.kind) && !isRelative(check.kind)) return outcome(check, rateConfidenceSequence(c.s, c.n, alpha, priorFor(check, DEFAULT_RATE_SCALE)));
      if (b.n <= 0) return { verdict: 'nodata', reason: `${check.kind} needs baseline ${what}` };
      const prior = priorNear(DEFAULT_RATE_SCALE);
      const ci = rateConfidenceSequence(c.s, c.n, alpha / 2, prior);
      const bi = rateConfidenceSequence(b.s, b.n, alpha / 2, prior);
      return outcome(check, difference(ci, bi, isRelative(check.kind)));
    },
  };
}

/**
 * Always-valid interval of the q-quantile of `a`: the values between which
 * the share of values above stays consistent with 1 − q (count band of the
 * exceedance rate at level α).
 */
export function quantileInterval(a: Atoms, q: number, alpha: number): [number, number] | undefined {
  const n = atomCount(a);
  if (n === 0) return undefined;
  const [eLo, eHi] = binomialCountBand(n, 1 - q, alpha, priorNear(1 - q));
  return [valueAtRank(a, n - eHi)!, eLo <= 0 ? Infinity : valueAtRank(a, n - eLo + 1)!];
}

/** The share of values above `t` at level α. */
function exceedance(a: Atoms, t: number, alpha: number, q: number): [number, number] {
  return rateConfidenceSequence(countAbove(a, t), atomCount(a), alpha, priorNear(1 - q));
}

/** How a quantile's reason reads: "5 % of candidate requests slower than 500 ms". */
export interface QuantileWording {
  /** Plural noun and comparison: "candidate requests slower than". */
  beyond: string;
  unit: string;
  none: string;
}
const LATENCY_WORDING: QuantileWording = { beyond: 'candidate requests slower than', unit: ' ms', none: 'no candidate requests yet' };

/**
 * Latency quantile q. An absolute check passes when the exceedance rate of its
 * pass threshold is surely below 1 − q and fails when that of its fail
 * threshold is surely above; the interval shown is the quantile's own.
 */
export function latencyEstimate(c: Atoms, b: Atoms, q: number, words: QuantileWording = LATENCY_WORDING): Estimate | NoData {
  const samples = { candidate: atomCount(c), baseline: atomCount(b) };
  if (samples.candidate <= 0) return { kind: 'nodata', reason: words.none, samples };
  const value = quantileOfAtoms(c, q)!;
  const baseline = quantileOfAtoms(b, q);
  const share = 1 - q;
  return {
    kind: 'ok', value, samples, ...(baseline !== undefined ? { baseline } : {}),
    judge(check, alpha, detail = true) {
      const upper = isUpper(check.kind);
      const relative = isDelta(check.kind) || isRelative(check.kind);
      let failAt = check.fail;
      let passAt = check.pass;
      let a = alpha;
      let bi: [number, number] | undefined;
      if (relative) {
        bi = quantileInterval(b, q, alpha / 2);
        if (!bi) return { verdict: 'nodata', reason: `${check.kind} needs baseline requests` };
        a = alpha / 2;
        const move = (x: number, t: number) => (isRelative(check.kind) ? x * (1 + t) : x + t);
        // The harder end for each verdict: fail only beyond the highest baseline, pass only within the lowest.
        failAt = move(upper ? bi[1] : bi[0], check.fail);
        passAt = move(upper ? bi[0] : bi[1], check.pass);
      }
      const fail = exceedance(c, failAt, a, q);
      const pass = failAt === passAt ? fail : exceedance(c, passAt, a, q);
      let verdict: CheckVerdict = 'inconclusive';
      if (upper ? fail[0] > share : fail[1] < share) verdict = 'fail';
      else if (upper ? pass[1] < share : pass[0] > share) verdict = 'pass';
      if (!detail) return { verdict };
      const iv = quantileInterval(c, q, a)!;
      const pct = (x: number) => `${Number((100 * x).toPrecision(3))} %`;
      const at = verdict === 'pass' ? passAt : failAt;
      const shown = verdict === 'pass' ? pass : fail;
      const reason = `${pct(countAbove(c, at) / samples.candidate)} [${pct(shown[0])}, ${pct(shown[1])}] of ${words.beyond} ${fmtValue(at, words.unit)} (p${Math.round(q * 1000) / 10} needs ${upper ? 'under' : 'over'} ${pct(share)})`;
      return { verdict, interval: bi ? difference(iv, bi, isRelative(check.kind)) : iv, reason };
    },
  };
}

const fmtValue = (x: number, unit: string) => `${Number.isFinite(x) ? Number(x.toPrecision(4)) : x}${unit}`;

interface Bins {
  candidate: number[];
  baseline: number[];
  names: string[];
}

/** Label counts when either side has labels, else score bins on the baseline's deciles. */
function binsOf(c: SideEvidence, b: SideEvidence): Bins | undefined {
  if (labelTotal(c.labels) > 0 || labelTotal(b.labels) > 0) {
    const names = [...new Set([...Object.keys(b.labels), ...Object.keys(c.labels)])].sort();
    return { names, candidate: names.map((l) => c.labels[l] ?? 0), baseline: names.map((l) => b.labels[l] ?? 0) };
  }
  if (!c.scores?.length || !b.scores?.length) return undefined;
  const toAtoms = (a: Atoms) => a.map(([value, count]) => ({ value, count }));
  const edges = decileEdges(toAtoms(b.scores));
  const names = Array.from({ length: edges.length + 1 }, (_, i) => `bin${i}`);
  return { names, candidate: binCounts(toAtoms(c.scores), edges), baseline: binCounts(toAtoms(b.scores), edges) };
}

const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);

/** Per bin, each side's share interval at α / (2 · bins). */
function shareBoxes(bins: Bins, alpha: number): Array<{ c: [number, number]; b: [number, number] }> {
  const nc = sum(bins.candidate);
  const nb = sum(bins.baseline);
  const a = alpha / (2 * bins.names.length);
  return bins.names.map((_, i) => ({
    c: rateConfidenceSequence(bins.candidate[i]!, nc, a, UNIFORM_PRIOR),
    b: rateConfidenceSequence(bins.baseline[i]!, nb, a, UNIFORM_PRIOR),
  }));
}

const psiTerm = (c: number, b: number) => {
  const x = Math.max(c, PSI_EPSILON);
  const y = Math.max(b, PSI_EPSILON);
  return (x - y) * Math.log(x / y);
};

function psiPoint(bins: Bins): number {
  const nc = sum(bins.candidate);
  const nb = sum(bins.baseline);
  return bins.names.reduce((acc, _, i) => acc + psiTerm(bins.candidate[i]! / nc, bins.baseline[i]! / nb), 0);
}

/**
 * Why an output gate has no data, naming the side without outputs: no requests yet (no live
 * traffic), or requests answered without an output (server errors, 4xx rejections).
 */
function noOutputs(metric: string, what: string, candidateOutputs: number, c: SideEvidence, b: SideEvidence): string {
  const [side, s] = candidateOutputs === 0 ? ['the candidate', c] as const : ['the baseline', b] as const;
  const why = s.requests === 0 ? 'no requests yet' : `${s.requests} requests, none answered with ${what} (server errors and 4xx answers have none)`;
  return `${metric} needs ${what} on both sides; ${side} has ${why}`;
}

export function outputPsiEstimate(c: SideEvidence, b: SideEvidence): Estimate | NoData {
  const bins = binsOf(c, b);
  const samples = { candidate: bins ? sum(bins.candidate) : 0, baseline: bins ? sum(bins.baseline) : 0 };
  if (!bins || samples.candidate === 0 || samples.baseline === 0) return { kind: 'nodata', reason: noOutputs('outputPSI', 'output labels or scores', samples.candidate, c, b), samples };
  return {
    kind: 'ok', value: psiPoint(bins), samples, comparison: true,
    judge(check, alpha) {
      if (isRelative(check.kind)) return { verdict: 'nodata', reason: 'relative thresholds do not apply to outputPSI' };
      let lo = 0;
      let hi = 0;
      for (const { c: ci, b: bi } of shareBoxes(bins, alpha)) {
        // PSI's term is convex and zero on c = b: smallest at the nearest corner (0 when the boxes overlap), largest at a corner.
        if (ci[0] > bi[1]) lo += psiTerm(ci[0], bi[1]);
        else if (ci[1] < bi[0]) lo += psiTerm(ci[1], bi[0]);
        hi += Math.max(psiTerm(ci[0], bi[1]), psiTerm(ci[1], bi[0]), psiTerm(ci[0], bi[0]), psiTerm(ci[1], bi[1]));
      }
      return outcome(check, [lo, hi]);
    },
  };
}

/** Largest absolute difference of class shares (a fraction: 0.05 = 5 points). */
export function classRateDeltaEstimate(c: SideEvidence, b: SideEvidence): Estimate | NoData {
  const nc = labelTotal(c.labels);
  const nb = labelTotal(b.labels);
  const samples = { candidate: nc, baseline: nb };
  if (nc === 0 || nb === 0) return { kind: 'nodata', reason: noOutputs('classRateDelta', 'labelled outputs', nc, c, b), samples };
  const bins = binsOf(c, b)!;
  let value = 0;
  bins.names.forEach((_, i) => (value = Math.max(value, Math.abs(bins.candidate[i]! / nc - bins.baseline[i]! / nb))));
  return {
    kind: 'ok', value, samples, comparison: true,
    judge(check, alpha) {
      if (isRelative(check.kind)) return { verdict: 'nodata', reason: 'relative thresholds do not apply to classRateDelta' };
      let lo = 0;
      let hi = 0;
      for (const { c: ci, b: bi } of shareBoxes(bins, alpha)) {
        const [dLo, dHi] = [ci[0] - bi[1], ci[1] - bi[0]];
        lo = Math.max(lo, dLo > 0 ? dLo : dHi < 0 ? -dHi : 0);
        hi = Math.max(hi, Math.abs(dLo), Math.abs(dHi));
      }
      return outcome(check, [lo, hi]);
    },
  };
}

export function requestsEstimate(c: SideEvidence, b: SideEvidence): Estimate {
  return {
    kind: 'ok', value: c.requests, baseline: b.requests, samples: { candidate: c.requests, baseline: b.requests },
    judge(check) {
      const x = isDelta(check.kind) ? c.requests - b.requests : isRelative(check.kind) ? (b.requests > 0 ? c.requests / b.requests - 1 : Infinity) : c.requests;
      return outcome(check, [x, x]);
    },
  };
}
