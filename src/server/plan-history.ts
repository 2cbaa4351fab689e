// Recent history of each TrafficPlan's status, for the dashboard's charts.
// A plan's status holds only its latest window and the step's cumulative gate
// values; the audit log holds each transition. What a chart of "each gate,
// window after window" needs is in between: one point per judged window (and
// per change of split or phase), from the store's watch, kept in memory and,
// given a PlanHistoryLog, in the data dir's database, so the charts outlive a
// restart. Bounded per plan and in the number of plans.
import type { GatePoint, PlanPoint } from '../api/plan-history.ts';
import type { PlanHistoryLog, PlanRef } from '../store/plan-history-log.ts';
import type { KubeObject, Store, WatchEvent } from '../store/types.ts';

export type { GatePoint, PlanPoint };

export const TRAFFIC_PLANS = { group: 'switchyard.dev', resource: 'trafficplans' };

export interface PlanHistoryOptions {
  /** Points kept per plan (oldest dropped first); 3600 is an hour of 1 s windows. */
  maxPoints?: number;
  /** Plans kept (the least recently changed dropped first). */
  maxPlans?: number;
  now?: () => number;
  /** Where the points are also kept, to be read back at the next start. */
  log?: PlanHistoryLog;
}

type Status = {
  phase?: string; phaseIndex?: number; currentStep?: number; canaryPercent?: number; split?: Record<string, number>; stepRequests?: number;
  lastWindow?: { to?: string; verdict?: string };
  shadow?: { pairs?: number; agreement?: number };
  gates?: Array<{ name?: string; metric?: string; slice?: string; verdict?: string; value?: number | null; interval?: Array<number | null>; lastWindow?: { value?: number | null } }>;
};

function gatesOf(s: Status): GatePoint[] {
  return (s.gates ?? []).map((g) => ({
    name: g.name ?? g.metric ?? '', metric: g.metric ?? '',
    ...(g.slice ? { slice: g.slice } : {}),
    ...(g.verdict ? { verdict: g.verdict } : {}),
    ...(g.lastWindow && 'value' in g.lastWindow ? { window: g.lastWindow.value ?? null } : {}),
    ...(g.value !== undefined ? { value: g.value } : {}),
    ...(g.interval ? { interval: g.interval } : {}),
  }));
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const refOf = (o: KubeObject): PlanRef => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name, uid: o.metadata.uid ?? '' });

export class PlanHistory {
  private readonly plans = new Map<string, PlanPoint[]>();
  private readonly maxPoints: number;
  private readonly maxPlans: number;
  private readonly now: () => number;
  private readonly log: PlanHistoryLog | undefined;

  constructor(opts: PlanHistoryOptions = {}) {
    this.maxPoints = opts.maxPoints ?? 3600;
    this.maxPlans = opts.maxPlans ?? 500;
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
  }

  /** Takes back what the log kept of a plan (at start, before its current status is observed). */
  restore(plan: KubeObject): void {
    if (!this.log) return;
    const points = this.log.points(refOf(plan), this.maxPoints);
    if (points.length === 0) return;
    this.plans.set(keyOf(plan), points);
    if (this.plans.size > this.maxPlans) this.plans.delete(this.plans.keys().next().value!);
  }

  /** Takes one stored plan (created, modified or deleted) into the history. */
  observe(ev: WatchEvent): void {
    const key = keyOf(ev.object);
    if (ev.type === 'DELETED') {
      this.plans.delete(key);
      this.log?.remove(refOf(ev.object));
      return;
    }
    const status = (ev.object.status ?? {}) as Status;
    const points = this.plans.get(key) ?? [];
    const last = points.at(-1);
    const windowEnd = status.lastWindow?.to ? Date.parse(status.lastWindow.to) : NaN;
    const newWindow = Number.isFinite(windowEnd) && windowEnd > lastWindowEnd(points);
    const moved = last === undefined || last.phase !== status.phase || last.canaryPercent !== status.canaryPercent || last.step !== status.currentStep
      || last.phaseIndex !== status.phaseIndex;
    if (!newWindow && !moved) return;
    const point: PlanPoint = {
      at: newWindow ? windowEnd : this.now(),
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(status.phaseIndex !== undefined ? { phaseIndex: status.phaseIndex } : {}),
      ...(status.currentStep !== undefined ? { step: status.currentStep } : {}),
      ...(status.canaryPercent !== undefined ? { canaryPercent: status.canaryPercent } : {}),
      ...(status.split ? { split: status.split } : {}),
      ...(status.stepRequests !== undefined ? { stepRequests: status.stepRequests } : {}),
      ...(newWindow ? { verdict: status.lastWindow?.verdict ?? 'nodata' } : {}),
      gates: newWindow ? gatesOf(status) : [],
      ...(newWindow && typeof status.shadow?.pairs === 'number'
        ? { shadow: { pairs: status.shadow.pairs, ...(typeof status.shadow.agreement === 'number' ? { agreement: status.shadow.agreement } : {}) } } : {}),
    };
    points.push(point);
    this.log?.append(refOf(ev.object), point);
    if (points.length > this.maxPoints) {
      points.splice(0, points.length - this.maxPoints);
      this.log?.trim(refOf(ev.object), points[0]!.at);
    }
    // Re-inserting keeps the map in order of last change, so the first key is the stalest plan.
    this.plans.delete(key);
    this.plans.set(key, points);
    if (this.plans.size > this.maxPlans) this.plans.delete(this.plans.keys().next().value!);
  }

  /** The points of one plan, oldest first; empty for a plan never seen. */
  points(namespace: string, name: string): PlanPoint[] {
    return this.plans.get(`${namespace}/${name}`) ?? [];
  }
}

function lastWindowEnd(points: PlanPoint[]): number {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.verdict !== undefined) return points[i]!.at;
  return -Infinity;
}

/**
 * A history fed by the store: what the log kept of the plans that exist (the
 * rest of it is deleted), every plan as stored now, then every change.
 * Returns it with the unwatch.
 */
export async function followPlanHistory(store: Store, opts: PlanHistoryOptions = {}): Promise<{ history: PlanHistory; stop: () => void }> {
  const history = new PlanHistory(opts);
  const list = await store.list(TRAFFIC_PLANS);
  opts.log?.keepOnly(list.items.map(refOf));
  for (const object of list.items) history.restore(object);
  for (const object of list.items) history.observe({ type: 'ADDED', object });
  const stop = await store.watch(TRAFFIC_PLANS, { resourceVersion: list.resourceVersion }, (ev) => history.observe(ev));
  return { history, stop };
}
