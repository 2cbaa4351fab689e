// What a TrafficPlan costs: per hour at each step and for the whole plan.
// Units: money is whatever currency the inputs use (per request and per
// replica-hour), rates are requests per second, durations are hours.
//
// Two postures for a canary (the seeds ask to name which one is used):
//   comparison: the baseline answers every request and the candidate is also
//               evaluated on the canary share → (1 + pct) × baseline inference;
//   split:      each request goes to one model → (1 − pct)·baseline + pct·candidate.
// A shadow copies `percent` of requests to the candidate on top of the
// baseline → baseline × (1 + sample × candidateCost / baselineCost).
// Warm replicas cost replicas × per-replica-hour for every variant kept up.
import type { TrafficPlanSpec } from '../api/kinds/trafficplan.ts';
import { optionalDurationMs as goDurationMs } from '../core/duration.ts';

export interface CostInputs {
  /** Requests per second reaching the target. */
  requestsPerSecond: number;
  baselineCostPerRequest: number;
  /** Defaults to the baseline's cost per request. */
  candidateCostPerRequest?: number;
  baselineReplicas: number;
  candidateReplicas: number;
  /** Cost of one warm replica for one hour (either variant). */
  costPerReplicaHour: number;
  /** Default 'comparison', the seeds' canary cost lens. */
  posture?: 'comparison' | 'split';
}

export type Exposure =
  | { kind: 'baseline' }
  | { kind: 'canary'; percent: number }
  | { kind: 'shadow'; percent: number }
  | { kind: 'blueGreen' }
  /** Each request answered by one of `arms` arms (the baseline among them), priced at equal shares: where the allocation starts. */
  | { kind: 'bandit'; arms: number; atLeast?: boolean };

export interface HourlyCost {
  inference: number;
  replicas: number;
  total: number;
  /** total minus running the baseline alone. */
  incremental: number;
}

export function costPerHour(inputs: CostInputs, exposure: Exposure): HourlyCost {
  const perHour = inputs.requestsPerSecond * 3600;
  const base = inputs.baselineCostPerRequest;
  const cand = inputs.candidateCostPerRequest ?? base;
  const baselineOnly = perHour * base + inputs.baselineReplicas * inputs.costPerReplicaHour;
  let inference = perHour * base;
  let replicas = (inputs.baselineReplicas + inputs.candidateReplicas) * inputs.costPerReplicaHour;
  if (exposure.kind === 'baseline') replicas = inputs.baselineReplicas * inputs.costPerReplicaHour;
  else if (exposure.kind === 'bandit') {
    const others = exposure.arms - 1;
    inference = perHour * (base + others * cand) / exposure.arms;
    replicas = (inputs.baselineReplicas + others * inputs.candidateReplicas) * inputs.costPerReplicaHour;
  }
  else if (exposure.kind === 'shadow') inference = perHour * (base + (exposure.percent / 100) * cand);
  else if (exposure.kind === 'canary') {
    const p = exposure.percent / 100;
    inference = (inputs.posture ?? 'comparison') === 'comparison' ? perHour * (base + p * cand) : perHour * ((1 - p) * base + p * cand);
  }
  const total = inference + replicas;
  return { inference, replicas, total, incremental: total - baselineOnly };
}

export interface StepCost {
  phaseIndex: number;
  stepIndex: number;
  exposure: Exposure;
  /** Expected time in the step: the longest of minDuration, passingWindows × window, and the time to collect minRequests. */
  hours: number;
  perHour: HourlyCost;
  cost: number;
}

export interface PlanCost {
  steps: StepCost[];
  /** Time the previous revision stays warm after promotion, and what that costs. */
  keepWarm: { hours: number; cost: number };
  totalHours: number;
  totalCost: number;
  peakPerHour: number;
}

type Hold = { minRequests?: number; passingWindows?: number; minDuration?: string } | undefined;

/** Hours a step lasts: the longest of minDuration, passingWindows × window, and collecting max(minRequests, decision) candidate requests. */
export function stepHours(hold: Hold, windowMs: number, candidateRps: number, decision = 0): number {
  const byTime = goDurationMs(hold?.minDuration) ?? 0;
  const byWindows = (hold?.passingWindows ?? 1) * windowMs;
  const requests = Math.max(hold?.minRequests ?? 0, decision);
  const byRequests = requests > 0 ? (candidateRps > 0 ? (requests / candidateRps) * 1000 : Infinity) : 0;
  return Math.max(byTime, byWindows, byRequests) / 3_600_000;
}

/** Candidate requests a step's gates need before they can pass (forecast.ts); undefined when unknown. */
export type DecisionRequests = (phaseIndex: number, stepIndex: number) => number | undefined;

/**
 * Every step of every phase with its expected duration and cost (shadow ends at its exit; abTest runs
 * to its maxDuration). With `decisions`, a canary step also lasts until its gates can pass, and a
 * bandit until its stop rule can end it (else to its maxDuration).
 */
export function planCost(spec: Pick<TrafficPlanSpec, 'phases' | 'window' | 'rollback'> & { target?: TrafficPlanSpec['target'] }, inputs: CostInputs, decisions?: DecisionRequests): PlanCost {
  const windowMs = goDurationMs(spec.window) ?? 60_000;
  const rps = inputs.requestsPerSecond;
  const steps: StepCost[] = [];
  const add = (phaseIndex: number, stepIndex: number, exposure: Exposure, hours: number) => {
    const perHour = costPerHour(inputs, exposure);
    steps.push({ phaseIndex, stepIndex, exposure, hours, perHour, cost: perHour.total * hours });
  };
  spec.phases.forEach((ph, i) => {
    if (ph.canary) ph.canary.steps.forEach((pct, s) => add(i, s, { kind: 'canary', percent: pct }, stepHours(ph.canary!.hold, windowMs, (rps * pct) / 100, decisions?.(i, s))));
    else if (ph.blueGreen) add(i, 0, { kind: 'blueGreen' }, stepHours({ ...ph.blueGreen.hold, minRequests: undefined }, windowMs, 0));
    else if (ph.shadow) {
      const byPairs = ph.shadow.exit?.pairedRequests ? ph.shadow.exit.pairedRequests / ((rps * ph.shadow.percent) / 100) / 3600 : Infinity;
      const byTime = (goDurationMs(ph.shadow.exit?.maxDuration) ?? Infinity) / 3_600_000;
      add(i, 0, { kind: 'shadow', percent: ph.shadow.percent }, Math.min(byPairs, byTime));
    } else if (ph.abTest) add(i, 0, { kind: 'canary', percent: ph.abTest.percent ?? 50 }, (goDurationMs(ph.abTest.maxDuration) ?? Infinity) / 3_600_000);
    else if (ph.bandit) {
      // Until its stop rule can end it (decisions: requests at equal shares), else its maxDuration.
      // A route's arms are its destinations unless the phase names them: not known here, priced as 2 (at least).
      const arms = ph.bandit.arms?.length ?? (spec.target?.virtualService !== undefined ? undefined : 2);
      const requests = arms !== undefined ? decisions?.(i, 0) : undefined;
      const byTime = (goDurationMs(ph.bandit.maxDuration) ?? Infinity) / 3_600_000;
      add(i, 0, { kind: 'bandit', arms: arms ?? 2, ...(arms === undefined ? { atLeast: true } : {}) }, requests !== undefined && rps > 0 ? Math.min(byTime, requests / rps / 3600) : byTime);
    }
  });
  // A route's destinations are services of their own: nothing is scaled down, so nothing is kept warm.
  const warmHours = spec.target?.virtualService !== undefined ? 0 : (goDurationMs(spec.rollback.keepWarm) ?? 0) / 3_600_000;
  const keepWarm = { hours: warmHours, cost: warmHours * inputs.baselineReplicas * inputs.costPerReplicaHour };
  const totalHours = steps.reduce((a, s) => a + s.hours, 0);
  const totalCost = steps.reduce((a, s) => a + s.cost, 0) + keepWarm.cost;
  return { steps, keepWarm, totalHours, totalCost, peakPerHour: Math.max(0, ...steps.map((s) => s.perHour.total)) };
}

export interface BudgetCheck {
  exceeded: boolean;
  perHour: number;
  maxCostPerHour: number | undefined;
}

/** Whether the plan's step (phase index, step index) would spend more per hour than budget.maxCostPerHour. */
export function budgetExceeded(spec: Pick<TrafficPlanSpec, 'phases' | 'window' | 'rollback' | 'budget'>, inputs: CostInputs, phaseIndex: number, stepIndex: number): BudgetCheck {
  const step = planCost(spec, inputs).steps.find((s) => s.phaseIndex === phaseIndex && s.stepIndex === stepIndex);
  const perHour = step?.perHour.total ?? costPerHour(inputs, { kind: 'baseline' }).total;
  const max = spec.budget?.maxCostPerHour;
  return { exceeded: max !== undefined && perHour > max, perHour, maxCostPerHour: max };
}
