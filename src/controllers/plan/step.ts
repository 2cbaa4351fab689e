// The TrafficPlan decision core: one pure call per closed window or operator
// command. It never reads a clock or the store; the caller passes `now`,
// makes the target match the returned state (controller.ts desiredOf) and
// writes the transitions to the audit log.
//
// Order inside one call: start a Pending plan; apply commands (kill, abort,
// rollback and promote end the plan at once); add the window to the step's
// evidence and judge the gates (a replayed window is ignored; a failing gate
// rolls back); abort past maxDuration; advance when the step's hold is met.
// docs/plans.md states every rule.
import type { BanditPhaseSpec, TrafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import { optionalDurationMs as goDurationMs } from '../../core/duration.ts';
import { DEFAULT_GATE_OPTIONS, alphaShares, evaluateLook, type GateOptions, type LookVerdict } from '../../analysis/gates.ts';
import { addWindow, newStepEvidence, withReference, type StepEvidence } from '../../analysis/step-evidence.ts';
import { pairSummary } from '../../analysis/pairs.ts';
import { judgeAbTest, type AbDesign } from '../../analysis/abtest.ts';
import { emptyArm } from '../../analysis/outcomes.ts';
import { PRIMARY_OUTCOME } from '../../analysis/gates.ts';
import { addSides } from '../../analysis/evidence.ts';
import { seededRandom } from '../../core/random.ts';
import { banditLook, promotionWait, startBandit } from './bandit-phase.ts';

/** What a won A/B test says while its gates are still undecided (said once, not at every look). */
const AWAITING_GATES = 'promoting it waits for its gates to pass';
const rewardMetric = (b: BanditPhaseSpec) => (typeof b.reward === 'object' ? b.reward.metric : (b.reward ?? 'reward'));

type AbPhase = NonNullable<TrafficPlanSpec['phases'][number]['abTest']>;

function designOf(ab: AbPhase): AbDesign {
  return {
    percent: ab.percent ?? 50, aggregate: ab.primary?.outcome.aggregate ?? 'conversion', alpha: ab.alpha ?? 0.05, power: ab.power ?? 0.8,
    sequential: ab.sequential ?? false,
    ...(ab.minRequestsPerArm !== undefined ? { unitsPerArm: ab.minRequestsPerArm } : {}),
    ...(ab.baselineRate !== undefined ? { baselineRate: ab.baselineRate } : {}),
    ...(ab.minDetectableEffect !== undefined ? { minDetectableEffect: ab.minDetectableEffect } : {}),
  };
}
import {
  TERMINAL_PHASES, holdOf, phaseKind, stepCount, stepPercent,
  type Command, type Evidence, type Observation, type PlanPhase, type PlanState, type StepResult, type Transition, type WindowObservation,
} from './state.ts';

type Spec = Pick<TrafficPlanSpec, 'phases' | 'gates' | 'maxDuration' | 'rollback' | 'window'> & Partial<Pick<TrafficPlanSpec, 'budget' | 'alpha'>>;

export interface StepHooks {
  /** Why moving to (phaseIndex, stepIndex) would exceed budget.maxCostPerHour; undefined when within budget. */
  overBudget?: (phaseIndex: number, stepIndex: number) => string | undefined;
}

class Run {
  readonly transitions: Transition[] = [];
  window: { fromMs: number; toMs: number } | undefined;
  verdict: LookVerdict | undefined;

  constructor(readonly spec: Spec, public state: PlanState, readonly now: number, readonly hooks: StepHooks = {}) {}

  /** Pauses instead of moving to (phaseIndex, stepIndex) when that step would break the cost budget. */
  overBudget(phaseIndex: number, stepIndex: number): boolean {
    const why = this.hooks.overBudget?.(phaseIndex, stepIndex);
    if (why === undefined) return false;
    if (this.state.phase !== 'Paused') this.move('Paused', 'budget', why);
    return true;
  }

  get phaseSpec() {
    return this.spec.phases[this.state.phaseIndex];
  }

  evidence(): Evidence {
    const s = this.state;
    const e: Evidence = {
      gates: s.gates, requestsInStep: s.requestsInStep, consecutivePassingWindows: s.consecutivePassingWindows,
      consecutiveErrors: s.consecutiveErrors, hold: holdOf(this.phaseSpec),
    };
    if (this.window) e.window = this.window;
    if (this.verdict) e.verdict = this.verdict.verdict;
    if (s.stepStartedAt !== undefined) e.stepElapsedMs = this.now - s.stepStartedAt;
    if ((this.spec.gates ?? []).length > 0) e.alpha = alphaShares(this.spec);
    const p = s.evidence?.pairs;
    if (p) e.pairs = pairSummary(p);
    if (s.experiment) e.experiment = s.experiment;
    return e;
  }

  move(to: PlanPhase, cause: string, reason: string, by?: string): void {
    const from = this.state.phase;
    const s = this.state;
    const t: Transition = { from, to, at: this.now, cause, reason, step: { phaseIndex: s.phaseIndex, stepIndex: s.stepIndex, percent: s.canaryPercent }, evidence: this.evidence() };
    if (by !== undefined) t.by = by;
    this.transitions.push(t);
    this.state = { ...s, phase: to, message: reason, ...(TERMINAL_PHASES.has(to) ? { finishedAt: this.now } : {}) };
  }

  setCanary(percent: number): void {
    this.state = { ...this.state, canaryPercent: percent };
  }

  /**
   * Fresh evidence for a new split. When the baseline will serve nothing (the
   * candidate at 100 %), the baseline's evidence so far is kept as the
   * reference the candidate is compared with.
   */
  newSplit(percent: number): StepEvidence {
    const prev = this.state.evidence;
    const silentBaseline = percent >= 100 && prev !== undefined && prev.baseline.requests > 0;
    return newStepEvidence(this.now, silentBaseline ? prev : undefined);
  }

  /** Traffic back to the baseline. The candidate stays warm for rollback.keepWarm from finishedAt (controller.ts desiredOf). */
  rollBack(to: 'RolledBack' | 'Aborted', cause: string, reason: string, by?: string): void {
    this.move(to, cause, reason, by);
    this.setCanary(0);
  }

  /** The candidate cannot serve at all: no request will ever reach it, so there is nothing left to wait for. */
  candidateFailed(why: string): void {
    const reason = `the candidate failed: ${why}`;
    if (this.spec.rollback.onGateFailure !== false) this.rollBack('RolledBack', 'candidate-failed', reason);
    else if (this.state.phase !== 'Paused') this.move('Paused', 'candidate-failed', `${reason}; automatic rollback is off`);
  }

  promote(cause: string, reason: string, by?: string): void {
    this.move('Promoted', cause, reason, by);
    if (this.state.canaryPercent !== 100) this.setCanary(100);
  }

  /** Enters phase `index` at its first step (or promotes when there is none left). */
  enterPhase(index: number, cause: string): void {
    const ph = this.spec.phases[index];
    if (!ph) return this.promote('promoted', 'the last step passed its gates and hold');
    if (this.overBudget(index, 0)) return;
    // A bandit moves nothing until its first look starts the allocation over the arms the target
    // names (applyBandit): a percent here would hand the candidate destination a share of its own.
    const percent = ph.canary ? stepPercent(ph, 0) : ph.abTest ? (ph.abTest.percent ?? 50) : 0;
    this.state = { ...this.state, phaseIndex: index, stepIndex: 0, stepStartedAt: this.now, requestsInStep: 0, consecutivePassingWindows: 0, evidence: this.newSplit(percent) };
    const kind = phaseKind(ph);
    // blueGreen and shadow: 0 % of live traffic; the controller turns on the preview tag host or the shadow copies (desiredOf).
    if (ph.canary || ph.blueGreen || ph.shadow || ph.abTest || ph.bandit) this.setCanary(percent);
    else {
      return this.move('Paused', 'unsupported-phase', `phase ${index + 1} (${kind}) is not run by the step logic yet; promote, abort or edit the plan`);
    }
    const what = ph.shadow ? `copying ${ph.shadow.percent}% of requests to the candidate, every answer from the baseline`
      : ph.abTest ? `units assigned ${100 - percent}/${percent} (baseline/candidate), deciding on ${ph.abTest.primary?.metric}`
        : ph.bandit ? `${ph.bandit.algorithm} bandit learning from ${rewardMetric(ph.bandit)}`
          : ph.blueGreen ? `previewing the candidate on the "${ph.blueGreen.preview?.tag ?? 'latest'}" tag host, 0% of live traffic until its hold passes`
            : `step 1/${stepCount(ph)} at ${this.state.canaryPercent}%`;
    // Messages count phases and steps from 1, as `plan status`, lint and `plan cost` show them.
    this.move('Progressing', cause, `${kind} phase ${index + 1}, ${what}`);
  }

  command(c: Command): void {
    const s = this.state;
    const by = c.by;
    const why = (text: string) => (c.reason ? `${text}: ${c.reason}` : text);
    if (TERMINAL_PHASES.has(s.phase)) return;
    switch (c.type) {
      case 'kill': return this.rollBack('Aborted', 'kill', why('kill switch: traffic moved back to the baseline regardless of gates'), by);
      case 'rollback': return this.rollBack('RolledBack', 'rollback', why('rolled back by an operator'), by);
      case 'abort': return this.rollBack('Aborted', 'abort', why('aborted by an operator'), by);
      case 'promote': return this.promote('promote', why('promoted by an operator, skipping the remaining steps'), by);
      case 'pause': if (s.phase !== 'Paused') this.move('Paused', 'pause', why('paused by an operator'), by); return;
      case 'learning-off':
      case 'learning-on': {
        if (!s.bandit) return;
        const learning = c.type === 'learning-on';
        if (s.bandit.learning === learning) return;
        this.state = { ...s, bandit: { ...s.bandit, learning } };
        return this.move(s.phase, c.type, why(learning ? 'bandit learns from rewards again' : 'bandit learning switched off: the allocation stays where it is, assignments and rewards are still logged'), by);
      }
      case 'resume':
        if (s.phase !== 'Paused') return;
        // Evidence must be fresh after a pause: the passing streak starts again.
        this.state = { ...s, consecutivePassingWindows: 0 };
        this.move(s.startedAt === undefined ? 'Pending' : 'Progressing', 'resume', why('resumed by an operator'), by);
        // Paused before its first step took traffic (e.g. by the budget): enter that step now.
        if (s.startedAt !== undefined && s.stepStartedAt === undefined) this.enterPhase(s.phaseIndex, 'resume');
        return;
    }
  }

  /** Pauses a running plan whose shape changed, saying which fields and how to go on; a resume is refused until they are restored. */
  holdReshaped(fields: string[], resumeAsked: boolean): void {
    const what = `${fields.join(', ')} changed while the plan ran; its step and evidence refer to the spec as it started. Restore ${fields.length > 1 ? 'them' : 'it'} and resume, or abort and apply a new plan`;
    if (this.state.phase !== 'Paused') return this.move('Paused', 'spec-reshaped', what);
    if (resumeAsked) this.move('Paused', 'resume-refused', `not resumed: ${what}`);
  }

  applyWindow(w: WindowObservation, options: GateOptions): void {
    const s = this.state;
    if (s.lastWindowEnd !== undefined && w.toMs <= s.lastWindowEnd) return;
    this.window = { fromMs: w.fromMs, toMs: w.toMs };
    // A window that began before this step also holds traffic of the previous split: it is
    // judged for sudden failure (safety first) but adds nothing to the step's evidence.
    const counts = s.phase === 'Progressing' && s.stepStartedAt !== undefined && w.fromMs >= s.stepStartedAt;
    let evidence = withReference(s.evidence ?? newStepEvidence(s.stepStartedAt ?? w.fromMs), w.reference);
    if (counts) evidence = addWindow(evidence, w);
    // Outcomes are read whole from the durable log since the step began: they replace, not add.
    if (counts && w.outcomes) evidence = { ...evidence, outcomes: w.outcomes };
    const pairsExpected = this.phaseSpec?.shadow !== undefined;
    const v = evaluateLook(this.spec.gates ?? [], { step: evidence, window: w, pairsExpected }, alphaShares(this.spec), s.consecutiveErrors, options);
    this.verdict = v;
    this.state = {
      ...s,
      evidence,
      ...(w.pairsCursor !== undefined ? { pairsCursor: w.pairsCursor } : {}),
      lastWindowEnd: w.toMs,
      lastVerdict: v.verdict,
      consecutiveErrors: v.consecutiveErrors,
      gates: v.gates.flatMap((g) => g.results),
      requestsInStep: s.requestsInStep + (counts ? w.candidate.requests : 0),
      requestsTotal: (s.requestsTotal ?? 0) + w.candidate.requests,
      consecutivePassingWindows: !counts ? s.consecutivePassingWindows : v.verdict === 'pass' ? s.consecutivePassingWindows + 1 : 0,
    };
    const incomparable = pairsExpected && evidence.pairs && evidence.pairs.incomparable > 0 ? evidence.pairs.incomparableReason : undefined;
    if (v.verdict !== 'fail' && incomparable !== undefined) {
      if (this.state.phase !== 'Paused') this.move('Paused', 'incomparable-outputs', `the candidate's answers cannot be compared with the baseline's: ${incomparable}; paired gates cannot judge it (abort, or promote by hand after checking)`);
      return;
    }
    // In a bandit phase the gates are each arm's guardrails (applyBandit): a failing arm is frozen
    // and its traffic goes to the fallback arm; the phase itself goes on with the others.
    if (v.verdict !== 'fail' || this.phaseSpec?.bandit) return;
    const failed = v.gates.filter((g) => g.verdict === 'fail' || g.verdict === 'error').flatMap((g) => g.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error'));
    const what = failed.map((r) => `${r.gate}${r.slice ? `[${r.slice.name}=${r.slice.value}]` : ''}: ${r.reason}`).join('; ');
    const cause = v.errorLimitReached && !v.gates.some((g) => g.verdict === 'fail') ? 'errors-exceeded' : 'gate-failed';
    const reason = cause === 'errors-exceeded' ? `${v.consecutiveErrors} consecutive windows with provider errors (${what})` : `gate failed (${what})`;
    if (this.spec.rollback.onGateFailure !== false) this.rollBack('RolledBack', cause, reason);
    else if (this.state.phase !== 'Paused') this.move('Paused', cause, `${reason}; automatic rollback is off`);
  }

  /** budget.maxRequests: the candidate may not serve more; used up without a decision, the plan ends like maxDuration. */
  checkRequestBudget(): void {
    const max = this.spec.budget?.maxRequests;
    const used = this.state.requestsTotal ?? 0;
    if (max === undefined || used < max) return;
    this.rollBack('Aborted', 'request-budget', `budget.maxRequests ${max} used up (${used} candidate requests) without a decision`);
  }

  /**
   * An abTest phase at this look: SRM pauses it; otherwise the primary metric decides (at the
   * horizon, or earlier when sequential) with every guardrail holding (no gate failed); past the
   * phase's maxDuration an undecided test ends inconclusive. Win → the next phase or promotion;
   * lose or inconclusive → traffic back to the baseline.
   */
  judgeExperiment(): void {
    const ab = this.phaseSpec?.abTest;
    const s = this.state;
    if (!ab || s.phase !== 'Progressing' || s.stepStartedAt === undefined) return;
    const max = goDurationMs(ab.maxDuration);
    const final = max !== undefined && this.now - s.stepStartedAt >= max;
    const primary = s.evidence?.outcomes?.[PRIMARY_OUTCOME];
    const result = judgeAbTest(designOf(ab), primary ?? { baseline: emptyArm(), candidate: emptyArm() }, final);
    this.state = { ...s, experiment: result };
    if (result.srm.mismatch) {
      const [b, c] = [primary?.baseline.exposed ?? 0, primary?.candidate.exposed ?? 0];
      return this.move('Paused', 'sample-ratio-mismatch', `sample ratio mismatch: ${b} baseline and ${c} candidate units against a ${100 - (ab.percent ?? 50)}/${ab.percent ?? 50} split (always-valid p ${result.srm.sequentialPValue.toExponential(2)} < 0.001; χ² ${result.srm.chi2.toFixed(1)}, p ${result.srm.pValue.toExponential(2)}): the assignment is broken and the result cannot be trusted`);
    }
    if (result.decision === 'win') {
      // A win on the primary metric says the candidate earns more; its gates, that it is safe to serve
      // everything: as a canary's last step, it moves on only once every gate passed.
      const unproven = this.state.gates.filter((g) => !g.skipped && g.verdict !== 'pass').map((g) => `${g.gate}: ${g.reason}`).join('; ');
      if (unproven && final) return this.rollBack('RolledBack', 'ab-inconclusive', `${result.reason}; but its gates have not passed by maxDuration ${ab.maxDuration} (${unproven}): the baseline is kept`);
      if (unproven) {
        // Recorded once; the message then follows the lift and the gates as they move.
        const message = `${result.reason}; ${AWAITING_GATES}: ${unproven}`;
        if (!s.message?.includes(AWAITING_GATES)) this.move('Progressing', 'ab-awaiting-gates', message);
        else this.state = { ...this.state, message };
        return;
      }
      if (s.phaseIndex + 1 < this.spec.phases.length) {
        this.move('Progressing', 'ab-won', result.reason);
        return this.enterPhase(s.phaseIndex + 1, 'next-phase');
      }
      return this.promote('ab-won', result.reason);
    }
    if (result.decision === 'lose') return this.rollBack('RolledBack', 'ab-lost', result.reason);
    if (result.decision === 'inconclusive') return this.rollBack('RolledBack', 'ab-inconclusive', result.reason);
  }

  /**
   * A bandit phase at this look: each arm's guardrails judged against the fallback arm on the
   * arm's own evidence, then the allocation (bandit-phase.ts); an ending promotes the best arm or
   * keeps the fallback.
   */
  applyBandit(w: WindowObservation | undefined, options: GateOptions): void {
    const b = this.phaseSpec?.bandit;
    const s = this.state;
    if (!b || s.phase === 'Pending' || TERMINAL_PHASES.has(s.phase) || s.stepStartedAt === undefined || !w?.arms) return;
    const names = w.arms.map((a) => a.name);
    const fallback = Math.max(0, w.arms.findIndex((a) => a.fallback));
    let bandit = s.bandit ?? startBandit(b, names, fallback, s.stepStartedAt); // the first reallocation one cadence after the phase began
    // Each arm's evidence adds up over the phase; its guardrails compare it with the fallback arm's.
    const armEvidence = { ...(s.armEvidence ?? {}) };
    for (const a of w.arms) armEvidence[a.name] = armEvidence[a.name] ? addSides(armEvidence[a.name]!, a.window) : a.window;
    const base = w.arms[fallback]!;
    const looks = w.arms.map((a, i) => (i === fallback || bandit.frozen[i] ? undefined
      : evaluateLook(this.spec.gates ?? [], { step: { candidate: armEvidence[a.name]!, baseline: armEvidence[base.name]! }, window: { candidate: a.window, baseline: base.window } }, alphaShares(this.spec), 0, options)));
    const reasons = (v: LookVerdict, which: (verdict: string) => boolean) =>
      v.gates.flatMap((g) => (g.skipped ? [] : g.results.filter((r) => which(r.verdict)).map((r) => `${r.gate}: ${r.reason}`))).join('; ') || undefined;
    const failures = looks.map((v) => (v?.verdict === 'fail' ? reasons(v, (x) => x === 'fail') : undefined));
    // Judged on the arm's evidence over the phase: its last window may hold no request of it.
    const unproven = looks.map((v) => (v ? reasons(v, (x) => x !== 'pass') : undefined));
    const rand = seededRandom((bandit.version * 7919 + Math.floor(this.now / 1000)) >>> 0);
    const look = banditLook(b, bandit, w.arms.map((a) => a.reading), failures, s.stepStartedAt, this.now, rand, w.unmatchedRewards, unproven);
    bandit = look.state;
    // The candidates' share of traffic (all but the fallback arm's): an InferenceService's canaryTrafficPercent.
    this.state = { ...this.state, bandit, armEvidence, canaryPercent: Math.round(100 * (1 - bandit.weights[bandit.fallback]!)) };
    for (const note of look.notes) this.move(this.state.phase, 'bandit-guardrail', note);
    // Each wait is recorded once, when it begins; the message says what the promotion waits for now.
    const waits = promotionWait(bandit);
    if (waits && !look.end) this.state = { ...this.state, message: waits };
    if (!look.end) return;
    this.state = { ...this.state, bandit: { ...bandit, result: look.end.best } };
    if (look.end.promote) this.promote(look.end.cause, look.end.reason);
    else this.rollBack('RolledBack', look.end.cause, look.end.reason);
  }

  /** exit.maxDuration: an undecided shadow ends as maxDuration ends a plan (Aborted; traffic never moved). */
  checkShadowExit(): void {
    const exit = this.phaseSpec?.shadow?.exit;
    const max = goDurationMs(exit?.maxDuration);
    const started = this.state.stepStartedAt;
    if (max === undefined || started === undefined || this.now - started < max) return;
    const pairs = this.state.evidence?.pairs?.pairs ?? 0;
    this.rollBack('Aborted', 'shadow-max-duration', `shadow exit.maxDuration ${exit!.maxDuration} reached without a decision (${pairs} pairs judged${exit?.pairedRequests ? ` of ${exit.pairedRequests}` : ''})`);
  }

  checkMaxDuration(): void {
    const max = goDurationMs(this.spec.maxDuration);
    const started = this.state.startedAt;
    if (max === undefined || started === undefined || this.now - started < max) return;
    this.rollBack('Aborted', 'max-duration', `maxDuration ${this.spec.maxDuration} reached without a decision`);
  }

  /** Advances when minRequests AND passingWindows AND minDuration all hold. */
  maybeAdvance(): void {
    const s = this.state;
    if (s.phase !== 'Progressing' || s.stepStartedAt === undefined || this.phaseSpec?.abTest || this.phaseSpec?.bandit) return;
    const hold = holdOf(this.phaseSpec);
    const pairs = s.evidence?.pairs?.pairs ?? 0;
    const ready = s.requestsInStep >= hold.minRequests && s.consecutivePassingWindows >= hold.passingWindows && this.now - s.stepStartedAt >= hold.minDurationMs && pairs >= hold.minPairs;
    if (!ready) return;
    const next = s.stepIndex + 1;
    if (next < stepCount(this.phaseSpec)) {
      if (this.overBudget(s.phaseIndex, next)) return;
      const percent = stepPercent(this.phaseSpec, next);
      const from = s.canaryPercent;
      this.move('Progressing', 'advanced', `step ${s.stepIndex + 1}/${stepCount(this.phaseSpec)} passed; canary ${from}% → ${percent}%`);
      this.state = { ...this.state, stepIndex: next, stepStartedAt: this.now, requestsInStep: 0, consecutivePassingWindows: 0, evidence: this.newSplit(percent) };
      this.setCanary(percent);
      return;
    }
    if (this.phaseSpec?.blueGreen) this.setCanary(100); // the switch: preview → all live traffic
    if (s.phaseIndex + 1 < this.spec.phases.length) {
      // The shadow's verdict is its own audit record, with the pairs it judged; then the next phase starts.
      if (this.phaseSpec?.shadow) {
        this.move('Progressing', 'shadow-passed', `shadow passed every gate on ${pairs} pairs`);
        if (s.evidence?.pairs) this.state = { ...this.state, shadowPassed: { phaseIndex: s.phaseIndex, pairs: s.evidence.pairs } };
      }
      this.enterPhase(s.phaseIndex + 1, 'next-phase');
    }
    else if (this.phaseSpec?.shadow) {
      // A validation run: nothing moves traffic after the shadow, so nothing is promoted.
      this.move('Validated', 'shadow-passed', `shadow passed every gate on ${pairs} pairs; no phase moves traffic, so traffic stays with the baseline`);
    } else this.promote('promoted', `the last step passed its gates and hold`);
  }
}

/**
 * One decision: `state` plus what happened since (a closed window, operator
 * commands) at time `now` → the next state (which the controller makes the
 * target match) and the transitions to audit. Same inputs, same outputs.
 */
export function step(spec: Spec, state: PlanState, observation: Observation, now: number, options: GateOptions = DEFAULT_GATE_OPTIONS, hooks: StepHooks = {}): StepResult {
  const run = new Run(spec, state, now, hooks);
  const commands = observation.commands ?? [];
  const stops = commands.filter((c) => c.type !== 'pause' && c.type !== 'resume');
  if (run.state.phase === 'Pending' && stops.length === 0 && !commands.some((c) => c.type === 'pause')) {
    run.state = { ...run.state, startedAt: now };
    run.enterPhase(0, 'started');
  }
  // A spec reshaped under a running plan (possible on a cluster, whose API server does not refuse it)
  // holds it paused: its step and evidence refer to the old shape. Stops still work; resume waits.
  const reshaped = observation.reshaped?.length && run.state.startedAt !== undefined ? observation.reshaped : undefined;
  for (const c of commands) if (!(reshaped && c.type === 'resume')) run.command(c);
  if (reshaped && !TERMINAL_PHASES.has(run.state.phase)) run.holdReshaped(reshaped, commands.some((c) => c.type === 'resume'));
  if (run.state.phase === 'Pending' && run.state.startedAt === undefined && commands.some((c) => c.type === 'resume')) {
    run.state = { ...run.state, startedAt: now };
    run.enterPhase(0, 'started');
  }
  if (observation.targetMissing && run.state.startedAt !== undefined && !TERMINAL_PHASES.has(run.state.phase)) {
    run.rollBack('Aborted', 'target-deleted', `${observation.targetMissing}: it was deleted while the plan ran, so there is no split left to move`);
  }
  if (observation.candidateFailed && run.state.startedAt !== undefined && !TERMINAL_PHASES.has(run.state.phase)) run.candidateFailed(observation.candidateFailed);
  if (observation.window && !TERMINAL_PHASES.has(run.state.phase)) run.applyWindow(observation.window, options);
  if (!TERMINAL_PHASES.has(run.state.phase)) run.applyBandit(observation.window, options);
  if (!TERMINAL_PHASES.has(run.state.phase)) run.judgeExperiment();
  if (!TERMINAL_PHASES.has(run.state.phase)) run.checkShadowExit();
  if (!TERMINAL_PHASES.has(run.state.phase)) run.checkMaxDuration();
  if (!TERMINAL_PHASES.has(run.state.phase)) run.checkRequestBudget();
  run.maybeAdvance();
  return { state: run.state, transitions: run.transitions };
}
