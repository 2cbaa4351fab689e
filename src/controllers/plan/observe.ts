// Turns the gateway's telemetry into the one closed window the step logic
// judges: candidate and baseline over the same [from, to), per-stratum
// slices for bySlice gates, and provider answers for provider gates.
import type { ArmRewards } from '../../store/outcomes.ts';
import type { TrafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import type { GateSpec, ProviderResult } from '../../analysis/gates.ts';
import type { WindowStats } from '../../analysis/windows.ts';
import { emptySide, sideFromWindow, type PairEvidence, type SideEvidence } from '../../analysis/evidence.ts';
import type { PairInput } from '../../analysis/pairs.ts';
import type { OutcomeRead } from '../../analysis/step-evidence.ts';
import { PRIMARY_OUTCOME } from '../../analysis/gates.ts';
import { optionalDurationMs } from '../../core/duration.ts';
import type { PlanState, WindowObservation } from './state.ts';
import type { SeriesFilter, TargetView } from './target.ts';

/** Reads merged telemetry of the series matching `filter` (and `slice`) over [fromMs, toMs): in process, or from a metrics backend (a promise). */
export type WindowReader = (q: SeriesFilter & { slice?: Record<string, string>; fromMs: number; toMs: number }) => WindowStats | Promise<WindowStats>;
/** Distinct values of one stratum seen for a service. */
export type SliceLister = (q: { namespace: string; service: string; stratum: string }) => string[];

export interface ProviderContext {
  namespace: string;
  service: string;
  candidateRevision?: string;
  baselineRevision?: string;
  windowMs: number;
  /** End of the window (epoch ms): the instant queries are evaluated at. */
  atMs: number;
}
/** Answers provider-backed gates, keyed by gateKey; never throws (failures are `error` results). */
export type ProviderReader = (gates: GateSpec[], ctx: ProviderContext) => Promise<Record<string, ProviderResult>>;

/** Responses still in flight when a window closes are recorded a little later: wait this long before reading it. */
export const WINDOW_GRACE_MS = 300;
/** How far back a silent baseline is read for its reference distribution, in windows. */
export const REFERENCE_WINDOWS = 10;
/** At most this many windows are read as one look when the controller fell behind (or restarted). */
export const MAX_CATCH_UP_WINDOWS = 10;

/**
 * The closed windows not yet judged, as one span [fromMs, toMs): from the
 * end of the last judged window (at most MAX_CATCH_UP_WINDOWS back) to the
 * latest window boundary; undefined when there is none.
 */
export function nextWindow(state: PlanState, windowMs: number, now: number): { fromMs: number; toMs: number } | undefined {
  if (state.startedAt === undefined || (state.phase !== 'Progressing' && state.phase !== 'Paused')) return undefined;
  const toMs = Math.floor((now - WINDOW_GRACE_MS) / windowMs) * windowMs;
  if (toMs <= state.startedAt || (state.lastWindowEnd !== undefined && toMs <= state.lastWindowEnd)) return undefined;
  const oldest = toMs - MAX_CATCH_UP_WINDOWS * windowMs;
  return { fromMs: Math.max(state.lastWindowEnd ?? toMs - windowMs, oldest), toMs };
}

/** Shadow answers of `revision` read after `after` (the prediction log's cursor), each joined with the primary answer to the same request. */
export type PairReader = (q: { namespace: string; service: string; revision: string; after: number; beforeMs: number }) => { pairs: PairInput[]; cursor: number };

/** Shadow answers younger than this are left for the next look, so their primary answers have been written too. */
export const PAIR_GRACE_MS = 2000;

/** Outcome totals per arm from the feedback joined to predictions (src/store/outcomes.ts). */
export type OutcomeReader = (q: {
  namespace: string; service: string; baselineRevision: string; candidateRevision: string; metric: string; denominator?: string;
  per: 'unit' | 'request'; fromMs: number; toMs: number; attributionMs: number; stratum?: string;
  /** An A/B test: count from the candidate's first answer (src/store/outcomes.ts). */
  fromCandidateStart?: boolean;
}) => OutcomeRead | Promise<OutcomeRead>;

/** Feedback counts once its prediction is older than this, unless the plan says otherwise. */
export const DEFAULT_ATTRIBUTION_MS = 24 * 3_600_000;

/** Rewards per bandit arm since the phase began (src/store/outcomes.ts readArmRewards). */
export type ArmRewardReader = (q: {
  arms: Array<{ namespace: string; service: string; revision?: string; variant?: string }>; route?: string; metric: string; fromMs: number; min?: number; max?: number;
  /** Binary rewards: assignments older than this at toMs with no reward count as 0. */
  zeroAfterMs?: number; toMs?: number;
}) => ArmRewards[];

export interface ObserveDeps {
  readWindow: WindowReader;
  listSlices?: SliceLister;
  providers?: ProviderReader;
  readPairs?: PairReader;
  readOutcomes?: OutcomeReader;
  readArmRewards?: ArmRewardReader;
  /** Reward events that joined no prediction (src/store/outcomes.ts countUnmatchedRewards). */
  countUnmatchedRewards?: (q: { namespace: string; metric: string; fromMs: number }) => number;
}

export async function observeWindow(
  spec: Pick<TrafficPlanSpec, 'gates' | 'cohorts' | 'phases'>, view: TargetView, span: { fromMs: number; toMs: number }, deps: ObserveDeps, state?: PlanState, now = span.toMs,
): Promise<WindowObservation> {
  // In a shadow phase the candidate answers copies only: its telemetry is the mirror series.
  const shadow = state !== undefined && spec.phases[state.phaseIndex]?.shadow !== undefined;
  const candidate = view.candidate && shadow ? { ...view.candidate, role: 'mirror' as const } : view.candidate;
  const side = async (f: SeriesFilter | undefined, slice?: Record<string, string>): Promise<SideEvidence> =>
    f ? sideFromWindow(await deps.readWindow({ ...f, ...(slice ? { slice } : {}), ...span })) : emptySide();
  const obs: WindowObservation = { ...span, candidate: await side(candidate), baseline: await side(view.baseline) };
  if (shadow && deps.readPairs && view.candidate?.revision) {
    const read = deps.readPairs({ namespace: view.candidate.namespace, service: view.candidate.service, revision: view.candidate.revision, after: state?.pairsCursor ?? 0, beforeMs: now - PAIR_GRACE_MS });
    obs.shadowPairs = read.pairs;
    obs.pairsCursor = read.cursor;
  }
  // A step in which the baseline serves nothing (100 %, or a plan that starts there) compares the
  // candidate with the baseline's last REFERENCE_WINDOWS windows before the step began.
  const stepStart = state?.stepStartedAt;
  if (obs.baseline.requests === 0 && view.baseline && stepStart !== undefined && (state?.evidence?.baseline.requests ?? 0) === 0) {
    const windowMs = span.toMs - span.fromMs;
    obs.reference = sideFromWindow(await deps.readWindow({ ...view.baseline, fromMs: stepStart - REFERENCE_WINDOWS * windowMs, toMs: stepStart }));
  }
  const gates = spec.gates ?? [];
  const strata = [...new Set(gates.flatMap((g) => (g.bySlice ? [g.bySlice] : [])))];
  const base = view.baseline ?? view.candidate;
  if (strata.length > 0 && base && deps.listSlices) {
    const slices: Record<string, Record<string, PairEvidence>> = {};
    for (const stratum of strata) {
      slices[stratum] = {};
      for (const value of deps.listSlices({ namespace: base.namespace, service: base.service, stratum })) {
        slices[stratum][value] = { candidate: await side(candidate, { [stratum]: value }), baseline: await side(view.baseline, { [stratum]: value }) };
      }
    }
    obs.slices = slices;
  }
  const outcomes = await readOutcomes(spec, view, span, deps, state);
  if (outcomes) obs.outcomes = outcomes;
  const arms = await readArms(spec, view, span, deps, state);
  if (arms) obs.arms = arms;
  const unmatched = arms ? readUnmatched(spec, view.arms?.[0]?.filter.namespace ?? '', deps, state) : undefined;
  if (unmatched !== undefined) obs.unmatchedRewards = unmatched;
  const providerGates = gates.filter((g) => g.provider);
  if (providerGates.length > 0 && base) {
    if (!deps.providers) {
      obs.providers = Object.fromEntries(providerGates.map((g) => [g.name ?? g.metric, { error: 'no metrics provider is configured' }]));
    } else {
      obs.providers = await deps.providers(providerGates, {
        namespace: base.namespace, service: base.service, windowMs: span.toMs - span.fromMs, atMs: span.toMs,
        ...(view.candidate?.revision ? { candidateRevision: view.candidate.revision } : {}),
        ...(view.baseline?.revision ? { baselineRevision: view.baseline.revision } : {}),
      });
    }
  }
  return obs;
}

/** Outcome totals since the step began for every outcome gate, and for an abTest's primary metric. */
async function readOutcomes(spec: Pick<TrafficPlanSpec, 'gates' | 'phases'>, view: TargetView, span: { toMs: number }, deps: ObserveDeps, state: PlanState | undefined): Promise<Record<string, OutcomeRead> | undefined> {
  const c = view.candidate;
  const b = view.baseline;
  if (!deps.readOutcomes || !state || state.stepStartedAt === undefined || !c?.revision || !b?.revision) return undefined;
  // An A/B test counts from the candidate's first answer: its split is in force from then (outcomes.ts).
  const inAbTest = spec.phases[state.phaseIndex]?.abTest !== undefined;
  type Outcome = NonNullable<NonNullable<TrafficPlanSpec['gates']>[number]['outcome']>;
  const wanted: Array<[string, string, Outcome, string | undefined]> = (spec.gates ?? []).flatMap((g) => (g.outcome ? [[g.name ?? g.metric, g.metric, g.outcome, g.bySlice] as [string, string, Outcome, string | undefined]] : []));
  const primary = spec.phases[state.phaseIndex]?.abTest?.primary;
  if (primary) wanted.push([PRIMARY_OUTCOME, primary.metric, primary.outcome, undefined]);
  if (wanted.length === 0) return undefined;
  const out: Record<string, OutcomeRead> = {};
  for (const [key, metric, o, stratum] of wanted) {
    out[key] = await deps.readOutcomes({
      namespace: c.namespace, service: c.service, baselineRevision: b.revision, candidateRevision: c.revision, metric, per: o.per,
      fromMs: state.stepStartedAt, toMs: span.toMs, ...(inAbTest ? { fromCandidateStart: true } : {}), attributionMs: optionalDurationMs(o.attributionWindow) ?? DEFAULT_ATTRIBUTION_MS,
      ...(o.denominator ? { denominator: o.denominator } : {}), ...(stratum ? { stratum } : {}),
    });
  }
  return out;
}

/** A bandit's arms: each arm's telemetry in this window and its rewards since the phase began. */
async function readArms(spec: Pick<TrafficPlanSpec, 'phases'>, view: TargetView, span: { fromMs: number; toMs: number }, deps: ObserveDeps, state: PlanState | undefined): Promise<WindowObservation['arms']> {
  const b = state ? spec.phases[state.phaseIndex]?.bandit : undefined;
  if (!b || !view.arms || !deps.readArmRewards || state?.stepStartedAt === undefined) return undefined;
  const declared = typeof b.reward === 'object' ? b.reward : { metric: b.reward ?? 'reward', kind: 'binary' as const, min: undefined, max: undefined };
  // A binary reward's range is [0, 1] unless declared otherwise: a click of 7 is a broken pipeline, not a great arm.
  const reward = declared.kind === 'binary' ? { ...declared, min: declared.min ?? 0, max: declared.max ?? 1 } : declared;
  const readings = deps.readArmRewards({
    arms: view.arms.map((a) => ({ namespace: a.filter.namespace, service: a.filter.service, ...(a.filter.revision ? { revision: a.filter.revision } : {}), ...(a.filter.variant ? { variant: a.filter.variant } : {}) })),
    ...(view.arms[0]?.filter.route ? { route: view.arms[0].filter.route } : {}),
    metric: reward.metric, fromMs: state.stepStartedAt,
    ...(reward.min !== undefined ? { min: reward.min } : {}), ...(reward.max !== undefined ? { max: reward.max } : {}),
    ...('zeroAfter' in reward && reward.zeroAfter !== undefined ? { zeroAfterMs: optionalDurationMs(reward.zeroAfter), toMs: span.toMs } : {}),
  });
  const windows = await Promise.all(view.arms.map((a) => deps.readWindow({ ...a.filter, ...span })));
  return view.arms.map((a, i) => ({ name: a.name, fallback: a.fallback, window: sideFromWindow(windows[i]!), reading: readings[i]! }));
}

/** Reward events of the bandit's metric that joined no prediction since the phase began. */
function readUnmatched(spec: Pick<TrafficPlanSpec, 'phases'>, namespace: string, deps: ObserveDeps, state: PlanState | undefined): number | undefined {
  const b = state ? spec.phases[state.phaseIndex]?.bandit : undefined;
  if (!b || !deps.countUnmatchedRewards || state?.stepStartedAt === undefined) return undefined;
  return deps.countUnmatchedRewards({ namespace, metric: typeof b.reward === 'object' ? b.reward.metric : (b.reward ?? 'reward'), fromMs: state.stepStartedAt });
}
