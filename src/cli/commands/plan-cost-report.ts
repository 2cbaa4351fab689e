// The numbers and the table `switchyard plan cost` prints: pure functions of
// the plan and the resolved prices (src/analysis/cost.ts does the pricing).
import { optionalDurationMs } from '../../core/duration.ts';
import { humanDuration } from '../../api/age.ts';
import type { TrafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import { budgetExceeded, costPerHour, planCost, type CostInputs, type Exposure } from '../../analysis/cost.ts';
import { forecastPlan } from '../../analysis/forecast.ts';
import { alphaShares } from '../../analysis/gates.ts';
import { alignColumns } from '../table.ts';

/** A TrafficPlan that passed the schema (defaults applied). */
export interface ValidPlan {
  metadata: { name: string; namespace?: string };
  spec: TrafficPlanSpec;
}

export interface CostRow {
  /** 0-based, as in status.phaseIndex / currentStep. */
  phaseIndex: number;
  stepIndex: number;
  exposure: string;
  /** null when the step has no end (e.g. an abTest without maxDuration, or no traffic to collect minRequests). */
  hours: number | null;
  perHour: number;
  incrementalPerHour: number;
  cost: number | null;
  overBudget: boolean;
  /** Candidate requests the step's gates need before they can pass, for a candidate equal to the baseline, and the slowest gate. */
  decisionRequests?: number;
  slowestGate?: string;
}

export interface CostReport {
  plan: { name: string; namespace?: string };
  inputs: CostInputs;
  sources: Record<string, string>;
  baselineOnlyPerHour: number;
  steps: CostRow[];
  /** onRoute: a VirtualService target, whose destinations a plan never scales down (keepWarm does not apply). */
  keepWarm: { duration?: string; hours: number; cost: number; onRoute?: true };
  totalHours: number | null;
  /** spec.maxDuration, when the steps need longer: the plan would end Aborted before they finish (the cost stops there too). */
  maxDurationFirst?: { maxDuration: string; stepsHours: number | null };
  totalCost: number | null;
  peakPerHour: number;
  budget: { maxCostPerHour?: number; exceeded: boolean; firstOverBudget?: { phaseIndex: number; stepIndex: number; exposure: string; perHour: number } };
}

/** JSON-friendly: Infinity becomes null, float noise (54.00000000000001) is rounded away. */
const finite = (x: number): number | null => (Number.isFinite(x) ? round(x) : null);
const round = (x: number): number => Number(x.toPrecision(12));

export function exposureText(e: Exposure): string {
  if (e.kind === 'canary') return `canary ${e.percent}%`;
  if (e.kind === 'shadow') return `shadow ${e.percent}%`;
  if (e.kind === 'bandit') return `bandit, ${e.atLeast ? 'at least ' : ''}${e.arms} arms`;
  return e.kind;
}

export function costReport(plan: ValidPlan, inputs: CostInputs, sources: Record<string, string>): CostReport {
  const spec = plan.spec;
  const forecast = forecastPlan(spec, alphaShares(spec), inputs.requestsPerSecond);
  const decisionOf = (phaseIndex: number, stepIndex: number) => forecast.find((f) => f.phaseIndex === phaseIndex && f.stepIndex === stepIndex);
  const priced = planCost(spec, inputs, (p, s) => decisionOf(p, s)?.requests);
  const steps: CostRow[] = priced.steps.map((s) => {
    const d = decisionOf(s.phaseIndex, s.stepIndex);
    return {
      phaseIndex: s.phaseIndex, stepIndex: s.stepIndex, exposure: exposureText(s.exposure),
      hours: finite(s.hours), perHour: round(s.perHour.total), incrementalPerHour: round(s.perHour.incremental),
      // A step that costs nothing per hour costs nothing however long it lasts.
      cost: s.perHour.total === 0 ? 0 : finite(s.cost),
      overBudget: budgetExceeded(spec, inputs, s.phaseIndex, s.stepIndex).exceeded,
      ...(d?.requests !== undefined ? { decisionRequests: d.requests } : {}), ...(d?.slowest ? { slowestGate: d.slowest } : {}),
    };
  });
  const first = steps.find((s) => s.overBudget);
  const max = spec.budget?.maxCostPerHour;
  const stepsHours = priced.steps.reduce((a, s) => a + s.hours, 0);
  const maxMs = optionalDurationMs(spec.maxDuration);
  return {
    plan: { name: plan.metadata.name, ...(plan.metadata.namespace ? { namespace: plan.metadata.namespace } : {}) },
    inputs, sources,
    baselineOnlyPerHour: round(costPerHour(inputs, { kind: 'baseline' }).total),
    steps,
    keepWarm: { ...(spec.rollback.keepWarm ? { duration: spec.rollback.keepWarm } : {}), hours: round(priced.keepWarm.hours), cost: round(priced.keepWarm.cost), ...(spec.target.virtualService !== undefined ? { onRoute: true as const } : {}) },
    totalHours: finite(priced.totalHours),
    ...(maxMs !== undefined && stepsHours * 3_600_000 > maxMs ? { maxDurationFirst: { maxDuration: spec.maxDuration!, stepsHours: finite(stepsHours) } } : {}),
    totalCost: steps.some((s) => s.cost === null) ? null : finite(priced.totalCost),
    peakPerHour: round(priced.peakPerHour),
    budget: {
      ...(max !== undefined ? { maxCostPerHour: max } : {}),
      exceeded: first !== undefined,
      ...(first ? { firstOverBudget: { phaseIndex: first.phaseIndex, stepIndex: first.stepIndex, exposure: first.exposure, perHour: first.perHour } } : {}),
    },
  };
}

/** Money: two decimals from 1 up, three significant digits below (per-request prices are tiny). */
export function money(x: number | null): string {
  if (x === null) return 'unbounded';
  if (x === 0) return '0';
  return Math.abs(x) >= 1 ? x.toFixed(2) : String(Number(x.toPrecision(3)));
}

export function hoursText(h: number | null): string {
  if (h === null) return 'unbounded';
  if (h > 0 && h * 3_600_000 < 1000) return '<1s';
  return humanDuration(Math.round(h * 3_600_000));
}

function stepLabel(r: CostReport, row: CostRow): string {
  const inPhase = r.steps.filter((s) => s.phaseIndex === row.phaseIndex).length;
  return inPhase > 1 ? `${row.stepIndex + 1}/${inPhase}` : '-';
}

function endsFirstText(r: CostReport, m: NonNullable<CostReport['maxDurationFirst']>): string {
  const endless = r.steps.find((s) => s.hours === null);
  if (m.stepsHours === null && endless) {
    const step = stepLabel(r, endless) === '-' ? '' : ` step ${stepLabel(r, endless)}`;
    return `maxDuration ${m.maxDuration}: phase ${endless.phaseIndex + 1}${step} (${endless.exposure}) has no end of its own at this rate, so maxDuration ends the plan (Aborted)`;
  }
  return `maxDuration ${m.maxDuration}: the steps need about ${hoursText(m.stepsHours)} at this rate, so the plan would end Aborted before they finish (switchyard lint --rps names the slowest step)`;
}

export function formatCostReport(r: CostReport): string {
  const i = r.inputs;
  const src = (key: string) => (r.sources[key] ? ` (${r.sources[key]})` : '');
  const lines = [
    `TrafficPlan ${r.plan.name}${r.plan.namespace ? ` (namespace ${r.plan.namespace})` : ''}, posture ${i.posture ?? 'comparison'}${src('posture')}`,
    `  rate:      ${i.requestsPerSecond} req/s${src('requestsPerSecond')}`,
    `  prices:    ${money(i.baselineCostPerRequest)} per request${src('perRequest')}, candidate ${money(i.candidateCostPerRequest ?? i.baselineCostPerRequest)}${src('candidatePerRequest')}, ${money(i.costPerReplicaHour)} per replica-hour${src('perReplicaHour')}`,
    `  replicas:  baseline ${i.baselineReplicas}${src('baselineReplicas')}, candidate ${i.candidateReplicas}${src('candidateReplicas')}`,
    `  baseline alone costs ${money(r.baselineOnlyPerHour)}/h`,
    '',
  ];
  const rows = r.steps.map((s) => [
    String(s.phaseIndex + 1), stepLabel(r, s), s.exposure, hoursText(s.hours), s.decisionRequests !== undefined ? `${s.decisionRequests} (${s.slowestGate})` : '-',
    money(s.perHour), `+${money(s.incrementalPerHour)}`, money(s.cost), s.overBudget ? 'OVER BUDGET' : '',
  ]);
  lines.push(...alignColumns([['PHASE', 'STEP', 'EXPOSURE', 'DURATION', 'GATES NEED', 'PER HOUR', 'EXTRA/H', 'COST', ''], ...rows]));
  lines.push('(GATES NEED: candidate requests before every gate can pass, for a candidate equal to its baseline; a step lasts at least that long)');
  lines.push('');
  if (r.keepWarm.onRoute) lines.push('keep warm:  0 (a route\'s destinations are services of their own: moving its weights scales none down)');
  else if (r.keepWarm.hours > 0) lines.push(`keep warm:  ${money(r.keepWarm.cost)} (baseline replicas for rollback.keepWarm ${r.keepWarm.duration})`);
  else lines.push('keep warm:  0 (no rollback.keepWarm: rollback after promotion is a cold start)');
  lines.push(`total:      ${money(r.totalCost)} over ${hoursText(r.totalHours)}, peak ${money(r.peakPerHour)}/h`);
  if (r.maxDurationFirst) lines.push(`ends first: ${endsFirstText(r, r.maxDurationFirst)}`);
  const b = r.budget;
  if (b.maxCostPerHour === undefined) lines.push('budget:     no budget.maxCostPerHour set');
  else if (b.firstOverBudget) {
    const f = b.firstOverBudget;
    const row = r.steps.find((s) => s.phaseIndex === f.phaseIndex && s.stepIndex === f.stepIndex)!;
    const step = stepLabel(r, row) === '-' ? '' : ` step ${stepLabel(r, row)}`;
    lines.push(`budget:     EXCEEDED: phase ${f.phaseIndex + 1}${step} (${f.exposure}) would cost ${money(f.perHour)}/h, over budget.maxCostPerHour ${b.maxCostPerHour}; the controller pauses the plan before that step${r.baselineOnlyPerHour > b.maxCostPerHour ? ` (the baseline alone already costs ${money(r.baselineOnlyPerHour)}/h)` : ''}`);
  } else lines.push(`budget:     within budget.maxCostPerHour ${b.maxCostPerHour} (peak ${money(r.peakPerHour)}/h)`);
  return lines.join('\n');
}
