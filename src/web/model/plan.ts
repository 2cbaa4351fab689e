// A TrafficPlan as the plan view draws it: its phases and steps as a
// timeline, each gate's thresholds, and the series its charts plot from the
// plan's history (GET .../trafficplans/NAME/history: one point per judged
// window and per change of split or phase).
import type { PlanPoint } from '../../api/plan-history.ts';
import { TERMINAL_PHASES, type GateStatus, type Plan } from './kinds.ts';

type Spec = NonNullable<Plan['spec']>;
type PhaseSpec = NonNullable<Spec['phases']>[number];
type GateSpec = NonNullable<Spec['gates']>[number];

/** One point of GET /switchyard/v1/namespaces/NS/trafficplans/NAME/history. */
export type HistoryPoint = PlanPoint;

export type StepState = 'done' | 'current' | 'stopped' | 'skipped' | 'next';

export interface TimelineStep {
  phaseIndex: number;
  stepIndex: number;
  kind: string;
  label: string;
  state: StepState;
}

export function phaseKindOf(p: PhaseSpec | undefined): string {
  if (!p) return 'none';
  return Object.keys(p).find((k) => (p as Record<string, unknown>)[k] !== undefined) ?? 'unknown';
}

function stepLabels(p: PhaseSpec): string[] {
  if (p.canary) return p.canary.steps.map((s) => `${s} %`);
  if (p.shadow) return [`shadow ${p.shadow.percent} %`];
  if (p.abTest) return [`A/B${p.abTest.percent !== undefined ? ` ${p.abTest.percent} %` : ''}`];
  if (p.bandit) return [`bandit${p.bandit.algorithm ? ` (${p.bandit.algorithm})` : ''}`];
  if (p.blueGreen) return ['preview, then switch'];
  return [phaseKindOf(p)];
}

/** Every step of every phase, with where the plan is now and how earlier steps ended. */
export function timelineOf(plan: Plan): TimelineStep[] {
  const phases = plan.spec?.phases ?? [];
  const s = plan.status ?? {};
  const phase = s.phase ?? 'Pending';
  const pi = s.phaseIndex ?? 0;
  const si = s.currentStep ?? 0;
  const started = phase !== 'Pending';
  return phases.flatMap((p, phaseIndex) =>
    stepLabels(p).map((label, stepIndex): TimelineStep => {
      const order = phaseIndex < pi || (phaseIndex === pi && stepIndex < si) ? -1 : phaseIndex === pi && stepIndex === si ? 0 : 1;
      let state: StepState;
      if (order < 0) state = 'done';
      else if (order === 0) state = !started ? 'next' : phase === 'Promoted' || phase === 'Validated' ? 'done' : phase === 'RolledBack' || phase === 'Aborted' ? 'stopped' : 'current';
      else state = phase === 'Promoted' ? 'skipped' : 'next';
      return { phaseIndex, stepIndex, kind: phaseKindOf(p), label, state };
    }),
  );
}

/** A threshold line on a gate's value chart: max/min checks apply to the value itself (deltas are written, not drawn). */
export interface ThresholdLine {
  label: string;
  value: number;
  /** fail: beyond it the gate fails; pass: within it the gate passes (a band when it differs from fail). */
  role: 'fail' | 'pass';
}

/** A gate's name as its status reports it: its name, else its metric (analysis/gates.ts gateKey). */
export const gateKey = (g: { name?: string | undefined; metric: string }): string => g.name ?? g.metric;

export function gateSpecOf(plan: Plan, gateName: string): GateSpec | undefined {
  return (plan.spec?.gates ?? []).find((g) => gateKey(g) === gateName);
}

/**
 * The max and min checks of a gate, each with its fail and pass threshold (pass defaults to fail), as
 * analysis/gates.ts checksOf reads them; repeated here so the browser bundle does not carry the statistics,
 * and kept in step by test/web/plan.test.ts.
 */
export function thresholdLines(gate: GateSpec | undefined): ThresholdLine[] {
  if (!gate) return [];
  return (['max', 'min'] as const).flatMap((kind) => {
    const failAt = gate[kind];
    if (failAt === undefined) return [];
    const passAt = gate.pass?.[kind] ?? failAt;
    const fail: ThresholdLine = { label: `fails ${kind === 'max' ? 'above' : 'below'} ${failAt}`, value: failAt, role: 'fail' };
    return passAt === failAt ? [fail] : [fail, { label: `passes ${kind === 'max' ? 'below' : 'above'} ${passAt}`, value: passAt, role: 'pass' }];
  });
}

/** One gate (one slice of a bySlice gate) over the plan's judged windows. */
export interface GateSeries {
  key: string;
  name: string;
  metric: string;
  slice?: string;
  /** Epoch seconds of each window's end (uPlot's x unit). */
  t: number[];
  window: Array<number | null>;
  value: Array<number | null>;
  lo: Array<number | null>;
  hi: Array<number | null>;
  verdict: string[];
}

export const gateSeriesKey = (g: { name?: string; metric?: string; slice?: string }): string => `${g.name ?? g.metric ?? ''}${g.slice ? `[${g.slice}]` : ''}`;

const finiteOrNull = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function gateSeriesOf(points: HistoryPoint[]): GateSeries[] {
  const series = new Map<string, GateSeries>();
  const windows = points.filter((p) => p.verdict !== undefined);
  for (const p of windows) {
    for (const g of p.gates) {
      const key = gateSeriesKey(g);
      // Windows before the gate had anything to judge (the candidate still starting) are left out.
      const empty = [g.window, g.value, g.interval?.[0], g.interval?.[1]].every((v) => finiteOrNull(v) === null);
      if (empty && !series.has(key)) continue;
      let s = series.get(key);
      if (!s) {
        // Earlier windows without this gate stay empty.
        s = { key, name: g.name, metric: g.metric, ...(g.slice ? { slice: g.slice } : {}), t: [], window: [], value: [], lo: [], hi: [], verdict: [] };
        series.set(key, s);
      }
      s.t.push(p.at / 1000);
      s.window.push(finiteOrNull(g.window));
      s.value.push(finiteOrNull(g.value));
      s.lo.push(finiteOrNull(g.interval?.[0]));
      s.hi.push(finiteOrNull(g.interval?.[1]));
      s.verdict.push(g.verdict ?? 'nodata');
    }
  }
  return [...series.values()];
}

/** Each revision's share of traffic over time, from the history and the live status (for a stepped chart). */
export function splitSeriesOf(points: HistoryPoint[], plan: Plan, nowMs: number): { t: number[]; revisions: string[]; percent: Array<Array<number | null>> } {
  const rows = points.filter((p) => p.split && Object.keys(p.split).length > 0).map((p) => ({ at: p.at, split: p.split! }));
  const live = plan.status?.split;
  if (live && Object.keys(live).length > 0) rows.push({ at: Math.max(nowMs, rows.at(-1)?.at ?? 0), split: live });
  rows.sort((a, b) => a.at - b.at);
  const revisions = [...new Set(rows.flatMap((r) => Object.keys(r.split)))];
  // Baseline first, then the candidate, then anything else.
  const rank = (r: string) => (r === plan.status?.baselineRevision ? 0 : r === plan.status?.candidateRevision ? 1 : 2);
  revisions.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    t: rows.map((r) => r.at / 1000),
    revisions,
    percent: revisions.map((rev) => rows.map((r) => r.split[rev] ?? 0)),
  };
}

/** The hold of the current phase: what a step needs before it advances. */
export function holdOf(plan: Plan): { minRequests?: number; passingWindows?: number; minDuration?: string } {
  const p = plan.spec?.phases?.[plan.status?.phaseIndex ?? 0];
  return p?.canary?.hold ?? p?.blueGreen?.hold ?? p?.abTest?.hold ?? {};
}

export const isTerminal = (plan: Plan): boolean => TERMINAL_PHASES.has(plan.status?.phase ?? '');

/** Gate statuses in spec order (one per slice for bySlice gates). */
export function gatesOf(plan: Plan): GateStatus[] {
  return Array.isArray(plan.status?.gates) ? plan.status.gates : [];
}
