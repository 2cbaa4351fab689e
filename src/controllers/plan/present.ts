// The plan's status as users read it (`kubectl get tp`, `switchyard plan
// status`): phase, step, live split, each gate against its threshold, the
// step's progress, conditions — plus the stored state the controller
// resumes from after a restart.
import { optionalDurationMs as goMs } from '../../core/duration.ts';
import type { TrafficPlanSpec, TrafficPlanStatus } from '../../api/kinds/trafficplan.ts';
import { TERMINAL_PHASES, holdOf, phaseKind, type PlanState, type Transition } from './state.ts';
import type { TargetMemo, TargetView } from './target.ts';

/** What status.state holds: the step machine's state and the target memo. */
export interface StoredState {
  plan: PlanState;
  target: TargetMemo;
  /** A terminal plan's last split was written to the target. */
  settled?: boolean;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function conditions(state: PlanState, previous: TrafficPlanStatus['conditions'], last: Transition | undefined, now: number) {
  const terminal = TERMINAL_PHASES.has(state.phase);
  const reason = (cause: string) => cause.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
  const bool = (b: boolean): 'True' | 'False' => (b ? 'True' : 'False');
  const want = [
    { type: 'Progressing', status: bool(state.phase === 'Progressing'), reason: reason(last?.cause ?? state.phase) },
    { type: 'Paused', status: bool(state.phase === 'Paused'), reason: state.phase === 'Paused' ? reason(last?.cause ?? 'Paused') : 'NotPaused' },
    { type: 'Completed', status: bool(terminal), reason: terminal ? state.phase : 'InProgress' },
  ];
  return want.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const changed = !before || before.status !== c.status;
    return {
      ...c,
      message: state.message ?? '',
      lastTransitionTime: changed ? new Date(now).toISOString() : (before.lastTransitionTime ?? new Date(now).toISOString()),
    };
  });
}

export function presentStatus(
  spec: TrafficPlanSpec, stored: StoredState, view: TargetView | undefined, previous: TrafficPlanStatus | undefined,
  generation: number | undefined, transitions: Transition[], now: number, blocked?: string,
): TrafficPlanStatus {
  const s = stored.plan;
  const phaseSpec = spec.phases[s.phaseIndex];
  const hold = holdOf(phaseSpec);
  const memo = stored.target;
  const lastW = s.lastWindowEnd !== undefined ? { from: iso(s.lastWindowEnd - windowMsOf(spec))!, to: iso(s.lastWindowEnd)!, verdict: s.lastVerdict ?? 'nodata' } : undefined;
  const status: TrafficPlanStatus = {
    phase: s.phase,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phaseIndex: s.phaseIndex,
    currentStep: s.stepIndex,
    ...(phaseSpec?.canary ? { steps: phaseSpec.canary.steps } : {}),
    canaryPercent: s.canaryPercent,
    split: splitOf(s, memo, view, previous),
    stepRequests: s.requestsInStep,
    stepMinRequests: hold.minRequests,
    passingWindows: s.consecutivePassingWindows,
    requiredPassingWindows: hold.passingWindows,
    ...(s.stepStartedAt !== undefined ? { stepStartedAt: iso(s.stepStartedAt) } : {}),
    ...(s.startedAt !== undefined ? { startedAt: iso(s.startedAt) } : {}),
    ...(memo.candidateRevision ? { candidateRevision: memo.candidateRevision } : {}),
    ...(memo.baselineRevision ? { baselineRevision: memo.baselineRevision } : {}),
    ...(lastW ? { lastWindow: lastW } : {}),
    gates: s.gates.map((g) => ({
      metric: g.metric, name: g.gate, verdict: g.verdict, threshold: g.threshold, reason: g.reason,
      ...(g.value !== undefined ? { value: round(g.value) } : {}),
      ...(g.baseline !== undefined ? { baseline: round(g.baseline) } : {}),
      ...(g.slice ? { slice: `${g.slice.name}=${g.slice.value}` } : {}),
    })),
    message: blocked && s.phase === 'Pending' ? `waiting: ${blocked}` : (s.message ?? `${phaseKind(phaseSpec)} phase ${s.phaseIndex}`),
    conditions: conditions(s, previous?.conditions, transitions.at(-1), now),
    state: stored as unknown as Record<string, unknown>,
  };
  return status;
}

/**
 * The split the plan has set: baseline and candidate shares from the state once both revisions
 * are known (the target's own status catches up a moment later), else what the target shows.
 */
function splitOf(s: PlanState, memo: TargetMemo, view: TargetView | undefined, previous: TrafficPlanStatus | undefined): Record<string, number> {
  if (memo.baselineRevision && memo.candidateRevision && s.startedAt !== undefined) {
    const p = s.phase === 'Promoted' ? 100 : s.canaryPercent;
    return { [memo.baselineRevision]: 100 - p, [memo.candidateRevision]: p };
  }
  return view && Object.keys(view.split).length > 0 ? view.split : (previous?.split ?? {});
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

export function windowMsOf(spec: Pick<TrafficPlanSpec, 'window'>): number {
  return goMs(spec.window) ?? 60_000;
}

