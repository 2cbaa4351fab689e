// What the overview lists first: things that need a person. An
// InferenceService that is not Ready, a paused plan, a plan whose gates cannot
// decide, and a plan that rolled back or aborted in the last hour.
import { conditionOf, type Isvc, type Plan } from './kinds.ts';

export interface Problem {
  kind: 'InferenceService' | 'TrafficPlan';
  namespace: string;
  name: string;
  /** "error" sorts before "warning". */
  severity: 'error' | 'warning';
  /** A short label: "Not Ready", "Paused", "Rolled back". */
  title: string;
  detail: string;
  /** Epoch ms of when it began, when known. */
  since?: number;
}

export const RECENT_MS = 3_600_000;

const timeOf = (iso: string | undefined): number | undefined => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : undefined;
};

function isvcProblem(isvc: Isvc): Problem | undefined {
  const ready = conditionOf(isvc, 'Ready');
  if (ready?.status === 'True') return undefined;
  const since = timeOf(ready?.lastTransitionTime);
  return {
    kind: 'InferenceService', namespace: isvc.metadata.namespace ?? 'default', name: isvc.metadata.name, severity: 'error', title: 'Not Ready',
    detail: ready ? [ready.reason, ready.message].filter(Boolean).join(': ') || `Ready is ${ready.status}` : 'no Ready condition yet',
    ...(since !== undefined ? { since } : {}),
  };
}

function planProblems(plan: Plan, nowMs: number): Problem[] {
  const s = plan.status ?? {};
  const base = { kind: 'TrafficPlan' as const, namespace: plan.metadata.namespace ?? 'default', name: plan.metadata.name };
  const message = typeof s.message === 'string' ? s.message : '';
  const out: Problem[] = [];
  if (s.phase === 'RolledBack' || s.phase === 'Aborted') {
    const since = timeOf(conditionOf(plan, 'Completed')?.lastTransitionTime);
    if (since !== undefined && nowMs - since <= RECENT_MS) {
      out.push({ ...base, severity: 'error', title: s.phase === 'RolledBack' ? 'Rolled back' : 'Aborted', detail: message, since });
    }
  }
  if (s.phase === 'Paused') {
    const since = timeOf(conditionOf(plan, 'Paused')?.lastTransitionTime);
    out.push({ ...base, severity: 'warning', title: 'Paused', detail: message, ...(since !== undefined ? { since } : {}) });
  }
  const decidable = conditionOf(plan, 'Decidable');
  if (decidable?.status === 'False') {
    const since = timeOf(decidable.lastTransitionTime);
    out.push({ ...base, severity: 'warning', title: 'Cannot decide', detail: decidable.message ?? decidable.reason ?? '', ...(since !== undefined ? { since } : {}) });
  }
  return out;
}

/** Errors first, then warnings; within each, the most recent first. */
export function problemsOf(isvcs: Isvc[], plans: Plan[], nowMs: number): Problem[] {
  const all = [...isvcs.flatMap((i) => isvcProblem(i) ?? []), ...plans.flatMap((p) => planProblems(p, nowMs))];
  const rank = (p: Problem) => (p.severity === 'error' ? 0 : 1);
  return all.sort((a, b) => rank(a) - rank(b) || (b.since ?? 0) - (a.since ?? 0) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
