// Lint of a TrafficPlan for the seeds' anti-patterns. Each finding says what
// is wrong and what to do about it; blocking findings make `apply` refuse the
// plan unless the annotation LINT_OVERRIDE_ANNOTATION lists their ids.
// The input is loose on purpose: lint also explains half-written files.
import type { TrafficPlanSpec } from '../api/kinds/trafficplan.ts';
import { optionalDurationMs as goDurationMs } from '../core/duration.ts';
import { stepHours } from './cost.ts';
import { forecastPlan, type StepForecast } from './forecast.ts';
import { HEALTH_METRICS, OUTPUT_METRICS, alphaShares } from './gates.ts';
import { PAIRED_METRICS } from './gate-pairs.ts';

export const LINT_OVERRIDE_ANNOTATION = 'switchyard.dev/lint-override';

export interface LintFinding {
  id: string;
  severity: 'blocking' | 'warning';
  message: string;
  field: string;
  /** True when the override annotation names this finding. */
  overridden?: boolean;
}

type Hold = { minRequests?: number } | undefined;
interface PlanLike {
  metadata?: { annotations?: Record<string, string> | undefined };
  spec?: {
    owner?: { team?: string } | undefined;
    target?: { virtualService?: unknown } | undefined;
    cohorts?: { strata?: unknown[] | undefined; exclude?: unknown[] | undefined } | undefined;
    phases?: Array<{
      shadow?: { exit?: { pairedRequests?: number; maxDuration?: string } | undefined } | undefined;
      canary?: { hold?: Hold } | undefined;
      blueGreen?: { hold?: Hold } | undefined;
      abTest?: { hold?: Hold; minRequestsPerArm?: number; baselineRate?: number; minDetectableEffect?: number; maxDuration?: string; primary?: { outcome?: { aggregate?: string } } } | undefined;
      bandit?: { rewardFreshness?: string; reward?: string | { kind?: string; zeroAfter?: string }; maxDuration?: string } | undefined;
    }> | undefined;
    gates?: Array<{ metric: string; name?: string; bySlice?: string; outcome?: unknown; provider?: { prometheus?: { query?: string | undefined; events?: string | undefined } } }> | undefined;
    candidate?: { revision?: string } | undefined;
    maxDuration?: string | undefined;
    rollback?: { onGateFailure?: boolean; keepWarm?: string } | undefined;
  } | undefined;
}

/** Ids listed in the override annotation ("no-end, keepwarm-zero"). */
export function overriddenIds(plan: PlanLike): Set<string> {
  const text = plan.metadata?.annotations?.[LINT_OVERRIDE_ANNOTATION] ?? '';
  return new Set(text.split(',').map((s) => s.trim()).filter(Boolean));
}

// A query that selects the candidate alone returns nothing once the candidate is dead,
// and nothing is nodata, which never rolls back.
const CANDIDATE_SELECTOR = /(revision|version|variant|tag)\s*=~?\s*"[^"]*(candidate|canary|latest)[^"]*"/i;

export function lintPlan(plan: PlanLike): LintFinding[] {
  const spec = plan.spec ?? {};
  const out: LintFinding[] = [];
  const find = (id: string, severity: LintFinding['severity'], field: string, message: string) => out.push({ id, severity, field, message });
  const phases = spec.phases ?? [];
  const gates = spec.gates ?? [];

  if (!spec.owner?.team) find('no-owner', 'blocking', 'spec.owner.team', 'No owner: name the team accountable for this rollout (spec.owner.team) so someone answers for its pages and decisions.');
  if (!spec.maxDuration) {
    // A phase's own maxDuration ends that phase's experiment, not a pause (an SRM pause, an operator's): only the plan's ends those.
    const phased = phases.length > 0 && phases.every((p) => p.abTest?.maxDuration ?? p.bandit?.maxDuration ?? p.shadow?.exit?.maxDuration);
    find('no-end', 'blocking', 'spec.maxDuration', phased
      ? 'No end for the plan: its phases\' own maxDuration end their experiments, but not a pause (a sample-ratio mismatch, an operator\'s pause), which would hold the split for ever. Set spec.maxDuration (e.g. 24h) as well.'
      : 'No end: set spec.maxDuration (e.g. 24h) so a rollout that never decides is aborted instead of running as a permanent split.');
  }

  if (gates.length === 0) find('no-gates', 'blocking', 'spec.gates', 'No gates: nothing can stop this rollout. Add health gates (errorRate, latencyP99Ms; clientErrorRate when the candidate might reject requests the baseline answers) and output gates (outputPSI, classRateDelta, invalidOutputRate).');
  else if (!gates.some((g) => OUTPUT_METRICS.has(g.metric) || g.outcome !== undefined)) {
    // An outcome gate judges what the model's answers led to; an A/B test's primary metric too, and a custom
    // gate may: only a plan whose every gate is a health metric is refused, the others are told.
    const health = gates.every((g) => HEALTH_METRICS.has(g.metric)) && !phases.some((p) => p.abTest);
    find('health-only-gates', health ? 'blocking' : 'warning', 'spec.gates', health
      ? 'Gates only check service health: a model can be fast, stable and wrong. Add a gate on model output, e.g. {metric: classRateDelta, max: 0.05} or {metric: outputPSI, max: 0.2}.'
      : 'No gate on model output: a model can be fast, stable and wrong, and outcomes come late. Add one, e.g. {metric: classRateDelta, max: 0.05} or {metric: outputPSI, max: 0.2}.');
  }

  phases.forEach((ph, i) => {
    const at = `spec.phases[${i}]`;
    const hold = ph.canary?.hold ?? ph.blueGreen?.hold ?? ph.abTest?.hold;
    if (ph.canary && !hold?.minRequests) {
      find('no-request-budget', 'blocking', `${at}.canary.hold.minRequests`, 'No request budget: set hold.minRequests so a step advances on enough evidence, not on a quiet minute with a handful of requests.');
    }
    if (ph.abTest && !ph.abTest.minRequestsPerArm && !(ph.abTest.baselineRate && ph.abTest.minDetectableEffect)) {
      const aggregate = ph.abTest.primary?.outcome?.aggregate ?? 'conversion';
      find('no-request-budget', 'blocking', `${at}.abTest.minRequestsPerArm`, aggregate === 'conversion'
        ? 'An A/B test without a size has no fixed end: set minRequestsPerArm (units per arm), or baselineRate and minDetectableEffect to derive it (power.prop.test).'
        : `An A/B test without a size has no fixed end: set minRequestsPerArm (units per arm). A ${aggregate}'s size depends on its spread: size it from past data (n ≈ 16·σ²/δ² per arm for α 0.05 and power 0.8, δ the smallest absolute difference worth detecting).`);
    }
    if (ph.shadow && !ph.shadow.exit?.pairedRequests && !ph.shadow.exit?.maxDuration) {
      find('shadow-no-exit', 'blocking', `${at}.shadow.exit`, 'Shadow without exit: set exit.pairedRequests or exit.maxDuration, otherwise the shadow becomes a second production path that costs money forever.');
    }
    if (ph.bandit && !ph.bandit.rewardFreshness) {
      find('bandit-no-reward-freshness', 'blocking', `${at}.bandit.rewardFreshness`, 'Bandit without reward freshness: set rewardFreshness (e.g. 15m) so allocation freezes when rewards are late or missing instead of learning from stale feedback.');
    }
    const reward = ph.bandit?.reward;
    if (ph.bandit && (typeof reward !== 'object' || (reward.kind ?? 'binary') === 'binary') && (typeof reward !== 'object' || !reward.zeroAfter)) {
      find('bandit-explicit-zeros', 'warning', `${at}.bandit.reward`, 'Binary reward without zeroAfter: only posted 0 events count as "no click". If the application posts only the clicks, every arm reads a rate of 1 and the bandit learns nothing: set reward: {metric: click, zeroAfter: 30m} (an assignment with no reward by then counts 0).');
    }
  });

  const shadowed = phases.some((ph) => ph.shadow);
  gates.forEach((g, i) => {
    if (PAIRED_METRICS.has(g.metric) && !g.provider && !shadowed) {
      find('paired-gate-without-shadow', 'blocking', `spec.gates[${i}].metric`, `Gate ${g.name ?? g.metric} judges shadow pairs (the baseline's and the candidate's answers to the same request), but the plan has no shadow phase: it could never be judged. Add a shadow phase before the canary, or gate on an unpaired metric.`);
    }
  });

  const strata = spec.cohorts?.strata ?? [];
  // On a VirtualService target the route's own matches decide which traffic takes part (strata and exclusions are refused there).
  const routeDecides = spec.target?.virtualService !== undefined;
  if (!routeDecides && strata.length === 0 && (spec.cohorts?.exclude ?? []).length === 0) {
    find('mixed-traffic', 'warning', 'spec.cohorts', 'All traffic types are mixed: add cohorts.strata (e.g. tier) or cohorts.exclude for bots and synthetic probes, or their behaviour will hide each other.');
  } else if (strata.length > 0 && gates.length > 0 && !gates.some((g) => g.bySlice)) {
    find('no-slice-gates', 'warning', 'spec.gates', 'Strata are defined but no gate uses bySlice: harm inside one slice can hide behind a good global metric. Add bySlice to an output gate.');
  }

  if (spec.rollback?.onGateFailure === false) {
    find('rollback-disabled', 'blocking', 'spec.rollback.onGateFailure', 'Automatic rollback is off: a failing gate only pauses the plan and the candidate keeps its traffic until a person acts. Set rollback.onGateFailure: true.');
  }
  gates.forEach((g, i) => {
    const field = g.provider?.prometheus?.query !== undefined ? 'query' : 'events';
    const q = g.provider?.prometheus?.query ?? g.provider?.prometheus?.events;
    const candidateOnly = q !== undefined && (CANDIDATE_SELECTOR.test(q) || (spec.candidate?.revision !== undefined && q.includes(spec.candidate.revision)));
    if (candidateOnly && !/\bor\b/.test(q)) {
      find('rollback-depends-on-candidate', 'blocking', `spec.gates[${i}].provider.prometheus.${field}`, 'This gate query only sees the candidate: if the candidate dies its series vanish, the gate reads nodata and never rolls back. Compare against the baseline or add a fallback (`or vector(1)`) so silence fails.');
    }
  });

  const keepWarm = spec.rollback?.keepWarm;
  // A route's destinations are services of their own, which keep their replicas: keepWarm acts on an InferenceService's revisions.
  if (!routeDecides) {
    if (keepWarm === undefined) find('no-keepwarm', 'warning', 'spec.rollback.keepWarm', 'No keepWarm: the previous revision may scale down at promotion, making rollback a cold deployment. Set rollback.keepWarm (e.g. 24h).');
    else if ((goDurationMs(keepWarm) ?? 0) === 0) find('keepwarm-zero', 'blocking', 'spec.rollback.keepWarm', 'keepWarm is zero: the rollback target is dropped at promotion, so rolling back means a cold start. Keep it warm for the rollback window (e.g. 24h).');
  }

  const overrides = overriddenIds(plan);
  for (const f of out) if (overrides.has(f.id)) f.overridden = true;
  return out;
}

/** Findings that make apply refuse the plan: blocking and not overridden. */
export function blockingFindings(findings: readonly LintFinding[]): LintFinding[] {
  return findings.filter((f) => f.severity === 'blocking' && !f.overridden);
}

/**
 * A canary step advances once its gates pass AND its hold is met: its requests are at least
 * hold.minRequests (named as the slowest when they decide), and its time at least minDuration and
 * passingWindows × window (cost.ts's stepHours). A blue/green preview gets the request floor only.
 */
function withHolds(spec: TrafficPlanSpec, steps: StepForecast[], rps: number | undefined): StepForecast[] {
  const windowMs = goDurationMs(spec.window) ?? 60_000;
  return steps.map((s) => {
    const ph = spec.phases[s.phaseIndex];
    const hold = ph?.canary?.hold ?? ph?.blueGreen?.hold;
    if (!hold || s.requests === undefined) return s;
    const floor = hold.minRequests ?? 0;
    const out = floor > s.requests ? { ...s, requests: floor, slowest: 'hold.minRequests' } : { ...s };
    if (ph?.canary && rps !== undefined && rps > 0) out.seconds = stepHours(hold, windowMs, (rps * s.percent) / 100, out.requests) * 3600;
    return out;
  });
}

/** A plan's predicted decisions: per step what its gates need, and findings where a step cannot decide in time. */
export interface DecisionLint {
  rps?: number;
  steps: StepForecast[];
  findings: LintFinding[];
}

const hoursOf = (s: number) => (s < 120 ? `${Math.round(s)}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);

/**
 * What the gates need before each step can pass, for a clean candidate equal
 * to its baseline (forecast.ts), at `rps` requests per second in total.
 * Warns when the whole run cannot fit in maxDuration, when budget.maxRequests
 * runs out first, or when a gate can never pass.
 */
export function decisionLint(spec: TrafficPlanSpec, rps: number | undefined): DecisionLint {
  const steps = withHolds(spec, forecastPlan(spec, alphaShares(spec), rps), rps);
  const findings: LintFinding[] = [];
  const find = (id: string, field: string, message: string) => findings.push({ id, severity: 'warning', field, message });
  const named = new Set<string>();
  for (const s of steps) {
    for (const g of s.gates) {
      if (g.moreRequests !== undefined || named.has(g.gate)) continue;
      named.add(g.gate);
      const i = (spec.gates ?? []).findIndex((x) => (x.name ?? x.metric) === g.gate);
      find('gate-cannot-pass', `spec.gates[${i}]`, `Gate ${g.gate} cannot pass even for a candidate equal to its baseline (${g.reason}). Loosen its threshold or give it a pass band that a healthy model meets.`);
    }
  }
  const seconds = steps.reduce((a, s) => a + (s.seconds ?? 0), 0);
  const max = goDurationMs(spec.maxDuration);
  if (rps !== undefined && max !== undefined && seconds * 1000 > max) {
    const slow = [...steps].sort((a, b) => (b.seconds ?? 0) - (a.seconds ?? 0))[0]!;
    const what = slow.slowest?.startsWith('hold.') ? `its ${slow.slowest}` : `gate ${slow.slowest}`;
    find('undecidable-in-max-duration', 'spec.maxDuration', `At ${rps} req/s the steps need about ${hoursOf(seconds)} to pass their gates and holds, longer than maxDuration ${spec.maxDuration}: the plan would abort without a decision. The slowest is phase ${slow.phaseIndex + 1} step ${slow.stepIndex + 1} at ${slow.percent}%: ${slow.requests} candidate requests (${what}), about ${hoursOf(slow.seconds ?? 0)}. Raise maxDuration, start with a larger first step, lower the hold, or widen the slowest gate's threshold.`);
  }
  const requests = steps.reduce((a, s) => a + (s.requests ?? 0), 0);
  const budget = spec.budget?.maxRequests;
  if (budget !== undefined && requests > budget) {
    find('undecidable-in-request-budget', 'spec.budget.maxRequests', `The gates need about ${requests} candidate requests to pass every step, more than budget.maxRequests ${budget}: the plan would abort without a decision. Raise the budget or widen the slowest gates' thresholds.`);
  }
  return { ...(rps !== undefined ? { rps } : {}), steps, findings };
}
