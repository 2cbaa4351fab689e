// The plan state machine's vocabulary: the stored state, what one call
// observes (closed windows, operator commands), and the transitions it
// reports for the audit log. Everything here is plain JSON so the state can
// be stored and resumed after a crash.
import { TERMINAL_PLAN_PHASES, type PLAN_COMMANDS, type PLAN_PHASES, type TrafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import { optionalDurationMs as goDurationMs } from '../../core/duration.ts';
import type { GateResult, Verdict } from '../../analysis/gates.ts';
import type { StepEvidence, WindowEvidence } from '../../analysis/step-evidence.ts';
import type { PairSummary, PairTally } from '../../analysis/pairs.ts';
import type { AbResult } from '../../analysis/abtest.ts';
import type { SideEvidence } from '../../analysis/evidence.ts';
import type { BanditState } from './bandit-phase.ts';

export type PlanPhase = (typeof PLAN_PHASES)[number];
export const TERMINAL_PHASES = TERMINAL_PLAN_PHASES as ReadonlySet<PlanPhase>;

export interface PlanState {
  phase: PlanPhase;
  /** Index into spec.phases. */
  phaseIndex: number;
  /** Index into the canary phase's steps (0 for other phase kinds). */
  stepIndex: number;
  /** Candidate's share of live traffic as last set. */
  canaryPercent: number;
  startedAt?: number;
  stepStartedAt?: number;
  /** Candidate requests counted toward the step's minRequests. */
  requestsInStep: number;
  /** Everything the step's windows added up to: what the gates judge. */
  evidence?: StepEvidence;
  /** Shadow phases: the last shadow answer read from the prediction log (each is read once). */
  pairsCursor?: number;
  /** A shadow phase that passed: its pairs, kept so status and report still show its verdict in the phases after it. */
  shadowPassed?: { phaseIndex: number; pairs: PairTally };
  /** abTest phases: the experiment's result at the last look (arms, lift, SRM, decision). */
  experiment?: AbResult;
  /** bandit phases: the allocation, what it learnt, frozen arms and holds; `result` once it ended. */
  bandit?: BanditState & { result?: number };
  /** bandit phases: each arm's evidence over the phase (its guardrails compare it with the fallback arm's). */
  armEvidence?: Record<string, SideEvidence>;
  /** Candidate requests over the whole plan (budget.maxRequests); absent in states stored before it existed. */
  requestsTotal?: number;
  consecutivePassingWindows: number;
  consecutiveErrors: number;
  /** End of the last window applied; a window ending at or before it is a replay and ignored. */
  lastWindowEnd?: number;
  lastVerdict?: Verdict;
  /** Latest result of every gate (one per slice for bySlice gates). */
  gates: GateResult[];
  finishedAt?: number;
  message?: string;
}

export type CommandType = (typeof PLAN_COMMANDS)[number];
export interface Command {
  type: CommandType;
  by?: string;
  reason?: string;
}

/** One closed window: candidate vs baseline (+ slices, provider results) over [fromMs, toMs). */
export type WindowObservation = WindowEvidence;

export interface Observation {
  window?: WindowObservation;
  commands?: Command[];
  /** The target says the candidate cannot serve at all (its revision failed to start or load), and why. */
  candidateFailed?: string;
  /** The target object is gone (deleted): what was looked for. */
  targetMissing?: string;
  /** Fields of the plan's shape (planShape) that differ from what they were when it started. */
  reshaped?: string[];
}

export interface Evidence {
  window?: { fromMs: number; toMs: number };
  verdict?: Verdict;
  gates: GateResult[];
  requestsInStep: number;
  consecutivePassingWindows: number;
  consecutiveErrors: number;
  hold: Hold;
  stepElapsedMs?: number;
  /** α each gate spent on the step's evidence and on one window. */
  alpha?: { step: number; window: number };
  /** Shadow phases: the pairs judged so far. */
  pairs?: PairSummary;
  /** abTest phases: the experiment's result. */
  experiment?: AbResult;
}

export interface Transition {
  from: PlanPhase;
  to: PlanPhase;
  at: number;
  /** Machine-readable cause: started, advanced, promoted, gate-failed, errors-exceeded, max-duration, or the command. */
  cause: string;
  reason: string;
  by?: string;
  step: { phaseIndex: number; stepIndex: number; percent: number };
  evidence: Evidence;
}

/** The next state (the controller makes the target match it: desiredOf) and what to audit. */
export interface StepResult {
  state: PlanState;
  /** Usually zero or one; a command and a window in one call can yield two. */
  transitions: Transition[];
}

/** A step's hold with defaults applied: no request floor, one passing window, no minimum time. */
export interface Hold {
  minRequests: number;
  passingWindows: number;
  minDurationMs: number;
  /** Shadow phases: pairs to judge before the phase can pass (exit.pairedRequests). */
  minPairs: number;
}

export function initialState(): PlanState {
  return { phase: 'Pending', phaseIndex: 0, stepIndex: 0, canaryPercent: 0, requestsInStep: 0, consecutivePassingWindows: 0, consecutiveErrors: 0, gates: [] };
}

type Phase = TrafficPlanSpec['phases'][number];

export function phaseKind(p: Phase | undefined): string {
  return p ? (Object.keys(p).find((k) => p[k as keyof Phase] !== undefined) ?? 'unknown') : 'none';
}

/** The object (and route) a plan moves, as status.target shows it: `NAME` (InferenceService) or `vs/NAME:ROUTE`. */
export function targetRef(spec: Pick<TrafficPlanSpec, 'target'>): string {
  const vs = spec.target.virtualService;
  return vs ? `vs/${vs.name}${vs.route ? `:${vs.route}` : ''}` : (spec.target.inferenceService ?? '');
}

/** The same, for a sentence: `InferenceService NAME` or `VirtualService NAME route ROUTE`. */
export function targetText(spec: Pick<TrafficPlanSpec, 'target'>): string {
  const vs = spec.target.virtualService;
  return vs ? `VirtualService ${vs.name}${vs.route ? ` route ${vs.route}` : ''}` : `InferenceService ${spec.target.inferenceService ?? ''}`;
}

export function holdOf(p: Phase | undefined): Hold {
  const h = p?.canary?.hold ?? p?.blueGreen?.hold;
  return { minRequests: h?.minRequests ?? 0, passingWindows: h?.passingWindows ?? 1, minDurationMs: goDurationMs(h?.minDuration) ?? 0, minPairs: p?.shadow?.exit?.pairedRequests ?? 0 };
}

/** Percent of live traffic the candidate gets at a phase's step. */
export function stepPercent(p: Phase | undefined, stepIndex: number): number {
  return p?.canary ? (p.canary.steps[stepIndex] ?? 100) : 0;
}

export function stepCount(p: Phase | undefined): number {
  return p?.canary ? p.canary.steps.length : 1;
}
