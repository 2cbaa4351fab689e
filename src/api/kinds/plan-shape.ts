// A TrafficPlan's shape: what a running plan's position (phase and step), evidence and split refer
// to. The API server refuses a change to it (admission); on a cluster, whose API server runs no
// Switchyard admission, the controller compares the shape it recorded at start and pauses instead.
import { PHASE_KINDS } from './trafficplan.ts';

type PhaseLike = { canary?: { steps?: number[] }; shadow?: { percent?: number }; abTest?: { percent?: number }; bandit?: { arms?: string[] }; blueGreen?: { preview?: { tag?: string } } } & Record<string, unknown>;
export type ShapedSpec = { target?: unknown; candidate?: unknown; phases?: PhaseLike[] } | undefined;

/** One value per field: the target, the candidate, the phases' kinds and the traffic each moves (steps, shares, arms, preview tag). */
export type PlanShape = Record<string, string>;

/**
 * Gates, holds, exits, durations, budgets and the window are not part of it: they may change
 * under a running plan.
 */
export function planShape(spec: ShapedSpec): PlanShape {
  const out: PlanShape = { 'spec.target': JSON.stringify(spec?.target), 'spec.candidate': JSON.stringify(spec?.candidate) };
  const phases = spec?.phases ?? [];
  out['spec.phases'] = `${phases.length} phases`;
  phases.forEach((p, i) => {
    out[`spec.phases[${i}]`] = PHASE_KINDS.find((k) => p[k] !== undefined) ?? 'unknown';
    if (p.canary) out[`spec.phases[${i}].canary.steps`] = JSON.stringify(p.canary.steps);
    if (p.shadow) out[`spec.phases[${i}].shadow.percent`] = String(p.shadow.percent);
    if (p.abTest) out[`spec.phases[${i}].abTest.percent`] = String(p.abTest.percent ?? 50);
    if (p.bandit) out[`spec.phases[${i}].bandit.arms`] = JSON.stringify(p.bandit.arms);
    if (p.blueGreen) out[`spec.phases[${i}].blueGreen.preview.tag`] = p.blueGreen.preview?.tag ?? 'latest';
  });
  return out;
}

/** The fields whose value differs; a phase whose kind changed, or that came or went, is one field, not one per field inside it. */
export function shapeChanges(before: PlanShape, after: PlanShape): string[] {
  const changed: string[] = [];
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[field] === after[field]) continue;
    const phaseField = /^spec\.phases\[\d+\]/.exec(field)?.[0];
    if (phaseField && phaseField !== field && before[phaseField] !== after[phaseField]) continue;
    changed.push(field);
  }
  return changed;
}
