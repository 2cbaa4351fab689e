// The TrafficPlan controller: for every plan, once per tick and at once on
// an operator command, it reads the target and the latest closed telemetry
// window, asks the pure step logic what to do, stores the decision (status
// with its evidence in the audit record of the same write), then makes the
// target match. Nothing lives only in memory: after a restart the plan
// resumes from status.state at the same step, with its timers and counts.
import {
  COMMAND_ANNOTATION, COMMAND_BY_ANNOTATION, COMMAND_REASON_ANNOTATION, PLAN_COMMANDS,
} from '../../api/kinds/trafficplan.ts';
import { planShape, shapeChanges } from '../../api/kinds/plan-shape.ts';
import { budgetExceeded, type CostInputs } from '../../analysis/cost.ts';
import { optionalDurationMs as goDurationMs } from '../../core/duration.ts';
import { DEFAULT_GATE_OPTIONS, alphaShares, type GateOptions } from '../../analysis/gates.ts';
import { forecastGates } from '../../analysis/forecast.ts';
import type { KubeObject, Store } from '../../store/types.ts';
import { updateWithRetry as retryUpdate } from '../../store/update-retry.ts';
import { IsvcTarget } from './isvc-target.ts';
import { nextWindow, observeWindow, type ObserveDeps } from './observe.ts';
import { presentStatus, windowMsOf, type StoredState } from './present.ts';
import { TERMINAL_PHASES, initialState, targetRef, targetText, type Command, type CommandType, type PlanState, type Transition } from './state.ts';
import { step, type StepHooks } from './step.ts';
import { PLAN_ACTOR, updateWithRetry, type Desired, type PlanTarget, type TargetView, type TrafficPlan } from './target.ts';
import { VsTarget } from './vs-target.ts';

const PLANS = { group: 'switchyard.dev', resource: 'trafficplans' };

export interface PlanControllerOptions extends ObserveDeps {
  store: Store;
  now?: () => number;
  /** How often every plan is looked at (default 1 s); commands are acted on at once. */
  tickMs?: number;
  gateOptions?: GateOptions;
  log?: (line: string) => void;
  /** Told each transition once it is stored and audited (`switchyard up` writes it as an Event); must not block. */
  onTransition?: (plan: TrafficPlan, t: Transition) => void;
}

function commandOf(plan: TrafficPlan): Command | undefined {
  const a = plan.metadata.annotations ?? {};
  const type = a[COMMAND_ANNOTATION];
  if (!type || !(PLAN_COMMANDS as readonly string[]).includes(type)) return undefined;
  return { type: type as CommandType, ...(a[COMMAND_BY_ANNOTATION] ? { by: a[COMMAND_BY_ANNOTATION] } : {}), ...(a[COMMAND_REASON_ANNOTATION] ? { reason: a[COMMAND_REASON_ANNOTATION] } : {}) };
}

/** The split a plan state asks of its target. */
export function desiredOf(plan: TrafficPlan, state: PlanState): Desired {
  const phase = plan.spec.phases[state.phaseIndex];
  const preview = phase?.blueGreen ? (phase.blueGreen.preview?.tag ?? 'latest') : undefined;
  // Copies go on while the shadow runs or is paused (its gates still judge); a finished plan sends none.
  const shadow = phase?.shadow && !TERMINAL_PHASES.has(state.phase) && state.startedAt !== undefined ? phase.shadow.percent : undefined;
  // Rolled back: the candidate stays warm to be inspected or retried; promoted: the old baseline, for a fast rollback.
  const warmMs = goDurationMs(plan.spec.rollback.keepWarm);
  const keepWarm = warmMs !== undefined && state.finishedAt !== undefined && TERMINAL_PHASES.has(state.phase)
    ? { role: state.phase === 'Promoted' ? 'baseline' as const : 'candidate' as const, untilMs: state.finishedAt + warmMs }
    : undefined;
  const arms = phase?.bandit ? armWeightsOf(state) : undefined;
  const running = state.startedAt !== undefined && !TERMINAL_PHASES.has(state.phase);
  return { percent: state.canaryPercent, promoted: state.phase === 'Promoted', ...(running ? { running } : {}), ...(preview ? { previewTag: preview } : {}), ...(shadow ? { shadowPercent: shadow } : {}), ...(arms ? { armWeights: arms } : {}), ...(arms && phase?.bandit?.cohortLimits && !TERMINAL_PHASES.has(state.phase) ? { limitCohorts: true, fallbackArm: state.bandit!.arms[state.bandit!.fallback]! } : {}),
    ...(arms && !TERMINAL_PHASES.has(state.phase) ? { allocationVersion: state.bandit!.version } : {}), ...(keepWarm ? { keepWarm } : {}) };
}

/**
 * A bandit's arms in whole percent (largest remainders, summing to 100): the allocation while it
 * runs; all to the promoted arm, or to the fallback arm after a kill, rollback or abort.
 */
export function armWeightsOf(state: PlanState): Record<string, number> | undefined {
  const b = state.bandit;
  if (!b) return undefined;
  const terminal = TERMINAL_PHASES.has(state.phase);
  const winner = state.phase === 'Promoted' ? (b.result ?? b.weights.indexOf(Math.max(...b.weights))) : b.fallback;
  const weights = terminal ? b.arms.map((_, i) => (i === winner ? 1 : 0)) : b.weights;
  const floors = weights.map((w) => Math.floor(w * 100));
  let left = 100 - floors.reduce((a, x) => a + x, 0);
  const order = weights.map((w, i) => [w * 100 - floors[i]!, i] as const).sort((x, y) => y[0] - x[0]);
  for (const [, i] of order) if (left-- > 0) floors[i]!++;
  return Object.fromEntries(b.arms.map((name, i) => [name, floors[i]!]));
}

function costInputs(plan: TrafficPlan, view: TargetView | undefined, observedRps: number | undefined): CostInputs | undefined {
  const c = plan.spec.cost;
  if (!c) return undefined;
  return {
    requestsPerSecond: observedRps ?? c.requestsPerSecond ?? 0, baselineCostPerRequest: c.perRequest,
    ...(c.candidatePerRequest !== undefined ? { candidateCostPerRequest: c.candidatePerRequest } : {}),
    baselineReplicas: view?.replicas?.baseline ?? 1, candidateReplicas: view?.replicas?.candidate ?? 1,
    costPerReplicaHour: c.perReplicaHour ?? 0, ...(c.posture ? { posture: c.posture } : {}),
  };
}

export class PlanController {
  private readonly now: () => number;
  private readonly targets: { isvc: PlanTarget; vs: VsTarget };
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  /** One pass at a time: ticks and commands queue behind each other, so a plan is never stepped twice at once. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: PlanControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.targets = { isvc: new IsvcTarget(opts.store), vs: new VsTarget(opts.store) };
  }

  async start(): Promise<void> {
    this.unwatch = await this.opts.store.watch(PLANS, {}, (e) => {
      if (e.type === 'DELETED') this.enqueue(() => this.released(e.object as TrafficPlan));
      else if (commandOf(e.object as TrafficPlan)) this.enqueue(() => this.reconcile(e.object as TrafficPlan));
      else if (e.type === 'ADDED') this.enqueue(() => this.reconcile(e.object as TrafficPlan));
    });
    this.timer = setInterval(() => this.enqueue(() => this.tick()), this.opts.tickMs ?? 1000);
    this.timer.unref();
    this.enqueue(() => this.tick());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unwatch?.();
    await this.queue;
  }

  /** Resolves once every pass queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : work())).catch((err: Error) => this.opts.log?.(`plan controller: ${err.message}`));
  }

  private async tick(): Promise<void> {
    const { items } = await this.opts.store.list(PLANS);
    for (const plan of items as unknown as TrafficPlan[]) {
      try {
        await this.reconcile(plan);
      } catch (err) {
        this.opts.log?.(`trafficplan ${plan.metadata.namespace}/${plan.metadata.name}: ${(err as Error).message}`);
      }
    }
  }

  /** Another plan of the namespace moving the same target: started and not ended. */
  private async holderOf(plan: TrafficPlan): Promise<TrafficPlan | undefined> {
    // A VirtualService route is the same target whether a plan names it or takes the first route.
    const targetKey = (p: TrafficPlan) => (p.spec.target.virtualService ? this.targets.vs.routeKey(p) : Promise.resolve(targetRef(p.spec)));
    const mine = await targetKey(plan);
    const { items } = await this.opts.store.list(PLANS, { namespace: plan.metadata.namespace ?? 'default' });
    for (const other of items as unknown as TrafficPlan[]) {
      const s = other.status?.state as StoredState | undefined;
      if (other.metadata.uid !== plan.metadata.uid && s?.plan.startedAt !== undefined && !TERMINAL_PHASES.has(s.plan.phase) && (await targetKey(other)) === mine) return other;
    }
    return undefined;
  }

  private targetOf(plan: TrafficPlan): PlanTarget {
    return plan.spec.target.virtualService ? this.targets.vs : this.targets.isvc;
  }

  /** One decision for one plan: read the latest object first, so a queued pass never acts on a stale copy. */
  async reconcile(seen: { metadata: { name: string; namespace?: string } }): Promise<void> {
    const key = { ...PLANS, namespace: seen.metadata.namespace ?? 'default', name: seen.metadata.name };
    const plan = (await this.opts.store.get(key)) as unknown as TrafficPlan | undefined;
    if (!plan) return;
    const stored = (plan.status?.state as StoredState | undefined) ?? { plan: initialState(), target: {} };
    const command = commandOf(plan);
    const target = this.targetOf(plan);
    const now = this.now();

    if (TERMINAL_PHASES.has(stored.plan.phase)) {
      if (!stored.settled) await this.settle(plan, stored, target);
      if (command) await this.consumeCommand(plan, command.type);
      return;
    }

    const stopping = command !== undefined && command.type !== 'pause' && command.type !== 'resume';
    // Two plans must never write one split: a plan starts only once no other plan is moving its target.
    if (stored.plan.startedAt === undefined && !stopping) {
      const holder = await this.holderOf(plan);
      if (holder) {
        const phase = (holder.status?.state as unknown as StoredState).plan.phase;
        await this.writeStatus(plan, stored, undefined, [], now, `${targetText(plan.spec)} is being moved by TrafficPlan ${holder.metadata.name} (${phase}); this plan starts once that one has ended`);
        if (command) await this.consumeCommand(plan, command.type);
        return;
      }
    }

    const view = await target.observe(plan, stored.target);
    // A candidate revision that is failing before the plan starts (one parked by an earlier rollback,
    // or deployed by hand) is retrying with backoff: the plan waits for it instead of moving traffic
    // to it or ending on a failure it did not see happen.
    const failing = stored.plan.startedAt === undefined && view.candidateFailed ? `the candidate is failing: ${view.candidateFailed}; the plan starts once the revision loads (its pod retries with backoff)` : undefined;
    const blocked = view.blocked ?? failing;
    if (blocked && stored.plan.phase === 'Pending' && !stopping) {
      await this.writeStatus(plan, { ...stored, target: view.memo }, view, [], now, blocked);
      if (command) await this.consumeCommand(plan, command.type);
      return;
    }

    const span = nextWindow(stored.plan, windowMsOf(plan.spec), now);
    const window = span ? await observeWindow(plan.spec, view, span, this.opts, stored.plan, now) : undefined;
    const rps = window ? (window.candidate.requests + window.baseline.requests) / ((span!.toMs - span!.fromMs) / 1000) : undefined;
    const reshaped = stored.shape ? shapeChanges(stored.shape, planShape(plan.spec)) : [];
    const result = step(plan.spec, stored.plan, { ...(window ? { window } : {}), ...(command ? { commands: [command] } : {}), ...(view.candidateFailed ? { candidateFailed: view.candidateFailed } : {}), ...(view.missing ? { targetMissing: view.blocked } : {}), ...(reshaped.length > 0 ? { reshaped } : {}) }, now, this.opts.gateOptions ?? DEFAULT_GATE_OPTIONS, this.budgetHook(plan, view, rps));

    // The shape is taken when the plan starts (or, for a plan started before shapes were kept, now).
    const shape = stored.shape ?? (result.state.startedAt !== undefined ? planShape(plan.spec) : undefined);
    let next: StoredState = { plan: result.state, target: view.memo, ...(stored.forecast ? { forecast: stored.forecast } : {}), ...(shape ? { shape } : {}) };
    // How far each undecided gate is from a decision, refreshed once per judged window (a search, not free).
    if (window && result.state.evidence && !TERMINAL_PHASES.has(result.state.phase)) {
      next.forecast = forecastGates(plan.spec.gates ?? [], result.state.evidence, alphaShares(plan.spec), plan.spec.phases[result.state.phaseIndex]?.shadow !== undefined);
    }
    if (result.state.stepStartedAt !== stored.plan.stepStartedAt) delete next.forecast;
    await this.writeStatus(plan, next, view, result.transitions, now);
    for (const t of result.transitions) {
      this.opts.log?.(`trafficplan ${key.namespace}/${key.name}: ${t.from} → ${t.to} (${t.cause}) ${t.reason}`);
      this.opts.onTransition?.(plan, t);
    }
    if (command) await this.consumeCommand(plan, command.type);

    // Level-based: re-assert the split every pass once the plan has started.
    if (result.state.startedAt !== undefined && !view.blocked) {
      const memo = await target.apply(plan, next.target, desiredOf(plan, result.state));
      const settled = TERMINAL_PHASES.has(result.state.phase);
      if (memo !== next.target || settled) {
        next = { ...next, target: memo, ...(settled ? { settled: true } : {}) };
        await this.writeStatus(plan, next, view, [], now);
      }
    }
  }

  /**
   * A plan deleted while it ran (or was paused): nothing would judge its split any more, so it goes back
   * to the baseline as an abort would send it — the shadow's copies stop, a bandit's weights go to its
   * fallback arm, the candidate stays warm for rollback.keepWarm. What the watch delivered is the plan's
   * last state; without finalizers this is done when the watch says so (a controller down at that
   * moment does not see it). A plan created again under the same name by then owns the target: the
   * old one's split is not restored over it.
   */
  async released(plan: TrafficPlan): Promise<void> {
    const stored = plan.status?.state as StoredState | undefined;
    if (!stored || TERMINAL_PHASES.has(stored.plan.phase) || stored.plan.startedAt === undefined) return;
    const namespace = plan.metadata.namespace ?? 'default';
    const successor = await this.opts.store.get({ ...PLANS, namespace, name: plan.metadata.name });
    if (successor && successor.metadata.uid !== plan.metadata.uid) return;
    const name = `${namespace}/${plan.metadata.name}`;
    const result = step(plan.spec, stored.plan, { commands: [{ type: 'abort', reason: 'the plan was deleted' }] }, this.now());
    try {
      await this.targetOf(plan).apply(plan, stored.target, desiredOf(plan, result.state));
    } catch (err) {
      // Its target went with it (a namespace deleted): nothing is left to move back.
      if ((err as { code?: string }).code === 'SY_ERR_NOT_FOUND') return;
      throw err;
    }
    const t = result.transitions.at(-1);
    const resource = `${PLANS.group}/${PLANS.resource}/${name}`;
    if (t) await this.opts.store.appendAudit({ actor: PLAN_ACTOR.name, verb: 'plan/deleted', resource, evidence: { ...t, cause: 'deleted', reason: `deleted while ${stored.plan.phase}: traffic back to the baseline` } });
    this.opts.log?.(`trafficplan ${name}: deleted while ${stored.plan.phase}; traffic back to the baseline`);
  }

  /** A finished plan whose last split may not have reached the target (crash, conflict): write it. */
  private async settle(plan: TrafficPlan, stored: StoredState, target: PlanTarget): Promise<void> {
    const memo = await target.apply(plan, stored.target, desiredOf(plan, stored.plan)).catch((err: { code?: string }) => {
      // The target is gone (the plan ended because it was deleted): there is no split left to write.
      if (err.code === 'SY_ERR_NOT_FOUND') return stored.target;
      throw err;
    });
    await this.writeStatus(plan, { ...stored, target: memo, settled: true }, undefined, [], this.now());
  }

  private budgetHook(plan: TrafficPlan, view: TargetView, rps: number | undefined): StepHooks {
    const max = plan.spec.budget?.maxCostPerHour;
    const inputs = costInputs(plan, view, rps);
    if (max === undefined || !inputs) return {};
    return {
      overBudget: (phaseIndex, stepIndex) => {
        const check = budgetExceeded(plan.spec, inputs, phaseIndex, stepIndex);
        return check.exceeded ? `phase ${phaseIndex + 1} step ${stepIndex + 1} would cost ${check.perHour.toFixed(2)}/h at ${inputs.requestsPerSecond.toFixed(1)} req/s, over budget.maxCostPerHour ${max}` : undefined;
      },
    };
  }

  /**
   * Stores status; the first transition's evidence rides in the same write's
   * audit record (one transaction), any further one gets its own record.
   */
  private async writeStatus(plan: TrafficPlan, stored: StoredState, view: TargetView | undefined, transitions: Transition[], now: number, blocked?: string): Promise<void> {
    const key = { ...PLANS, namespace: plan.metadata.namespace ?? 'default', name: plan.metadata.name };
    const [first, ...rest] = transitions;
    const wrote = await retryUpdate<KubeObject & TrafficPlan>(this.opts.store, key, (current) => {
      current.status = presentStatus(current.spec, stored, view, current.status, current.metadata.generation, transitions, now, blocked, current.metadata.namespace);
      return true;
    }, { actor: first?.by ? { name: first.by } : PLAN_ACTOR, subresource: 'status', ...(first ? { verb: `plan/${first.cause}`, evidence: first } : {}) });
    if (!wrote) return;
    const resource = `${PLANS.group}/${PLANS.resource}/${key.namespace}/${key.name}`;
    for (const t of rest) await this.opts.store.appendAudit({ actor: t.by ?? PLAN_ACTOR.name, verb: `plan/${t.cause}`, resource, evidence: t });
  }

  /** Removes the command annotations once the command is decided (whatever its outcome). */
  private async consumeCommand(plan: TrafficPlan, type: CommandType): Promise<void> {
    const key = { ...PLANS, namespace: plan.metadata.namespace ?? 'default', name: plan.metadata.name };
    await updateWithRetry(this.opts.store, key, (obj) => {
      const a = obj.metadata.annotations;
      // A different command set meanwhile is left for the next pass.
      if (!a || a[COMMAND_ANNOTATION] !== type) return false;
      delete a[COMMAND_ANNOTATION];
      delete a[COMMAND_REASON_ANNOTATION];
      delete a[COMMAND_BY_ANNOTATION];
      return true;
    }, 'consume-command');
  }
}
