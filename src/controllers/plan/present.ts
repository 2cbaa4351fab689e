// The plan's status as users read it (`kubectl get tp`, `switchyard plan
// status`): phase, step, live split, each gate against its threshold, the
// step's progress, conditions — plus the stored state the controller
// resumes from after a restart.
import type { PlanShape } from '../../api/kinds/plan-shape.ts';
import { optionalDurationMs as goMs } from '../../core/duration.ts';
import { banditStopRule, type TrafficPlanSpec, type TrafficPlanStatus } from '../../api/kinds/trafficplan.ts';
import type { GateForecast } from '../../analysis/forecast.ts';
import type { GateResult } from '../../analysis/gates.ts';
import { emptyTally, pairSummary, type PairTally } from '../../analysis/pairs.ts';
import { shownBetter } from '../../analysis/bandit-evidence.ts';
import { notShownBetter, promotionWait } from './bandit-phase.ts';
import { TERMINAL_PHASES, holdOf, phaseKind, targetRef, type PlanState, type Transition } from './state.ts';
import type { TargetMemo, TargetView } from './target.ts';

/** What status.state holds: the step machine's state and the target memo. */
export interface StoredState {
  plan: PlanState;
  target: TargetMemo;
  /** A terminal plan's last split was written to the target. */
  settled?: boolean;
  /** Per gate, how much more evidence a decision needs (refreshed at every judged window). */
  forecast?: GateForecast[];
  /** The spec's shape when the plan started: a running plan whose spec no longer has it is held paused. */
  shape?: PlanShape;
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
  generation: number | undefined, transitions: Transition[], now: number, blocked?: string, namespace?: string,
): TrafficPlanStatus {
  const s = stored.plan;
  const phaseSpec = spec.phases[s.phaseIndex];
  const hold = holdOf(phaseSpec);
  const memo = stored.target;
  const lastW = s.lastWindowEnd !== undefined ? { from: iso(s.lastWindowEnd - windowMsOf(spec))!, to: iso(s.lastWindowEnd)!, verdict: s.lastVerdict ?? 'nodata' } : undefined;
  const status: TrafficPlanStatus = {
    phase: s.phase,
    target: targetRef(spec),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phaseIndex: s.phaseIndex,
    currentStep: s.stepIndex,
    ...(s.startedAt !== undefined ? { step: phaseSpec?.canary ? `canary ${s.stepIndex + 1}/${phaseSpec.canary.steps.length}` : phaseKind(phaseSpec) } : {}),
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
    ...previewOf(phaseSpec, s, view, previous),
    ...(lastW ? { lastWindow: lastW } : {}),
    ...(s.evidence ? {
      evidence: {
        since: iso(s.evidence.sinceMs)!, windows: s.evidence.windows, candidateRequests: s.evidence.candidate.requests,
        baselineRequests: s.evidence.baseline.requests, ...(s.evidence.reference ? { baselineIsReference: true } : {}),
      },
    } : {}),
    ...(phaseSpec?.shadow && s.evidence ? { shadow: shadowStatus(phaseSpec.shadow, s.evidence.pairs) } : passedShadow(spec, s)),
    ...(s.experiment ? { experiment: s.experiment as unknown as { reason: string } } : {}),
    ...(s.bandit ? { bandit: banditStatus(s.bandit, phaseSpec?.bandit?.algorithm) } : {}),
    // An ended plan needs nothing more: a forecast kept from its last undecided look would say otherwise.
    gates: s.gates.map((g) => gateStatus(passedInShadow(g, s), TERMINAL_PHASES.has(s.phase) ? undefined : stored.forecast, candidateRate(s))),
    message: blocked && s.phase === 'Pending' ? `waiting: ${blocked}` : (s.message ?? `${phaseKind(phaseSpec)} phase ${s.phaseIndex + 1}`),
    ...(view && !view.missing && restoreHint(spec, s, memo, namespace) ? { restore: restoreHint(spec, s, memo, namespace) } : {}),
    conditions: [...conditions(s, previous?.conditions, transitions.at(-1), now), decidable(spec, s, stored.forecast, previous?.conditions, now)],
    state: stored as unknown as Record<string, unknown>,
  };
  return status;
}

/** The shadow's progress: copies sent, pairs judged toward exit.pairedRequests, agreement and the confusion matrix. */
function shadowStatus(sh: NonNullable<TrafficPlanSpec['phases'][number]['shadow']>, pairs: PairTally | undefined) {
  const summary = pairSummary(pairs ?? emptyTally());
  return { percent: sh.percent, ...(sh.exit?.pairedRequests ? { pairedRequests: sh.exit.pairedRequests } : {}), ...summary };
}

/**
 * After a rollback an InferenceService keeps the candidate's storageUri pinned at canaryTrafficPercent
 * 0, as KServe leaves it: the spec names a model that serves nothing. Say so, and how to make the
 * spec name what serves again (which also ends the pinning). Only of a target that still exists.
 */
function restoreHint(spec: TrafficPlanSpec, s: PlanState, memo: TargetMemo, namespace: string | undefined): string {
  const name = spec.target.inferenceService;
  if (!name || spec.candidate.storageUri === undefined || !memo.applied || (s.phase !== 'RolledBack' && s.phase !== 'Aborted')) return '';
  const serving = memo.baselineRevision ? `revision ${memo.baselineRevision}` : 'the previously rolled-out revision';
  // Said in the past: a finished plan's status is not rewritten once someone restores the spec.
  const pinned = `the rollback left InferenceService ${name} naming the candidate's storageUri, pinned at canaryTrafficPercent 0 (${serving} serving everything), as KServe leaves one`;
  if (!memo.replaced) return `${pinned}: apply its previous predictor again to make the spec name what serves`;
  const patch = JSON.stringify({ spec: { predictor: { canaryTrafficPercent: null, [memo.replaced.block]: { storageUri: memo.replaced.storageUri } } } });
  return `${pinned}; to make the spec name what serves: kubectl${namespace ? ` -n ${namespace}` : ''} patch isvc ${name} --type merge -p '${patch}'`;
}

/** A shadow that passed, in the phases after it: its verdict and pairs stay readable (status, report). */
function passedShadow(spec: TrafficPlanSpec, s: PlanState) {
  const done = s.shadowPassed;
  const sh = done ? spec.phases[done.phaseIndex]?.shadow : undefined;
  return done && sh ? { shadow: { ...shadowStatus(sh, done.pairs), verdict: 'passed', phase: done.phaseIndex + 1 } } : {};
}

/** The bandit as people read it: per arm its share, what it learnt, pending rewards, P(best), frozen; the mode and holds. */
function banditStatus(b: NonNullable<PlanState['bandit']>, algorithm: string | undefined) {
  return {
    algorithm: algorithm ?? 'thompson', version: b.version, allocatedAt: iso(b.allocatedAt)!, learning: b.learning,
    ...(b.hold ? { hold: b.hold } : {}), ...(b.valueRemaining !== undefined ? { valueRemaining: round(b.valueRemaining) } : {}),
    ...(b.lastRewardMs ? { lastReward: iso(b.lastRewardMs)! } : {}),
    ...(b.result !== undefined ? { result: b.arms[b.result]! } : {}),
    ...(promotionWait(b) ? { promotionWaits: promotionWait(b)! } : {}),
    arms: b.arms.map((name, i) => ({
      name, fallback: i === b.fallback, weight: round(b.weights[i]!), rewards: b.stats[i]!.pulls, rewardSum: round(b.stats[i]!.rewardSum),
      ...(b.stats[i]!.pulls > 0 ? { rewardRate: round(b.stats[i]!.rewardSum / b.stats[i]!.pulls) } : {}),
      pending: Math.max(0, (b.assigned[i] ?? 0) - b.stats[i]!.pulls),
      ...(b.probabilityBest ? { probabilityBest: round(b.probabilityBest[i]!) } : {}),
      ...(b.intervals?.[i] && b.stats[i]!.pulls > 0 && Number.isFinite(b.intervals[i]![0]) ? { rewardInterval: b.intervals[i]!.map(round) } : {}),
      ...(b.frozen[i] ? { frozen: true, frozenWhy: b.frozenWhy[i] ?? '' } : {}),
      ...(b.offPolicy?.[i] ? { ips: round(b.offPolicy[i]!.ips), ipsSe: round(b.offPolicy[i]!.ipsSe), snips: round(b.offPolicy[i]!.snips), logged: b.offPolicy[i]!.n } : {}),
    })),
    history: b.history.map((h) => ({ at: iso(h.at)!, weights: h.weights.map(round) })),
  };
}

/** While a blue/green preview runs (0 % live), where to send the requests that judge the candidate. */
function previewOf(phaseSpec: TrafficPlanSpec['phases'][number] | undefined, s: PlanState, view: TargetView | undefined, previous: TrafficPlanStatus | undefined): { previewURL?: string } {
  if (!phaseSpec?.blueGreen || TERMINAL_PHASES.has(s.phase) || s.startedAt === undefined || s.canaryPercent !== 0) return {};
  const url = view?.previewURL ?? previous?.previewURL;
  return url ? { previewURL: url } : {};
}

/** Candidate requests per second over the step's evidence; undefined before any. */
function candidateRate(s: PlanState): number | undefined {
  const e = s.evidence;
  if (!e || s.lastWindowEnd === undefined || e.candidate.requests === 0) return undefined;
  const seconds = (s.lastWindowEnd - e.sinceMs) / 1000;
  return seconds > 0 ? e.candidate.requests / seconds : undefined;
}

/** A paired gate skipped after its shadow passed says it passed there: "skipped" alone reads as never judged. */
function passedInShadow(g: GateResult, s: PlanState): GateResult {
  const done = s.shadowPassed;
  if (!g.skipped || !done) return g;
  return { ...g, reason: `passed in the shadow (phase ${done.phaseIndex + 1}, ${done.pairs.pairs} pairs); judged only where shadow pairs exist, so not in this phase` };
}

function gateStatus(g: GateResult, forecast: GateForecast[] | undefined, rate: number | undefined): NonNullable<TrafficPlanStatus['gates']>[number] {
  const f = forecast?.find((x) => x.gate === g.gate);
  const undecided = g.verdict === 'inconclusive' || g.verdict === 'nodata';
  return {
    metric: g.metric, name: g.gate, verdict: g.verdict, threshold: g.threshold, reason: g.reason, ...(g.skipped ? { skipped: true } : {}),
    ...(g.value !== undefined ? { value: round(g.value) } : {}),
    ...(g.interval ? { interval: [round(g.interval[0]), round(g.interval[1])] } : {}),
    ...(g.baseline !== undefined ? { baseline: round(g.baseline) } : {}),
    ...(g.deltaInterval && !g.interval ? { deltaInterval: [round(g.deltaInterval[0]), round(g.deltaInterval[1])] } : {}),
    samples: g.samples,
    ...(g.slice ? { slice: `${g.slice.name}=${g.slice.value}` } : {}),
    ...(g.window ? { lastWindow: { ...(g.window.value !== undefined ? { value: round(g.window.value) } : {}), samples: g.window.samples, ...(g.window.failed ? { failed: true } : {}) } } : {}),
    ...(undecided && f ? { needs: needsOf(f, rate) } : {}),
  };
}

function needsOf(f: GateForecast, rate: number | undefined): { requests?: number; seconds?: number; message: string } {
  if (f.moreRequests === undefined) return { message: f.reason };
  const seconds = rate ? Math.ceil(f.moreRequests / rate) : undefined;
  const when = seconds !== undefined ? ` (about ${humanSeconds(seconds)} at ${Number(rate!.toPrecision(3))} candidate requests/s)` : '';
  return { requests: f.moreRequests, ...(seconds !== undefined ? { seconds } : {}), message: `${f.moreRequests} more candidate requests to ${f.toward}${when}` };
}

function humanSeconds(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

/**
 * Decidable: whether the undecided gates can decide before the plan runs out
 * of time (maxDuration) or candidate requests (budget.maxRequests) at the
 * rates observed — said long before the plan ends, not when it aborts.
 */
function decidable(spec: TrafficPlanSpec, s: PlanState, forecast: GateForecast[] | undefined, previous: TrafficPlanStatus['conditions'], now: number) {
  const cond = (status: 'True' | 'False' | 'Unknown', reason: string, message: string) => {
    const before = previous?.find((p) => p.type === 'Decidable');
    const changed = !before || before.status !== status;
    return { type: 'Decidable', status, reason, message, lastTransitionTime: changed ? new Date(now).toISOString() : (before.lastTransitionTime ?? new Date(now).toISOString()) };
  };
  if (s.phase !== 'Progressing' && s.phase !== 'Paused') return cond('Unknown', 'NotProgressing', '');
  // A skipped gate (a paired gate outside a shadow) decides nothing here, so nothing waits for it.
  const undecided = new Set(s.gates.filter((g) => !g.skipped && (g.verdict === 'inconclusive' || g.verdict === 'nodata')).map((g) => g.gate));
  const pending = (forecast ?? []).filter((f) => undecided.has(f.gate) && f.moreRequests !== 0);
  if (undecided.size === 0) {
    // The gates are not all an experiment waits for: a bandit's stop rule, an A/B test's size.
    const waits = experimentWaits(spec.phases[s.phaseIndex], s);
    return waits ? cond('True', 'ExperimentRunning', `every gate has decided; ${waits}`) : cond('True', 'GatesDecided', 'every gate has decided on the step\'s evidence');
  }
  if (!forecast) return cond('Unknown', 'NoEstimate', 'no window judged in this step yet');
  // A gate heading for a fail decides the step when it fails, however long the others would take to pass.
  const rate = candidateRate(s);
  const failing = pending.filter((f) => f.toward === 'fail' && f.moreRequests !== undefined).sort((a, b) => a.moreRequests! - b.moreRequests!)[0];
  if (failing) {
    const when = rate ? `in about ${humanSeconds(Math.ceil(failing.moreRequests! / rate))} (${failing.moreRequests} more candidate requests)` : `after about ${failing.moreRequests} more candidate requests`;
    return cond('True', 'Estimated', `gate ${failing.gate} fails first, ${when}, if the rates seen hold`);
  }
  const stuck = pending.find((f) => f.moreRequests === undefined && !f.waiting);
  if (stuck) return cond('False', 'NoDecisionAtObservedRates', `gate ${stuck.gate}: ${stuck.reason}; this step cannot advance without a change (thresholds, a pass band, or a different candidate)`);
  // A gate without data (no requests, or no outputs on one side) says what it waits for.
  const waiting = pending.find((f) => f.waiting);
  if (waiting) return cond('Unknown', 'NoEstimate', `waiting for data: gate ${waiting.gate}: ${waiting.reason}`);
  const slowest = pending.reduce<GateForecast | undefined>((a, f) => ((f.moreRequests ?? 0) > (a?.moreRequests ?? -1) ? f : a), undefined);
  if (!slowest || slowest.moreRequests === undefined) return cond('Unknown', 'NoEstimate', 'waiting for candidate requests');
  const budget = spec.budget?.maxRequests;
  if (budget !== undefined && (s.requestsTotal ?? 0) + slowest.moreRequests > budget) {
    return cond('False', 'BeyondRequestBudget', `gate ${slowest.gate} needs about ${slowest.moreRequests} more candidate requests; budget.maxRequests ${budget} leaves ${Math.max(0, budget - (s.requestsTotal ?? 0))}`);
  }
  const maxMs = goMs(spec.maxDuration);
  if (rate && maxMs !== undefined && s.startedAt !== undefined) {
    const needS = slowest.moreRequests / rate;
    const leftS = (s.startedAt + maxMs - now) / 1000;
    if (needS > leftS) {
      return cond('False', 'BeyondMaxDuration', `gate ${slowest.gate} needs about ${slowest.moreRequests} more candidate requests, about ${humanSeconds(Math.ceil(needS))} at ${Number(rate.toPrecision(3))}/s; maxDuration ${spec.maxDuration} ends in ${humanSeconds(Math.max(0, Math.floor(leftS)))}`);
    }
    return cond('True', 'Estimated', `gate ${slowest.gate} decides last, in about ${humanSeconds(Math.ceil(needS))} (${slowest.moreRequests} more candidate requests)`);
  }
  return cond('True', 'Estimated', `gate ${slowest.gate} decides last, after about ${slowest.moreRequests} more candidate requests`);
}

/** What an A/B test or a bandit still waits for once its gates have decided; undefined: nothing (or another phase). */
function experimentWaits(phase: TrafficPlanSpec['phases'][number] | undefined, s: PlanState): string | undefined {
  const b = s.bandit;
  if (phase?.bandit && b) {
    const { minRewards, probabilityBest: threshold } = banditStopRule(phase.bandit);
    const short = b.arms.map((name, i) => ({ name, n: b.stats[i]!.pulls })).filter((a, i) => !b.frozen[i] && a.n < minRewards);
    if (short.length > 0) return `the stop rule waits for ${minRewards} rewards on every arm (${short.map((a) => `${a.name} has ${a.n}`).join(', ')})`;
    const p = b.probabilityBest ?? [];
    const best = p.indexOf(Math.max(...p));
    if (best >= 0 && p[best]! < threshold) return `no arm is best with probability ${threshold} yet (${b.arms[best]} at ${round(p[best]!)})`;
    if (best >= 0 && best !== b.fallback && b.intervals && !shownBetter(b.intervals, best, b.fallback)) return `arm ${b.arms[best]} is best with probability ${round(p[best]!)}, but ${notShownBetter(b, best)}: its promotion waits for that evidence`;
    return undefined;
  }
  const e = s.experiment as { horizon?: { unitsPerArm?: number; reached?: boolean }; baseline?: { units?: number }; candidate?: { units?: number }; reason?: string } | undefined;
  if (phase?.abTest && e && !e.horizon?.reached && e.horizon?.unitsPerArm !== undefined) {
    return `the A/B test decides ${phase.abTest.sequential ? 'by' : 'at'} ${e.horizon.unitsPerArm} units per arm (now ${Math.min(e.baseline?.units ?? 0, e.candidate?.units ?? 0)})`;
  }
  return undefined;
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

