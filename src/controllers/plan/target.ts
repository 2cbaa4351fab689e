// What a TrafficPlan moves traffic on. A target reads where traffic is and
// which revisions are candidate and baseline, and writes the split the plan
// state asks for. Writes are level-based and idempotent: the controller
// re-asserts the desired split every tick, so a crash between deciding and
// acting is repaired on restart without repeating a step.
import type { TrafficPlanSpec, TrafficPlanStatus } from '../../api/kinds/trafficplan.ts';
import { syError } from '../../core/errors.ts';
import type { ObjectMeta, Store } from '../../store/types.ts';
import { updateWithRetry as retryUpdate, type ObjectKey } from '../../store/update-retry.ts';

/** A stored TrafficPlan with its spec already validated (and defaulted) by the API server. */
export interface TrafficPlan {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: TrafficPlanSpec;
  status?: TrafficPlanStatus;
}

/** Which telemetry series belong to one side of the comparison. */
export interface SeriesFilter {
  namespace: string;
  service: string;
  /** 'mirror' reads a shadow's answers to copies; primary (the default) the answers clients got. */
  role?: 'primary' | 'mirror';
  revision?: string;
  variant?: string;
  route?: string;
  destination?: string;
}

/** What the controller remembers about the target across restarts (stored in status.state.target). */
export interface TargetMemo {
  baselineRevision?: string;
  candidateRevision?: string;
  /** The candidate has been written into the target (from then on a rollback must write 0). */
  applied?: boolean;
  /**
   * The latest revision KServe had created before the candidate's storageUri was written. It is never the
   * candidate: an earlier plan's rolled-back candidate stays the latest revision (still tagged `latest`,
   * still answering its preview host) until KServe has acted on the new spec.
   */
  latestBeforeApply?: string;
  /** What the candidate's storageUri replaced, and in which predictor block: what a rolled-back spec is restored to. */
  replaced?: { block: string; storageUri: string };
}

export interface TargetView {
  memo: TargetMemo;
  /** Why the plan cannot act yet (target missing, no rolled-out revision); undefined when it can. */
  blocked?: string;
  /** The target object does not exist (blocked says which). */
  missing?: boolean;
  /** The split as the target shows it now: revision → percent. */
  split: Record<string, number>;
  candidate?: SeriesFilter;
  baseline?: SeriesFilter;
  /** Bandit arms: each with its telemetry filter and its key in the prediction log; the fallback is the baseline. */
  arms?: Array<{ name: string; filter: SeriesFilter; fallback: boolean }>;
  /** A blue/green preview's address: the candidate's tag host as the target's status gives it. */
  previewURL?: string;
  /** Requests per replica-hour pricing needs replica counts. */
  replicas?: { baseline: number; candidate: number };
  /** The candidate's revision failed to start or load (KServe: modelStatus BlockedByFailedLoad naming it), and why. */
  candidateFailed?: string;
}

/** The split the plan state asks for. */
export interface Desired {
  /** Candidate's share of live traffic. */
  percent: number;
  /** The plan has started and not ended: its candidate is deployed, even while it serves 0 % (a bandit before its first allocation). */
  running?: boolean;
  /** The candidate becomes the default (KServe: canaryTrafficPercent removed). */
  promoted: boolean;
  /** blueGreen: the candidate answers on its tag host. */
  previewTag?: string;
  /** shadow: this percent of requests is copied to the candidate, whose answers never reach the client. */
  shadowPercent?: number;
  /** bandit on a VirtualService route: each arm's (destination's) percent of the route's traffic. */
  armWeights?: Record<string, number>;
  /** bandit still running: its cohortLimits hold or cap strata (removed once the plan ends). */
  limitCohorts?: boolean;
  /** bandit: the arm that takes held and capped strata (and everything on kill). */
  fallbackArm?: string;
  /** bandit still running: the version of the allocation the weights are (requests log it with their propensity). */
  allocationVersion?: number;
  /** A finished plan: the revision that lost its traffic stays warm until then (rollback.keepWarm), then may scale to zero. */
  keepWarm?: { role: 'candidate' | 'baseline'; untilMs: number };
}

export interface PlanTarget {
  /** Reads the target and refines the memo (e.g. learns the candidate's revision name once it exists). */
  observe(plan: TrafficPlan, memo: TargetMemo): Promise<TargetView>;
  /** Writes the desired split; returns the memo to store. A no-op when the target already matches. */
  apply(plan: TrafficPlan, memo: TargetMemo, desired: Desired): Promise<TargetMemo>;
}

export const PLAN_ACTOR = { name: 'system:plan-controller' };

/** Updates a target object the plan does not own, retrying conflicts; its absence is an error here. */
export async function updateWithRetry(
  store: Store,
  key: ObjectKey,
  change: (obj: Record<string, unknown> & { metadata: { annotations?: Record<string, string> } }) => boolean,
  verb: string,
): Promise<void> {
  if (!(await store.get(key))) throw syError('SY_ERR_NOT_FOUND', `${key.resource} ${key.namespace}/${key.name} not found`);
  await retryUpdate(store, key, (obj) => change(obj as never), { actor: PLAN_ACTOR, verb });
}

/** Sets (or, with undefined, removes) one annotation; whether it changed. */
export function setAnnotation(obj: { metadata: { annotations?: Record<string, string> | undefined } }, key: string, value: string | undefined): boolean {
  if (obj.metadata.annotations?.[key] === value) return false;
  const annotations = { ...obj.metadata.annotations };
  if (value === undefined) delete annotations[key];
  else annotations[key] = value;
  obj.metadata.annotations = annotations;
  return true;
}
