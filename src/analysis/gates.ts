// Gate verdicts for one window, candidate against baseline, with Argo
// Rollouts' five outcomes: pass, fail, inconclusive, nodata, error.
//
// Every built-in metric yields a value with a confidence interval (a point
// when no honest interval exists); a threshold passes only when the whole
// interval is on the right side, fails only when the whole interval is on the
// wrong side, and is inconclusive otherwise. Intervals use one-sided bounds at
// z = 1.645 (each bound 95 %): Wilson score intervals for rates, Newcombe's
// hybrid score interval for differences of rates, order-statistic bounds read
// from the latency sketch for quantiles. docs/plans.md lists the metrics,
// their minimum samples and units.
import { psiCategorical, psiSketch } from './psi.ts';
import type { DDSketch, Quantiles } from './sketch.ts';
import type { WindowStats } from './windows.ts';
import type { TrafficPlanSpec } from '../api/kinds/trafficplan.ts';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'nodata' | 'error';
export type GateSpec = NonNullable<TrafficPlanSpec['gates']>[number];

/** What a gate reads from one side of a window; WindowStats satisfies it. */
export type GateWindow = Pick<WindowStats, 'requests' | 'errors' | 'outputs' | 'invalidOutputs' | 'labels'> & {
  latency: Quantiles;
  latencySketch?: DDSketch | undefined;
  scores?: DDSketch | undefined;
};

export interface SidePair {
  candidate: GateWindow;
  baseline: GateWindow;
}

/** A provider's answer for one gate (keyed by gateKey); error means the query itself failed. */
export interface ProviderResult {
  value?: number;
  baseline?: number;
  error?: string;
}

export interface GateInput extends SidePair {
  /** stratum name → slice value → that slice's windows. */
  slices?: Record<string, Record<string, SidePair>>;
  providers?: Record<string, ProviderResult>;
}

export interface GateOptions {
  /** One-sided normal quantile used for every bound. */
  z: number;
  /** Outputs needed on each side before outputPSI is judged. */
  minPsiOutputs: number;
  /** Labelled outputs needed on each side before classRateDelta is judged. */
  minClassOutputs: number;
  /** Consecutive windows with a provider error before they count as a failure (Argo's default). */
  consecutiveErrorLimit: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = { z: 1.645, minPsiOutputs: 200, minClassOutputs: 30, consecutiveErrorLimit: 4 };

/** The gate set the decision benchmark validates (docs/plans.md, "Defaults"). */
export const RECOMMENDED_GATES: GateSpec[] = [
  { metric: 'errorRate', max: 0.01 },
  { metric: 'latencyP99Ms', max: 500 },
  { metric: 'invalidOutputRate', max: 0.01 },
  { metric: 'outputPSI', max: 0.2 },
  { metric: 'classRateDelta', max: 0.05 },
];

export const OUTPUT_METRICS = new Set(['outputPSI', 'classRateDelta', 'invalidOutputRate', 'reward']);
export const HEALTH_METRICS = new Set(['errorRate', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms', 'requests']);

export interface GateResult {
  gate: string;
  metric: string;
  slice?: { name: string; value: string };
  verdict: Verdict;
  value?: number;
  /** Interval of value; equal ends when the metric has no interval. */
  interval?: [number, number];
  baseline?: number;
  /** candidate − baseline (for comparison metrics the value itself). */
  delta?: number;
  deltaInterval?: [number, number];
  threshold: string;
  samples: { candidate: number; baseline: number };
  reason: string;
}

export interface GateEvaluation {
  gate: string;
  verdict: Verdict;
  /** One result, or one per slice value for bySlice gates. */
  results: GateResult[];
}

type Measure =
  | { kind: 'nodata' | 'error'; reason: string; samples: { candidate: number; baseline: number } }
  | { kind: 'ok'; value: number; interval: [number, number]; baseline?: number; deltaInterval?: [number, number]; comparison?: boolean; samples: { candidate: number; baseline: number } };

/** Stable name of a gate: its name, else its metric (name gates that share a metric). */
export function gateKey(gate: GateSpec): string {
  return gate.name ?? gate.metric;
}

export function thresholdText(gate: GateSpec): string {
  const parts: string[] = [];
  for (const k of ['max', 'min', 'maxDelta', 'minDelta'] as const) if (gate[k] !== undefined) parts.push(`${k} ${gate[k]}`);
  return parts.join(', ');
}

/** Wilson score bounds for successes/n, each bound one-sided at z. */
export function wilson(successes: number, n: number, z: number): [number, number] {
  if (n <= 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** Newcombe's hybrid score interval for p1 − p2 (method 10), built from the two Wilson intervals. */
export function newcombe(x1: number, n1: number, x2: number, n2: number, z: number): [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilson(x1, n1, z);
  const [l2, u2] = wilson(x2, n2, z);
  const d = p1 - p2;
  return [d - Math.hypot(p1 - l1, u2 - p2), d + Math.hypot(u1 - p1, p2 - l2)];
}

function rate(c: number, cn: number, b: number, bn: number, z: number, what: string): Measure {
  const samples = { candidate: cn, baseline: bn };
  if (cn <= 0) return { kind: 'nodata', reason: `no candidate ${what} in the window`, samples };
  const m: Measure = { kind: 'ok', value: c / cn, interval: wilson(c, cn, z), samples };
  if (bn > 0) {
    m.baseline = b / bn;
    m.deltaInterval = newcombe(c, cn, b, bn, z);
  }
  return m;
}

/** Quantile bounds from the sketch: the values at ranks q ∓ z·√(q(1−q)/n) (order-statistic interval). */
function quantileBounds(w: GateWindow, q: number, z: number): [number, number] | undefined {
  const key = q === 0.5 ? 'p50' : q === 0.9 ? 'p90' : 'p99';
  const point = w.latency[key];
  if (point === undefined) return undefined;
  const s = w.latencySketch;
  if (!s || s.count === 0) return [point, point];
  const half = z * Math.sqrt((q * (1 - q)) / s.count);
  return [s.getValueAtQuantile(Math.max(0, q - half)), s.getValueAtQuantile(Math.min(1, q + half))];
}

function latency(p: SidePair, q: number, z: number): Measure {
  const samples = { candidate: p.candidate.requests, baseline: p.baseline.requests };
  // Below 1/(1−q) requests the quantile is just the largest value seen.
  const need = Math.ceil(1 / (1 - q));
  const c = samples.candidate >= need ? quantileBounds(p.candidate, q, z) : undefined;
  if (!c) return { kind: 'nodata', reason: `p${Math.round(q * 100)} needs at least ${need} candidate requests`, samples };
  const key = q === 0.5 ? 'p50' : q === 0.9 ? 'p90' : 'p99';
  const m: Measure = { kind: 'ok', value: p.candidate.latency[key]!, interval: c, samples };
  const b = samples.baseline >= need ? quantileBounds(p.baseline, q, z) : undefined;
  if (b) {
    m.baseline = p.baseline.latency[key]!;
    m.deltaInterval = [c[0] - b[1], c[1] - b[0]];
  }
  return m;
}

function labelTotal(labels: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(labels)) n += v;
  return n;
}

function outputPsi(p: SidePair, o: GateOptions): Measure {
  const cl = labelTotal(p.candidate.labels);
  const bl = labelTotal(p.baseline.labels);
  const useLabels = cl > 0 || bl > 0;
  const cn = useLabels ? cl : (p.candidate.scores?.count ?? 0);
  const bn = useLabels ? bl : (p.baseline.scores?.count ?? 0);
  const samples = { candidate: cn, baseline: bn };
  if (cn < o.minPsiOutputs || bn < o.minPsiOutputs) return { kind: 'nodata', reason: `outputPSI needs ${o.minPsiOutputs} outputs on each side`, samples };
  const psi = useLabels ? psiCategorical(p.baseline.labels, p.candidate.labels) : psiSketch(p.baseline.scores!, p.candidate.scores!);
  if (psi === undefined) return { kind: 'nodata', reason: 'no output distribution on one side', samples };
  return { kind: 'ok', value: psi, interval: [psi, psi], comparison: true, samples };
}

/** Largest absolute difference in class share (a fraction: 0.05 = 5 points) with its interval over all classes. */
function classRateDelta(p: SidePair, o: GateOptions): Measure {
  const cn = labelTotal(p.candidate.labels);
  const bn = labelTotal(p.baseline.labels);
  const samples = { candidate: cn, baseline: bn };
  if (cn < o.minClassOutputs || bn < o.minClassOutputs) return { kind: 'nodata', reason: `classRateDelta needs ${o.minClassOutputs} labelled outputs on each side`, samples };
  let value = 0;
  let lo = 0;
  let hi = 0;
  for (const label of new Set([...Object.keys(p.candidate.labels), ...Object.keys(p.baseline.labels)])) {
    const c = p.candidate.labels[label] ?? 0;
    const b = p.baseline.labels[label] ?? 0;
    const [l, u] = newcombe(c, cn, b, bn, o.z);
    value = Math.max(value, Math.abs(c / cn - b / bn));
    lo = Math.max(lo, l > 0 ? l : u < 0 ? -u : 0);
    hi = Math.max(hi, Math.abs(l), Math.abs(u));
  }
  return { kind: 'ok', value, interval: [lo, hi], comparison: true, samples };
}

function provided(gate: GateSpec, r: ProviderResult | undefined): Measure {
  const samples = { candidate: 0, baseline: 0 };
  if (!r) return { kind: 'error', reason: `no result from the ${gate.provider ? 'provider' : 'metric source'} for ${gate.metric}`, samples };
  if (r.error !== undefined) return { kind: 'error', reason: `provider failed: ${r.error}`, samples };
  // NaN is "no value"; ±Infinity is a value (a histogram_quantile past the last bucket) and must be able to fail.
  if (r.value === undefined || Number.isNaN(r.value)) return { kind: 'nodata', reason: 'the provider returned no value', samples };
  const m: Measure = { kind: 'ok', value: r.value, interval: [r.value, r.value], samples };
  if (r.baseline !== undefined && !Number.isNaN(r.baseline)) {
    m.baseline = r.baseline;
    m.deltaInterval = [r.value - r.baseline, r.value - r.baseline];
  }
  return m;
}

function measure(gate: GateSpec, p: SidePair, providers: GateInput['providers'], o: GateOptions): Measure {
  if (gate.provider) return provided(gate, providers?.[gateKey(gate)]);
  const c = p.candidate;
  const b = p.baseline;
  if (c.requests <= 0 && gate.metric !== 'requests') return { kind: 'nodata', reason: 'no candidate requests in the window', samples: { candidate: 0, baseline: b.requests } };
  switch (gate.metric) {
    case 'errorRate': return rate(c.errors, c.requests, b.errors, b.requests, o.z, 'requests');
    case 'invalidOutputRate': return rate(c.invalidOutputs, c.outputs, b.invalidOutputs, b.outputs, o.z, 'outputs');
    case 'latencyP50Ms': return latency(p, 0.5, o.z);
    case 'latencyP90Ms': return latency(p, 0.9, o.z);
    case 'latencyP99Ms': return latency(p, 0.99, o.z);
    case 'outputPSI': return outputPsi(p, o);
    case 'classRateDelta': return classRateDelta(p, o);
    case 'requests': {
      const samples = { candidate: c.requests, baseline: b.requests };
      return { kind: 'ok', value: c.requests, interval: [c.requests, c.requests], baseline: b.requests, deltaInterval: [c.requests - b.requests, c.requests - b.requests], samples };
    }
    default: return provided(gate, providers?.[gateKey(gate)]);
  }
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : Number(x.toPrecision(4)).toString());

/** Applies every threshold to its interval: fail if any is surely crossed, pass if all surely hold. */
function judge(gate: GateSpec, m: Extract<Measure, { kind: 'ok' }>): { verdict: Verdict; reason: string } {
  const delta = m.comparison ? m.interval : m.deltaInterval;
  const checks: Array<{ name: string; bound: number; iv: [number, number] | undefined; upper: boolean }> = [
    { name: 'max', bound: gate.max!, iv: m.interval, upper: true },
    { name: 'min', bound: gate.min!, iv: m.interval, upper: false },
    { name: 'maxDelta', bound: gate.maxDelta!, iv: delta, upper: true },
    { name: 'minDelta', bound: gate.minDelta!, iv: delta, upper: false },
  ].filter((c) => gate[c.name as 'max'] !== undefined);
  const undecided: string[] = [];
  for (const c of checks) {
    if (!c.iv) return { verdict: 'nodata', reason: `${c.name} needs baseline data` };
    const [lo, hi] = c.iv;
    const shown = `[${fmt(lo)}, ${fmt(hi)}]`;
    if (c.upper ? lo > c.bound : hi < c.bound) return { verdict: 'fail', reason: `${shown} ${c.upper ? '>' : '<'} ${c.name} ${c.bound}` };
    if (c.upper ? hi > c.bound : lo < c.bound) undecided.push(`${shown} straddles ${c.name} ${c.bound}`);
  }
  if (undecided.length > 0) return { verdict: 'inconclusive', reason: undecided.join('; ') };
  return { verdict: 'pass', reason: `${fmt(m.value)} within ${thresholdText(gate)}` };
}

function evaluateOne(gate: GateSpec, p: SidePair, providers: GateInput['providers'], o: GateOptions): GateResult {
  const m = measure(gate, p, providers, o);
  const base = { gate: gateKey(gate), metric: gate.metric, threshold: thresholdText(gate), samples: m.samples };
  if (m.kind !== 'ok') return { ...base, verdict: m.kind, reason: m.reason };
  const { verdict, reason } = judge(gate, m);
  const r: GateResult = { ...base, verdict, reason, value: m.value, interval: m.interval };
  if (m.comparison) {
    r.delta = m.value;
    r.deltaInterval = m.interval;
  } else if (m.baseline !== undefined) {
    r.baseline = m.baseline;
    r.delta = m.value - m.baseline;
    r.deltaInterval = m.deltaInterval!;
  }
  return r;
}

const RANK: Record<Verdict, number> = { pass: 0, nodata: 1, inconclusive: 2, error: 3, fail: 4 };

/** The most severe verdict (fail > error > inconclusive > nodata > pass); nodata for none. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return 'nodata';
  return verdicts.reduce((a, v) => (RANK[v] > RANK[a] ? v : a), 'pass' as Verdict);
}

/**
 * One gate over one window. A bySlice gate is judged per slice value: any failing
 * slice fails it; slices without data are skipped (a rare stratum cannot hold
 * the plan forever) unless every slice lacks data.
 */
export function evaluateGate(gate: GateSpec, input: GateInput, options: GateOptions = DEFAULT_GATE_OPTIONS): GateEvaluation {
  if (!gate.bySlice) {
    const r = evaluateOne(gate, input, input.providers, options);
    return { gate: r.gate, verdict: r.verdict, results: [r] };
  }
  const slices = input.slices?.[gate.bySlice] ?? {};
  const results = Object.entries(slices).map(([value, pair]) => ({ ...evaluateOne(gate, pair, input.providers, options), slice: { name: gate.bySlice!, value } }));
  const withData = results.filter((r) => r.verdict !== 'nodata');
  return { gate: gateKey(gate), verdict: withData.length === 0 ? 'nodata' : worstVerdict(withData.map((r) => r.verdict)), results };
}

export interface WindowVerdict {
  verdict: Verdict;
  /** Consecutive windows (this one included) with at least one provider error. */
  consecutiveErrors: number;
  errorLimitReached: boolean;
  gates: GateEvaluation[];
}

/**
 * Combines every gate of one window with Argo's rules: a failure wins; an error
 * counts toward the consecutive-error limit and becomes a failure only when the
 * limit is reached; otherwise the worst of inconclusive, nodata, pass. A window
 * without candidate requests is nodata even with no gates, so silence never passes.
 */
export function combineWindow(gates: GateEvaluation[], candidateRequests: number, previousErrors: number, options: GateOptions = DEFAULT_GATE_OPTIONS): WindowVerdict {
  const verdicts = gates.map((g) => g.verdict);
  const hasError = verdicts.includes('error');
  const consecutiveErrors = hasError ? previousErrors + 1 : 0;
  const errorLimitReached = hasError && consecutiveErrors >= options.consecutiveErrorLimit;
  let verdict: Verdict;
  if (verdicts.includes('fail') || errorLimitReached) verdict = 'fail';
  else if (hasError) verdict = 'error';
  else if (candidateRequests <= 0) verdict = 'nodata';
  else verdict = verdicts.length === 0 ? 'pass' : worstVerdict(verdicts);
  return { verdict, consecutiveErrors, errorLimitReached, gates };
}

/** Every gate of a plan over one window, combined. */
export function evaluateWindow(gates: readonly GateSpec[], input: GateInput, previousErrors: number, options: GateOptions = DEFAULT_GATE_OPTIONS): WindowVerdict {
  return combineWindow(gates.map((g) => evaluateGate(g, input, options)), input.candidate.requests, previousErrors, options);
}
