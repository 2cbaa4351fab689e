// Wires the TrafficPlan controller to this process's gateway telemetry: the
// controller reads windows through plain functions, so it never imports the
// gateway (L2 modules stay apart) and tests can feed it known traffic.
import { PlanController } from '../controllers/plan/controller.ts';
import type { ArmRewardReader, OutcomeReader, PairReader, ProviderReader } from '../controllers/plan/observe.ts';
import { countUnmatchedRewards, readArmRewards, readOutcomes } from '../store/outcomes.ts';
import { readShadowPairs } from '../store/prediction-pairs.ts';
import type { PredictionLog } from '../store/predictions.ts';
import { prometheusProviderResults } from '../kube/prometheus.ts';
import type { TelemetryRecorder } from '../gateway/telemetry/recorder.ts';
import type { Store } from '../store/types.ts';
import { recordPlanEvent } from './local/plan-events.ts';

/** Gates with `provider.prometheus`: instant queries evaluated at the window's end (SWITCHYARD_PROMETHEUS_URL or the gate's address). */
const prometheusReader: ProviderReader = (gates, ctx) =>
  prometheusProviderResults(gates, {
    namespace: ctx.namespace, service: ctx.service, candidate: ctx.candidateRevision ?? '', baseline: ctx.baselineRevision,
    window: ctx.windowMs, now: () => ctx.atMs,
  });

export function startPlanController(opts: { store: Store; telemetry: TelemetryRecorder; predictions?: PredictionLog; providers?: ProviderReader; tickMs?: number; log?: (line: string) => void }): PlanController {
  const db = opts.predictions?.db;
  const controller = new PlanController({
    store: opts.store,
    // Shadow pairs: the prediction log joins each shadow answer with the primary answer to the same request.
    ...(db ? { readPairs: (q: Parameters<PairReader>[0]) => readShadowPairs(db, q) } : {}),
    // Outcomes: feedback joined to predictions, per arm, read whole from the durable log at every look.
    ...(db ? { readOutcomes: (q: Parameters<OutcomeReader>[0]) => readOutcomes(db, q) } : {}),
    // Bandit rewards: per arm, the reward metric's feedback joined to the arm's assignments.
    ...(db ? { readArmRewards: (q: Parameters<ArmRewardReader>[0]) => readArmRewards(db, q), countUnmatchedRewards: (q: { namespace: string; metric: string; fromMs: number }) => countUnmatchedRewards(db, q) } : {}),
    // [fromMs, toMs): the recorder reads every bucket overlapping [sinceMs, nowMs], so stop just before toMs.
    readWindow: ({ fromMs, toMs, ...q }) => opts.telemetry.window({ ...q, sinceMs: fromMs }, toMs - 1),
    listSlices: (q) => opts.telemetry.sliceValues(q),
    providers: opts.providers ?? prometheusReader,
    ...(opts.tickMs ? { tickMs: opts.tickMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    // As in a cluster, where the audit log is Events: `kubectl describe trafficplan` shows each transition.
    onTransition: (plan, t) => recordPlanEvent(opts.store, plan, t, opts.log),
  });
  void controller.start();
  return controller;
}
