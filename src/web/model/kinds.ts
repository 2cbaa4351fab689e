// What the dashboard reads of each kind. Loose on purpose: status fields are
// read defensively (a field may be missing, and new ones appear as phases
// such as shadow, A/B and bandit land), never assumed.
import type { TrafficPlanSpec, TrafficPlanStatus } from '../../api/kinds/trafficplan.ts';

/** Any object as the API answers it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; generation?: number };
  spec?: unknown;
  status?: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface TrafficTarget {
  tag?: string;
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  url?: string;
}

export interface ComponentStatus {
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  previousRolledoutRevision?: string;
  latestRolledoutRevision?: string;
  traffic?: TrafficTarget[];
  url?: string;
}

export interface Isvc extends KubeObject {
  spec?: { predictor?: { canaryTrafficPercent?: number; model?: { storageUri?: string; modelFormat?: { name?: string } }; minReplicas?: number; maxReplicas?: number } };
  status?: { url?: string; conditions?: Condition[]; components?: Record<string, ComponentStatus> };
}

export interface VirtualService extends KubeObject {
  spec?: { hosts?: string[]; gateways?: string[]; http?: Array<{ name?: string; route?: Array<{ destination?: { host?: string; subset?: string }; weight?: number }>; mirror?: { host?: string } }> };
}

export type PlanStatus = TrafficPlanStatus & Record<string, unknown>;
export type GateStatus = NonNullable<TrafficPlanStatus['gates']>[number];

export interface Plan extends KubeObject {
  spec?: Partial<TrafficPlanSpec>;
  status?: PlanStatus;
}

export interface Pod extends KubeObject {
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: Array<{ ready?: boolean; restartCount?: number; name?: string }>; startTime?: string };
}

/** As TERMINAL_PLAN_PHASES in src/api/kinds/trafficplan.ts (test/web/plan.test.ts keeps them in step). */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Promoted', 'Validated', 'RolledBack', 'Aborted']);

// The same names as src/api/kinds/trafficplan.ts; repeated so the browser bundle does not carry the
// schemas (zod), and kept in step by test/web/plan.test.ts.
export const COMMAND_ANNOTATION = 'switchyard.dev/command';
export const COMMAND_REASON_ANNOTATION = 'switchyard.dev/command-reason';

export function conditionOf(obj: { status?: unknown }, type: string): Condition | undefined {
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  return Array.isArray(conditions) ? conditions.find((c) => c.type === type) : undefined;
}

/** KServe's PREV and LATEST columns: the percent on the previously rolled-out and on the latest revision. */
export function trafficColumns(isvc: Isvc): { prev?: number; latest?: number; prevRevision?: string; latestRevision?: string } {
  const traffic = isvc.status?.components?.predictor?.traffic ?? [];
  const prev = traffic.find((t) => t.tag === 'prev');
  const latest = traffic.find((t) => t.latestRevision === true);
  return {
    ...(prev?.percent !== undefined ? { prev: prev.percent } : {}),
    ...(latest?.percent !== undefined ? { latest: latest.percent } : {}),
    ...(prev?.revisionName ? { prevRevision: prev.revisionName } : {}),
    ...(latest?.revisionName ? { latestRevision: latest.revisionName } : {}),
  };
}

/** The label the local pods carry for their InferenceService (KServe's). */
export const ISVC_LABEL = 'serving.kserve.io/inferenceservice';
export const REVISION_LABEL = 'serving.knative.dev/revision';

export function podReady(pod: Pod): boolean {
  return conditionOf(pod, 'Ready')?.status === 'True';
}
