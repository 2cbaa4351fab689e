// Gate verdicts with Argo Rollouts' five outcomes (pass, fail, inconclusive,
// nodata, error), judged on the evidence of the whole step with always-valid
// statistics, and on the latest window alone for sudden failures.
//
// - Cumulative: every threshold is checked against a confidence sequence of
//   the step's evidence (gate-metrics.ts) at this gate's share of the plan's
//   α. A check fails when the interval is wholly beyond its fail threshold,
//   passes when wholly within its pass threshold (the same number unless the
//   gate sets a band with `pass:`), and is inconclusive otherwise.
// - Fail-fast: errorRate and latency gates are also judged on the latest
//   window alone, at the per-window share of α, and only ever fail there.
// - α: the plan's α (default 0.05) bounds its chance of ever rolling back a
//   candidate that meets every gate, over all looks, steps and gates
//   (alphaShares below). docs/plans.md has the formulas.
import type { TrafficPlanSpec } from '../api/kinds/trafficplan.ts';
import { optionalDurationMs as goDurationMs } from '../core/duration.ts';
import { emptySide, type PairEvidence } from './evidence.ts';
import {
  CHECK_KINDS, classRateDeltaEstimate, isDelta, isRelative, latencyEstimate, outputPsiEstimate, rateEstimate, requestsEstimate,
  type Check, type CheckOutcome, type Estimate, type NoData,
} from './gate-metrics.ts';
import { infiniteFailure, providerEstimate, type ProviderEvidence, type ProviderResult } from './gate-providers.ts';
import { PAIRED_METRICS, pairedEstimate } from './gate-pairs.ts';
import { outcomeEstimate, type OutcomePair } from './outcomes.ts';

/** The key of an abTest's primary metric among a step's outcomes. */
export const PRIMARY_OUTCOME = '@primary';
import type { PairTally } from './pairs.ts';

export type { ProviderResult } from './gate-providers.ts';
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'nodata' | 'error';
export type GateSpec = NonNullable<TrafficPlanSpec['gates']>[number];

/** One scope's two sides, the shadow pairs judged in it (shadow phases) and outcome totals (feedback) by gate key. */
export interface ScopeEvidence extends PairEvidence {
  pairs?: PairTally;
  outcomes?: Record<string, OutcomePair & { slices?: Record<string, OutcomePair> }>;
}

/** Evidence for one scope (the step so far, or one window): both sides, per-stratum slices, providers. */
export interface EvidenceSet extends ScopeEvidence {
  /** stratum name → slice value → that slice's evidence. */
  slices?: Record<string, Record<string, ScopeEvidence>>;
}

export interface GateInput {
  /** Shadow pairs are expected in this phase: paired-metric gates are judged (elsewhere they are skipped). */
  pairsExpected?: boolean;
  /** Everything since the step began (or the split last changed). */
  step: EvidenceSet & { providers?: Record<string, ProviderEvidence> };
  /** The latest window alone (fail-fast, provider errors); absent when judging the step only. */
  window?: EvidenceSet & { providers?: Record<string, ProviderResult> };
}

/** The α each test of a gate may spend: per step on the cumulative evidence, per window on fail-fast. */
export interface GateAlpha {
  step: number;
  window: number;
}

export interface GateOptions {
  /** Consecutive looks with a provider error before they count as a failure (Argo's default). */
  consecutiveErrorLimit: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = { consecutiveErrorLimit: 4 };
export const DEFAULT_ALPHA = 0.05;
/** Share of α kept for fail-fast looks at single windows when a plan has such gates. */
export const FAIL_FAST_SHARE = 0.2;

/** The gate set the decision benchmark validates (docs/plans.md, "Defaults"). */
export const RECOMMENDED_GATES: GateSpec[] = [
  { metric: 'errorRate', max: 0.01 },
  { metric: 'latencyP99Ms', max: 500, maxRelativeDelta: 0.5 },
  { metric: 'invalidOutputRate', max: 0.01 },
  { metric: 'outputPSI', max: 0.2 },
  { metric: 'classRateDelta', max: 0.05 },
];

export const OUTPUT_METRICS = new Set(['outputPSI', 'classRateDelta', 'invalidOutputRate', 'reward', 'agreement', 'scoreDeltaP99', 'scoreDeltaMean']);
export const HEALTH_METRICS = new Set(['errorRate', 'clientErrorRate', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms', 'requests']);
/** Metrics about sudden failure: also judged on the latest window alone. */
export const FAIL_FAST_METRICS = new Set(['errorRate', 'clientErrorRate', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms']);
/** Metrics whose value already compares candidate and baseline; relative thresholds do not apply. */
export const COMPARISON_METRICS = new Set(['outputPSI', 'classRateDelta']);
const QUANTILE: Record<string, number> = { latencyP50Ms: 0.5, latencyP90Ms: 0.9, latencyP99Ms: 0.99 };

export interface GateResult {
  gate: string;
  metric: string;
  slice?: { name: string; value: string };
  verdict: Verdict;
  /** The step's value (cumulative) and its always-valid interval. */
  value?: number;
  interval?: [number, number];
  baseline?: number;
  /** candidate − baseline (for comparison metrics the value itself), with its interval. */
  delta?: number;
  deltaInterval?: [number, number];
  threshold: string;
  /** Step evidence behind the value (requests or outputs per side). */
  samples: { candidate: number; baseline: number };
  /** The level each check was judged at. */
  alpha?: number;
  reason: string;
  /** The latest window alone. */
  window?: { value?: number; samples: number; failed?: boolean; reason?: string };
  /** Not judged in this phase (a paired metric where there are no shadow pairs): neither passes nor blocks. */
  skipped?: boolean;
}

export interface GateEvaluation {
  gate: string;
  verdict: Verdict;
  /** One result, or one per slice value for bySlice gates. */
  results: GateResult[];
  /** Not judged in this phase: left out when the look's gates are combined. */
  skipped?: boolean;
}

/** Stable name of a gate: its name, else its metric (name gates that share a metric). */
export function gateKey(gate: GateSpec): string {
  return gate.name ?? gate.metric;
}

const CHECKS = new WeakMap<GateSpec, Check[]>();

/** The gate's threshold checks, each with its fail and pass thresholds (computed once per gate object). */
export function checksOf(gate: GateSpec): Check[] {
  let checks = CHECKS.get(gate);
  if (!checks) {
    checks = CHECK_KINDS.flatMap((kind) => (gate[kind] === undefined ? [] : [{ kind, fail: gate[kind]!, pass: gate.pass?.[kind] ?? gate[kind]! }]));
    CHECKS.set(gate, checks);
  }
  return checks;
}

export function thresholdText(gate: GateSpec): string {
  return checksOf(gate).map((c) => (c.pass === c.fail ? `${c.kind} ${c.fail}` : `${c.kind} ${c.fail} (pass ${c.pass})`)).join(', ');
}

/** Decision looks a plan can take: canary steps, one per other phase. */
export function stepsOfPlan(spec: Pick<TrafficPlanSpec, 'phases'>): number {
  return spec.phases.reduce((n, p) => n + (p.canary ? p.canary.steps.length : 1), 0);
}

/** Default horizon for spreading fail-fast α over windows when a plan has no maxDuration. */
const DEFAULT_HORIZON_MS = 24 * 3_600_000;

/**
 * Bonferroni over everything that can roll a plan back: (1 − f)·α over
 * steps × gates for the cumulative tests, f·α over windows × fail-fast gates
 * (windows = maxDuration / window) for single-window looks.
 */
export function alphaShares(spec: Pick<TrafficPlanSpec, 'phases' | 'gates' | 'maxDuration' | 'window'> & { alpha?: number | undefined }): GateAlpha {
  const alpha = spec.alpha ?? DEFAULT_ALPHA;
  const gates = spec.gates ?? [];
  const fast = gates.filter((g) => FAIL_FAST_METRICS.has(g.metric) && !g.provider).length;
  const share = fast > 0 ? FAIL_FAST_SHARE : 0;
  const windowMs = goDurationMs(spec.window) ?? 60_000;
  const windows = Math.max(1, Math.ceil((goDurationMs(spec.maxDuration) ?? DEFAULT_HORIZON_MS) / windowMs));
  return {
    step: ((1 - share) * alpha) / (stepsOfPlan(spec) * Math.max(1, gates.length)),
    window: fast > 0 ? (share * alpha) / (windows * fast) : 0,
  };
}

/** The gate's metric measured on one pair of sides. */
export function estimate(gate: GateSpec, pair: ScopeEvidence, provider: ProviderEvidence | undefined): Estimate | NoData {
  const { candidate: c, baseline: b } = pair;
  if (gate.provider) return providerEstimate(provider);
  if (gate.outcome) {
    const o = pair.outcomes?.[gateKey(gate)];
    if (!o) return { kind: 'nodata', reason: `no ${gate.metric} feedback read yet`, samples: { candidate: 0, baseline: 0 } };
    return outcomeEstimate(gate.outcome.aggregate, o, gate.metric, { per: gate.outcome.per });
  }
  if (PAIRED_METRICS.has(gate.metric)) return pairedEstimate(gate.metric, pair.pairs);
  switch (gate.metric) {
    case 'errorRate': return rateEstimate({ s: c.errors, n: c.requests }, { s: b.errors, n: b.requests }, 'requests');
    // 4xx: a candidate that rejects what the baseline answers (a new input schema) fails no server-error gate.
    case 'clientErrorRate': return rateEstimate({ s: c.clientErrors ?? 0, n: c.requests }, { s: b.clientErrors ?? 0, n: b.requests }, 'requests');
    case 'invalidOutputRate': return rateEstimate({ s: c.invalidOutputs, n: c.outputs }, { s: b.invalidOutputs, n: b.outputs }, 'outputs');
    case 'latencyP50Ms': case 'latencyP90Ms': case 'latencyP99Ms': return latencyEstimate(c.latency, b.latency, QUANTILE[gate.metric]!);
    case 'outputPSI': return outputPsiEstimate(c, b);
    case 'classRateDelta': return classRateDeltaEstimate(c, b);
    case 'requests': return requestsEstimate(c, b);
    default: return { kind: 'nodata', reason: `no source for metric ${gate.metric}: give the gate a provider`, samples: { candidate: 0, baseline: 0 } };
  }
}

// An unbounded side (a p99 with too few requests above it) reads ∞, not JavaScript's Infinity.
const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : !Number.isFinite(x) ? (x > 0 ? '∞' : '-∞') : Math.abs(x) >= 100 ? x.toFixed(1) : Number(x.toPrecision(4)).toString());
const shown = (iv: [number, number]) => `[${fmt(iv[0])}, ${fmt(iv[1])}]`;

function describe(check: Check, o: CheckOutcome): string {
  const iv = o.interval ? `${shown(o.interval)} ` : '';
  const detail = o.reason ? `: ${o.reason}` : '';
  if (o.verdict === 'fail') return `${iv}beyond ${check.kind} ${check.fail}${detail}`;
  if (o.verdict === 'pass') return `${iv}within ${check.kind} ${check.pass}${detail}`;
  if (o.verdict === 'nodata') return o.reason ?? 'no data';
  return `${iv}straddles ${check.kind} ${check.pass === check.fail ? check.fail : `${check.pass}–${check.fail}`}${detail}`;
}

const RANK: Record<Verdict, number> = { pass: 0, nodata: 1, inconclusive: 2, error: 3, fail: 4 };

/** The most severe verdict (fail > error > inconclusive > nodata > pass); nodata for none. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return 'nodata';
  return verdicts.reduce((a, v) => (RANK[v] > RANK[a] ? v : a), 'pass' as Verdict);
}

/** Fail-fast: the latest window alone, failures only. */
function windowLook(gate: GateSpec, checks: Check[], pair: ScopeEvidence | undefined, fallbackBaseline: PairEvidence['baseline'], provider: ProviderResult | undefined, alpha: number): GateResult['window'] {
  if (gate.provider) {
    const why = checks.map((c) => infiniteFailure(c, provider)).find((x) => x !== undefined);
    return { ...(provider?.value !== undefined ? { value: provider.value } : {}), samples: provider?.value !== undefined ? 1 : 0, ...(why ? { failed: true, reason: why } : {}) };
  }
  if (!pair) return undefined;
  const withBaseline = pair.baseline.requests > 0 ? pair : { candidate: pair.candidate, baseline: fallbackBaseline };
  const m = estimate(gate, withBaseline, undefined);
  if (m.kind !== 'ok') return { samples: m.samples.candidate };
  const out: NonNullable<GateResult['window']> = { value: m.value, samples: m.samples.candidate };
  if (!FAIL_FAST_METRICS.has(gate.metric) || alpha <= 0) return out;
  for (const c of checks) {
    const o = m.judge(c, alpha / checks.length, false);
    if (o.verdict === 'fail') return { ...out, failed: true, reason: `last window alone: ${describe(c, o)}` };
  }
  return out;
}

function judgeOne(gate: GateSpec, step: ScopeEvidence, provider: ProviderEvidence | undefined, alpha: number): Omit<GateResult, 'gate' | 'metric' | 'threshold'> {
  const m = estimate(gate, step, provider);
  if (m.kind !== 'ok') return { verdict: 'nodata', reason: m.reason, samples: m.samples };
  const checks = checksOf(gate);
  const each = alpha / Math.max(1, checks.length);
  const r: Omit<GateResult, 'gate' | 'metric' | 'threshold'> = { verdict: 'pass', value: m.value, samples: m.samples, alpha: each, reason: '' };
  if (m.baseline !== undefined) r.baseline = m.baseline;
  if (m.comparison) r.delta = m.value;
  else if (m.baseline !== undefined) r.delta = m.value - m.baseline;
  const verdicts: Verdict[] = [];
  const reasons: string[] = [];
  for (const c of checks) {
    const o = m.judge(c, each);
    verdicts.push(o.verdict);
    if (o.verdict !== 'pass' || checks.length === 1) reasons.push(`${describe(c, o)}`);
    if (!o.interval) continue;
    if (m.comparison || isDelta(c.kind) || isRelative(c.kind)) r.deltaInterval ??= o.interval;
    if (m.comparison || !(isDelta(c.kind) || isRelative(c.kind))) r.interval ??= o.interval;
  }
  // Any failing check fails the gate; it passes only when every check passes.
  r.verdict = verdicts.includes('fail') ? 'fail' : verdicts.every((v) => v === 'pass') ? 'pass' : verdicts.includes('inconclusive') ? 'inconclusive' : 'nodata';
  r.reason = r.verdict === 'pass' && checks.length > 1 ? `${fmt(m.value)} within ${thresholdText(gate)}` : reasons.join('; ');
  return r;
}

function resultFor(gate: GateSpec, input: GateInput, alpha: GateAlpha, slices: number, step: ScopeEvidence, window: ScopeEvidence | undefined): GateResult {
  const key = gateKey(gate);
  const base = { gate: key, metric: gate.metric, threshold: thresholdText(gate) };
  if (PAIRED_METRICS.has(gate.metric) && !input.pairsExpected) {
    return { ...base, verdict: 'nodata', skipped: true, samples: { candidate: 0, baseline: 0 }, reason: 'judged only where shadow pairs exist (a shadow phase): not in this phase, so it neither passes nor blocks' };
  }
  const providerError = gate.provider ? input.window?.providers?.[key]?.error : undefined;
  const judged = judgeOne(gate, step, input.step.providers?.[key], alpha.step / slices);
  const r: GateResult = { ...base, ...judged };
  const w = input.window ? windowLook(gate, checksOf(gate), window, step.baseline, input.window.providers?.[key], alpha.window / slices) : undefined;
  if (w) r.window = w;
  if (w?.failed) {
    r.verdict = 'fail';
    r.reason = `${w.reason}; step: ${judged.reason}`;
  } else if (providerError !== undefined) {
    r.verdict = 'error';
    r.reason = `provider failed: ${providerError}`;
  } else if (gate.provider && input.window && !input.window.providers?.[key]) {
    r.verdict = 'error';
    r.reason = `no result from the provider for ${gate.metric}`;
  }
  return r;
}

/**
 * One gate at one look. A bySlice gate is judged per slice value (α split
 * over the values): any failing slice fails it; slices without data are
 * skipped (a rare stratum cannot hold the plan forever) unless every slice
 * lacks data.
 */
export function evaluateGate(gate: GateSpec, input: GateInput, alpha: GateAlpha): GateEvaluation {
  if (!gate.bySlice) {
    const r = resultFor(gate, input, alpha, 1, input.step, input.window);
    return { gate: r.gate, verdict: r.verdict, results: [r], ...(r.skipped ? { skipped: true } : {}) };
  }
  const key = gateKey(gate);
  const outcomeSlices = gate.outcome ? input.step.outcomes?.[key]?.slices : undefined;
  const slices: Record<string, ScopeEvidence> = outcomeSlices
    ? Object.fromEntries(Object.entries(outcomeSlices).map(([v, o]) => [v, { candidate: emptySide(), baseline: emptySide(), outcomes: { [key]: o } }]))
    : (input.step.slices?.[gate.bySlice] ?? {});
  const values = Object.keys(slices).sort();
  const results = values.map((value) => ({
    ...resultFor(gate, input, alpha, values.length, slices[value]!, input.window?.slices?.[gate.bySlice!]?.[value]),
    slice: { name: gate.bySlice!, value },
  }));
  const withData = results.filter((r) => r.verdict !== 'nodata');
  return { gate: gateKey(gate), verdict: withData.length === 0 ? 'nodata' : worstVerdict(withData.map((r) => r.verdict)), results };
}

export interface LookVerdict {
  verdict: Verdict;
  /** Consecutive looks (this one included) with at least one provider error. */
  consecutiveErrors: number;
  errorLimitReached: boolean;
  gates: GateEvaluation[];
}

/**
 * Combines every gate of one look with Argo's rules: a failure wins; an error
 * counts toward the consecutive-error limit and becomes a failure only when the
 * limit is reached; otherwise the worst of inconclusive, nodata, pass. A look
 * whose latest window has no candidate requests is nodata even with no gates,
 * so silence never passes.
 */
export function combineLook(gates: GateEvaluation[], windowCandidateRequests: number, previousErrors: number, options: GateOptions = DEFAULT_GATE_OPTIONS): LookVerdict {
  const verdicts = gates.filter((g) => !g.skipped).map((g) => g.verdict);
  const hasError = verdicts.includes('error');
  const consecutiveErrors = hasError ? previousErrors + 1 : 0;
  const errorLimitReached = hasError && consecutiveErrors >= options.consecutiveErrorLimit;
  let verdict: Verdict;
  if (verdicts.includes('fail') || errorLimitReached) verdict = 'fail';
  else if (hasError) verdict = 'error';
  else if (windowCandidateRequests <= 0) verdict = 'nodata';
  else verdict = verdicts.length === 0 ? 'pass' : worstVerdict(verdicts);
  return { verdict, consecutiveErrors, errorLimitReached, gates };
}

/** Every gate of a plan at one look, combined. */
export function evaluateLook(gates: readonly GateSpec[], input: GateInput, alpha: GateAlpha, previousErrors: number, options: GateOptions = DEFAULT_GATE_OPTIONS): LookVerdict {
  const windowRequests = input.window ? input.window.candidate.requests : input.step.candidate.requests;
  return combineLook(gates.map((g) => evaluateGate(g, input, alpha)), windowRequests, previousErrors, options);
}
