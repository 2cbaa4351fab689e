// Knative-style conditions: a transition time that moves only when status,
// reason or message change, and Ready derived from its dependents.
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  severity?: string;
  lastTransitionTime: string;
}

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

function same(a: Condition, b: ConditionInput): boolean {
  return a.status === b.status && (a.reason ?? '') === (b.reason ?? '') && (a.message ?? '') === (b.message ?? '');
}

/** The new conditions, sorted by type as Knative keeps them, with transition times carried over when nothing changed. */
export function mergeConditions(previous: unknown, next: ConditionInput[], now: Date): Condition[] {
  const prev = Array.isArray(previous) ? (previous as Condition[]) : [];
  return next
    .map((c) => {
      const old = prev.find((p) => p.type === c.type);
      const time = old && same(old, c) && old.lastTransitionTime ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      return {
        type: c.type, status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
        lastTransitionTime: time,
      };
    })
    .sort((a, b) => a.type.localeCompare(b.type));
}

/** Ready is True when every dependent is; the first False (else Unknown) one explains why not. */
export function readyFrom(deps: ConditionInput[]): ConditionInput {
  const bad = deps.find((d) => d.status === 'False') ?? deps.find((d) => d.status === 'Unknown');
  if (!bad) return { type: 'Ready', status: 'True' };
  return { type: 'Ready', status: bad.status, ...(bad.reason ? { reason: bad.reason } : {}), ...(bad.message ? { message: bad.message } : {}) };
}
