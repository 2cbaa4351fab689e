// Gates whose numbers come from an external provider (Prometheus), with the
// same always-valid treatment as the built-in metrics:
//
// - counts (`events` and `total` queries, e.g. 5xx responses and requests in
//   the window): added up over the step and judged as a rate, exactly like
//   errorRate;
// - values (one `query` returning a number per window, e.g. a p99 from a
//   histogram): each window's value is one observation; the gate judges
//   their mean with GrowthBook's sequential interval on the plug-in standard
//   error, once it has MIN_VALUE_WINDOWS windows. A window whose value is
//   ±Infinity (histogram_quantile past the last bucket) fails an upper (or
//   lower) threshold at once and is not averaged.
import { rateEstimate, type Check, type Estimate, type NoData, isDelta, isRelative, isUpper, verdictOf } from './gate-metrics.ts';
import { growthbookSequentialHalfwidth } from './sequential.ts';

/** A provider's answer for one gate in one window (keyed by gateKey); error means the query itself failed. */
export interface ProviderResult {
  value?: number;
  baseline?: number;
  /** Event counts in the window when the gate has `events`/`total` queries. */
  counts?: { candidate: Counts; baseline?: Counts };
  error?: string;
}

export interface Counts {
  events: number;
  total: number;
}

/** Running mean and sum of squared deviations (Welford). */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/** What a provider gate has gathered over a step. */
export type ProviderEvidence =
  | { kind: 'counts'; candidate: Counts; baseline: Counts }
  | { kind: 'values'; value: Moments; delta: Moments; relative: Moments };

/** Windows of values needed before a value gate can decide (a standard error needs a spread). */
export const MIN_VALUE_WINDOWS = 3;
/** GrowthBook's tuning N*: the sequential interval is tightest around this many windows. */
export const VALUE_WINDOWS_TUNING = 10;

const EMPTY: Moments = { n: 0, mean: 0, m2: 0 };

function push(m: Moments, x: number | undefined): Moments {
  if (x === undefined || !Number.isFinite(x)) return m;
  const n = m.n + 1;
  const d = x - m.mean;
  const mean = m.mean + d / n;
  return { n, mean, m2: m.m2 + d * (x - mean) };
}

/** Adds one window's provider answer to the step's evidence (errors and empty answers add nothing). */
export function accumulateProvider(prev: ProviderEvidence | undefined, r: ProviderResult | undefined): ProviderEvidence | undefined {
  if (!r || r.error !== undefined) return prev;
  if (r.counts) {
    const base = prev?.kind === 'counts' ? prev : { kind: 'counts' as const, candidate: { events: 0, total: 0 }, baseline: { events: 0, total: 0 } };
    const add = (a: Counts, b: Counts | undefined): Counts => (b ? { events: a.events + b.events, total: a.total + b.total } : a);
    return { kind: 'counts', candidate: add(base.candidate, r.counts.candidate), baseline: add(base.baseline, r.counts.baseline) };
  }
  if (r.value === undefined || Number.isNaN(r.value)) return prev;
  const base = prev?.kind === 'values' ? prev : { kind: 'values' as const, value: EMPTY, delta: EMPTY, relative: EMPTY };
  const hasBaseline = r.baseline !== undefined && Number.isFinite(r.baseline);
  return {
    kind: 'values',
    value: push(base.value, r.value),
    delta: hasBaseline ? push(base.delta, r.value - r.baseline!) : base.delta,
    relative: hasBaseline && r.baseline !== 0 ? push(base.relative, r.value / r.baseline! - 1) : base.relative,
  };
}

/**
 * GrowthBook's sequential interval for a mean from its moments, with the
 * plug-in standard deviation (valid as the sample grows; GrowthBook's own
 * assumption), tightest around n = nStar.
 */
export function meanInterval(m: Moments, nStar: number, alpha: number): [number, number] {
  const sd = Math.sqrt(m.m2 / Math.max(1, m.n - 1));
  const h = growthbookSequentialHalfwidth(sd / Math.sqrt(m.n), m.n, nStar, alpha);
  return [m.mean - h, m.mean + h];
}

/** The step's provider evidence as an estimate the gate can judge. */
export function providerEstimate(ev: ProviderEvidence | undefined): Estimate | NoData {
  if (!ev) return { kind: 'nodata', reason: 'the provider has returned no value yet', samples: { candidate: 0, baseline: 0 } };
  if (ev.kind === 'counts') {
    return rateEstimate({ s: ev.candidate.events, n: ev.candidate.total }, { s: ev.baseline.events, n: ev.baseline.total }, 'events');
  }
  const samples = { candidate: ev.value.n, baseline: ev.delta.n };
  if (ev.value.n === 0) return { kind: 'nodata', reason: 'the provider has returned no value yet', samples };
  return {
    kind: 'ok', value: ev.value.mean, samples,
    ...(ev.delta.n > 0 ? { baseline: ev.value.mean - ev.delta.mean } : {}),
    judge(check: Check, alpha: number) {
      const m = isRelative(check.kind) ? ev.relative : isDelta(check.kind) ? ev.delta : ev.value;
      if (m.n === 0) return { verdict: 'nodata', reason: `${check.kind} needs baseline values` };
      if (m.n < MIN_VALUE_WINDOWS) return { verdict: 'inconclusive', interval: [m.mean, m.mean], reason: `needs ${MIN_VALUE_WINDOWS} windows of values (has ${m.n})` };
      const iv = meanInterval(m, VALUE_WINDOWS_TUNING, alpha);
      return { verdict: verdictOf(check, iv), interval: iv };
    },
  };
}

/** An infinite value in this window: a fail for the checks it is beyond. */
export function infiniteFailure(check: Check, r: ProviderResult | undefined): string | undefined {
  const v = r?.value;
  if (v === undefined || Number.isFinite(v) || Number.isNaN(v) || isDelta(check.kind) || isRelative(check.kind)) return undefined;
  return (isUpper(check.kind) ? v > 0 : v < 0) ? `the provider returned ${v} in the last window` : undefined;
}
