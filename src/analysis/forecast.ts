// When will a gate decide? The step's evidence is scaled up (every count × k:
// the same rates with k times the data) until the gate passes or fails; the
// smallest such k says how many more candidate requests the decision needs
// at the rates observed so far. Before a plan runs, the same search on the
// evidence of a clean candidate equal to its baseline predicts what each
// step needs (`switchyard lint --rps`, `plan cost`).
import { emptySide, scaleSide, type SideEvidence } from './evidence.ts';
import { checksOf, evaluateGate, type GateAlpha, type GateInput, type GateSpec, type ScopeEvidence } from './gates.ts';
import { PAIRED_METRICS } from './gate-pairs.ts';
import type { PairTally } from './pairs.ts';
import type { ArmOutcome, OutcomePair } from './outcomes.ts';
import { unitsPerArm } from './abtest.ts';
import type { ProviderEvidence } from './gate-providers.ts';
import { banditStopRule, type BanditPhaseSpec, type TrafficPlanSpec } from '../api/kinds/trafficplan.ts';
import { optionalDurationMs } from '../core/duration.ts';

/** Beyond this many times the evidence so far, a gate is taken not to decide at the rates observed. */
const MAX_SCALE = 1 << 16;

export interface GateForecast {
  gate: string;
  slice?: string;
  /** More candidate requests the gate needs to decide (0: decided); undefined: it will not decide at these rates. */
  moreRequests?: number;
  /** How it would decide. */
  toward?: 'pass' | 'fail';
  /** It has no data to extrapolate from yet (no candidate requests, pairs, or outputs on a side): it waits, it is not stuck. */
  waiting?: true;
  reason: string;
}

function scaleTally(t: PairTally, k: number): PairTally {
  const n = (x: number) => x * k;
  const atoms = (a: PairTally['scoreDeltas']) => a.map(([v, c]): [number, number] => [v, c * k]);
  return {
    ...t, pairs: n(t.pairs), candidateErrors: n(t.candidateErrors), baselineErrors: n(t.baselineErrors), compared: n(t.compared), labelled: n(t.labelled),
    agree: n(t.agree), invalid: n(t.invalid), incomparable: n(t.incomparable), unpaired: n(t.unpaired), scoreDeltas: atoms(t.scoreDeltas), latencyDeltas: atoms(t.latencyDeltas),
  };
}

// Every total of an arm's outcomes grows with its units; the per-unit moments stay.
function scaleArm(a: ArmOutcome, k: number): ArmOutcome {
  return Object.fromEntries(Object.entries(a).map(([f, v]) => [f, v * k])) as unknown as ArmOutcome;
}

function scaleOutcomes(o: NonNullable<ScopeEvidence['outcomes']>, k: number): NonNullable<ScopeEvidence['outcomes']> {
  const pair = (p: OutcomePair): OutcomePair => ({ candidate: scaleArm(p.candidate, k), baseline: scaleArm(p.baseline, k) });
  return Object.fromEntries(Object.entries(o).map(([key, p]) => [key, {
    ...pair(p), ...(p.slices ? { slices: Object.fromEntries(Object.entries(p.slices).map(([v, s]) => [v, pair(s)])) } : {}),
  }]));
}

function scalePair(p: ScopeEvidence, k: number): ScopeEvidence {
  const out: ScopeEvidence = { candidate: scaleSide(p.candidate, k), baseline: scaleSide(p.baseline, k) };
  if (p.pairs) out.pairs = scaleTally(p.pairs, k);
  if (p.outcomes) out.outcomes = scaleOutcomes(p.outcomes, k);
  return out;
}

function scaleProvider(e: ProviderEvidence, k: number): ProviderEvidence {
  if (e.kind === 'counts') {
    return { kind: 'counts', candidate: { events: e.candidate.events * k, total: e.candidate.total * k }, baseline: { events: e.baseline.events * k, total: e.baseline.total * k } };
  }
  const m = (x: { n: number; mean: number; m2: number }) => ({ n: x.n * k, mean: x.mean, m2: x.m2 * k });
  return { kind: 'values', value: m(e.value), delta: m(e.delta), relative: m(e.relative) };
}

function scaled(step: GateInput['step'], k: number): GateInput['step'] {
  const out: GateInput['step'] = scalePair(step, k);
  if (step.slices) {
    out.slices = Object.fromEntries(Object.entries(step.slices).map(([s, values]) => [s, Object.fromEntries(Object.entries(values).map(([v, p]) => [v, scalePair(p, k)]))]));
  }
  if (step.providers) out.providers = Object.fromEntries(Object.entries(step.providers).map(([g, e]) => [g, scaleProvider(e, k)]));
  return out;
}

const decided = (v: string) => v === 'pass' || v === 'fail';

/** The smallest scale k ≥ 1 at which the gate decides on the step's evidence; undefined when not within MAX_SCALE. */
function scaleToDecide(gate: GateSpec, step: GateInput['step'], alpha: GateAlpha, pairsExpected: boolean): { k: number; toward: 'pass' | 'fail' } | { nodata: string } | undefined {
  const at = (k: number) => evaluateGate(gate, { step: k === 1 ? step : scaled(step, k), pairsExpected }, alpha).verdict;
  const now = at(1);
  if (decided(now)) return { k: 1, toward: now as 'pass' | 'fail' };
  if (now === 'nodata') return { nodata: evaluateGate(gate, { step, pairsExpected }, alpha).results[0]?.reason ?? 'no data' };
  let lo = 1;
  let hi = 2;
  let v = at(hi);
  while (!decided(v)) {
    if (hi >= MAX_SCALE) return undefined;
    lo = hi;
    hi *= 2;
    v = at(hi);
  }
  // A dozen halvings pin k to within 0.03 % of the bracket.
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    const m = at(mid);
    if (decided(m)) {
      hi = mid;
      v = m;
    } else lo = mid;
  }
  return { k: hi, toward: v as 'pass' | 'fail' };
}

/**
 * Per gate: how many more candidate requests (in a shadow, pairs) it needs to
 * decide at the rates the step has seen. Paired gates outside a shadow are
 * not judged, so they are left out.
 */
export function forecastGates(gates: readonly GateSpec[], step: GateInput['step'], alpha: GateAlpha, pairsExpected = false): GateForecast[] {
  const n = pairsExpected ? (step.pairs?.pairs ?? 0) : step.candidate.requests;
  return gates.filter((g) => pairsExpected || !PAIRED_METRICS.has(g.metric)).map((gate) => {
    const key = gate.name ?? gate.metric;
    if (n <= 0 && !gate.provider) return { gate: key, waiting: true, reason: pairsExpected ? 'no shadow pairs yet: nothing to extrapolate from' : 'no candidate requests yet: nothing to extrapolate from' };
    const r = scaleToDecide(gate, step, alpha, pairsExpected);
    if (!r) return { gate: key, reason: 'the value sits on its threshold: more evidence at these rates will not decide it' };
    if ('nodata' in r) return { gate: key, waiting: true, reason: r.nodata };
    const more = Math.ceil(n * (r.k - 1));
    return { gate: key, moreRequests: more, toward: r.toward, reason: more === 0 ? `decided: ${r.toward}` : `about ${more} more candidate requests to ${r.toward}` };
  });
}

/** A clean candidate equal to its baseline: no errors, no invalid outputs, latencies far under any threshold, two equally likely labels. */
function cleanSide(n: number): SideEvidence {
  return { ...emptySide(), requests: n, outputs: n, labels: { a: n / 2, b: n / 2 }, latency: [[1, n]] };
}

/** n pairs of a candidate equal to its baseline: every label agrees, no failure, no extra latency or score difference. */
function cleanPairs(n: number): PairTally {
  return {
    pairs: n, candidateErrors: 0, baselineErrors: 0, compared: n, labelled: n, agree: n, invalid: 0, incomparable: 0, unpaired: 0,
    scoreDeltas: [[0, n]], latencyDeltas: [[0, n]], confusion: {}, byOutput: {},
  };
}

export interface StepForecast {
  phaseIndex: number;
  stepIndex: number;
  percent: number;
  /** What the step is when a percent does not say it (a bandit allocates by itself). */
  label?: string;
  /** Candidate requests until every gate passes (the slowest gate), and that gate. */
  requests?: number;
  slowest?: string;
  /** At `rps` requests per second in total; undefined without a rate. */
  seconds?: number;
  gates: GateForecast[];
}

/**
 * What each step needs before its gates can pass for a clean candidate, at
 * the plan's α shares. Provider gates cannot be predicted (their values are
 * unknown before the plan runs) and are left out.
 */
export function forecastPlan(spec: Pick<TrafficPlanSpec, 'phases' | 'gates' | 'maxDuration' | 'window'> & { alpha?: number | undefined; target?: TrafficPlanSpec['target'] }, alpha: GateAlpha, rps?: number): StepForecast[] {
  const gates = (spec.gates ?? []).filter((g) => !g.provider && !g.bySlice && checksOf(g).length > 0);
  const out: StepForecast[] = [];
  spec.phases.forEach((ph, phaseIndex) => {
    if (ph.abTest) {
      // An A/B test lasts until both arms have the design's units (one new unit per request: the fastest it can go).
      const ab = ph.abTest;
      const size = unitsPerArm({ alpha: ab.alpha ?? 0.05, power: ab.power ?? 0.8, ...(ab.minRequestsPerArm !== undefined ? { unitsPerArm: ab.minRequestsPerArm } : {}), ...(ab.baselineRate !== undefined ? { baselineRate: ab.baselineRate } : {}), ...(ab.minDetectableEffect !== undefined ? { minDetectableEffect: ab.minDetectableEffect } : {}) });
      const share = Math.min(ab.percent ?? 50, 100 - (ab.percent ?? 50));
      out.push({
        phaseIndex, stepIndex: 0, percent: ab.percent ?? 50, gates: [], slowest: `${ab.primary?.metric ?? 'primary'} (units per arm)`,
        ...(size !== undefined ? { requests: size } : {}), ...(size !== undefined && rps ? { seconds: size / ((rps * share) / 100) } : {}),
      });
      return;
    }
    if (ph.bandit) {
      out.push(banditForecast(ph.bandit, spec.target?.inferenceService !== undefined, phaseIndex, rps, gates, alpha));
      return;
    }
    const percents = ph.canary ? ph.canary.steps : [ph.shadow?.percent ?? 100];
    percents.forEach((percent, stepIndex) => {
      const base = 10;
      // A shadow copies `percent` of all requests while the baseline answers all of them.
      const shadow = ph.shadow !== undefined;
      // At 100 % the baseline is the reference from the step before: as much evidence as the candidate's.
      const baseline = shadow ? (base * 100) / percent : percent >= 100 ? base : (base * (100 - percent)) / percent;
      const step: GateInput['step'] = { candidate: cleanSide(base), baseline: cleanSide(baseline), ...(shadow ? { pairs: cleanPairs(base) } : {}) };
      const floor = ph.shadow?.exit?.pairedRequests ?? 0;
      const forecasts = forecastGates(gates, step, alpha, shadow).map((f) => (f.moreRequests === undefined ? f : { ...f, moreRequests: Math.max(floor, Math.ceil(base + f.moreRequests)) }));
      const need = forecasts.map((f) => f.moreRequests ?? Infinity);
      const worst = need.length > 0 ? Math.max(...need) : 0;
      const slowest = forecasts[need.indexOf(worst)]?.gate;
      const s: StepForecast = { phaseIndex, stepIndex, percent, gates: forecasts };
      if (Number.isFinite(worst)) s.requests = worst;
      if (slowest) s.slowest = slowest;
      // A blue/green preview is judged on what is sent to its tag host, not on a share of the live rate: no time.
      if (ph.blueGreen) s.label = 'preview';
      else if (rps !== undefined && rps > 0 && Number.isFinite(worst)) s.seconds = worst / ((rps * percent) / 100);
      out.push(s);
    });
  });
  return out;
}

/**
 * A bandit stops no sooner than stop.minRewards rewards on every arm; each assignment earns one
 * reward (its 0 included, zeroAfter after it), and the arm it promotes must also pass the plan's
 * gates against the fallback arm on its own requests. At equal shares that is arms × the larger of
 * the two per arm, and zeroAfter more. The arms of a route are its destinations, which lint does
 * not read: without `arms` the count is per arm.
 */
function banditForecast(b: BanditPhaseSpec, onInferenceService: boolean, phaseIndex: number, rps: number | undefined, gates: readonly GateSpec[], alpha: GateAlpha): StepForecast {
  const { minRewards } = banditStopRule(b);
  const arms = b.arms?.length ?? (onInferenceService ? 2 : undefined);
  const reward = typeof b.reward === 'object' ? b.reward : { metric: b.reward ?? 'reward', zeroAfter: undefined };
  const waitS = ('zeroAfter' in reward ? (optionalDurationMs(reward.zeroAfter) ?? 0) : 0) / 1000;
  // An arm against the fallback arm, each with as many requests (equal shares).
  const base = 10;
  const forecasts = forecastGates(gates, { candidate: cleanSide(base), baseline: cleanSide(base) }, alpha, false)
    .map((f) => (f.moreRequests === undefined ? f : { ...f, moreRequests: Math.ceil(base + f.moreRequests) }));
  const gate = forecasts.reduce<GateForecast | undefined>((a, f) => ((f.moreRequests ?? Infinity) > (a?.moreRequests ?? -1) ? f : a), undefined);
  const gateNeed = gate?.moreRequests ?? 0;
  const perArm = Math.max(minRewards, gateNeed);
  const slowest = gate && gateNeed > minRewards ? `${gate.gate} (on each arm before it is promoted)` : `${reward.metric}: ${minRewards} rewards per arm (stop rule)`;
  return {
    phaseIndex, stepIndex: 0, percent: arms ? Math.round(100 / arms) : 0, label: 'bandit', gates: forecasts,
    requests: arms ? arms * perArm : perArm,
    slowest: `${slowest}${arms ? '' : ', × the route\'s arms'}`,
    ...(arms && rps ? { seconds: (arms * perArm) / rps + waitS } : {}),
  };
}
