// What `switchyard plan report` prints: a plan's experiment — the A/B test's
// arms (units, events, rate or mean with its interval), the lift (absolute
// and relative, with intervals), the p-value, SRM, the guardrails and the
// decision with why; a shadow's pairs and confusion matrix. Pure functions
// of the plan object, like plan-view.ts.
import { alignColumns } from './table.ts';
import { formatNumber, shadowRows, type PlanObject } from './plan-view.ts';

interface Arm { units: number; events: number; converted?: number; value?: number; interval?: [number, number] }
interface Experiment {
  baseline: Arm; candidate: Arm;
  absolute?: { value: number; interval: [number, number] }; relative?: { value: number; interval: [number, number] };
  pValue?: number; srm: { chi2: number; pValue: number; sequentialPValue?: number; mismatch: boolean; expected: number[] };
  horizon: { unitsPerArm?: number; reached: boolean }; decision?: string; reason: string;
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${formatNumber(Math.round(x * 10000) / 100)}%`);
const iv = (i: [number, number] | undefined, f: (x: number) => string) => (i ? `[${f(i[0])}, ${f(i[1])}]` : '-');

export function renderPlanReport(plan: PlanObject): string {
  const s = (plan.status ?? {}) as Record<string, unknown>;
  const lines = [`TrafficPlan ${plan.metadata?.name ?? ''}${plan.metadata?.namespace ? ` (namespace ${plan.metadata.namespace})` : ''}: ${String(s.phase ?? 'Pending')}`];
  const ab = s.experiment as Experiment | undefined;
  const phases = plan.spec?.phases ?? [];
  const abSpec = phases.find((p) => p.abTest)?.abTest as { primary?: { metric?: string; outcome?: { aggregate?: string; per?: string } }; sequential?: boolean } | undefined;
  if (ab) {
    const agg = abSpec?.primary?.outcome?.aggregate ?? 'conversion';
    const f = agg === 'conversion' ? pct : (x: number) => formatNumber(x);
    lines.push('', `A/B test on ${abSpec?.primary?.metric ?? '?'} (${agg} per ${abSpec?.primary?.outcome?.per ?? 'unit'}, ${abSpec?.sequential ? 'sequential' : 'fixed horizon'}${ab.horizon.unitsPerArm ? `, ${ab.horizon.unitsPerArm} units per arm` : ''}):`);
    // A conversion's numerator is the converted units, not the events: a shop may post zeros too.
    const conv = agg === 'conversion';
    const row = (name: string, a: Arm) => [`  ${name}`, String(a.units), String(a.events), ...(conv ? [String(a.converted ?? '-')] : []), a.value === undefined ? '-' : f(a.value), iv(a.interval, f)];
    lines.push(...alignColumns([['  ARM', 'UNITS', 'EVENTS', ...(conv ? ['CONVERTED', 'RATE'] : ['VALUE']), 'INTERVAL'], row('baseline', ab.baseline), row('candidate', ab.candidate)]));
    if (ab.absolute) lines.push(`  lift:      ${f(ab.absolute.value)} ${iv(ab.absolute.interval, f)} absolute${ab.relative ? `, ${pct(ab.relative.value)} ${iv(ab.relative.interval, pct)} relative` : ''}`);
    if (ab.pValue !== undefined) lines.push(`  p-value:   ${ab.pValue.toPrecision(3)}${abSpec?.sequential ? ' (always valid)' : ''}`);
    const always = ab.srm.sequentialPValue !== undefined ? `, always-valid p ${ab.srm.sequentialPValue.toPrecision(3)}` : '';
    lines.push(`  SRM:       χ² ${ab.srm.chi2.toFixed(2)}, p ${ab.srm.pValue.toPrecision(3)}${always}${ab.srm.mismatch ? ' — MISMATCH: the assignment is broken' : ' (no mismatch)'}; expected ${ab.srm.expected.map((x) => x.toFixed(0)).join(' / ')}`);
    lines.push(`  decision:  ${ab.decision ?? 'none yet'}: ${ab.reason}`);
  }
  const shadow = s.shadow as Parameters<typeof shadowRows>[0] | undefined;
  if (shadow) lines.push('', ...shadowRows(shadow));
  const gates = (s.gates ?? []) as Array<{ metric: string; name?: string; slice?: string; verdict?: string; value?: number; threshold?: string; skipped?: boolean }>;
  if (gates.length > 0) {
    lines.push('', ab ? 'Guardrails:' : 'Gates:');
    // A paired gate is judged in the shadow only; once the shadow passed, so had it.
    const skipped = shadow?.verdict === 'passed' ? 'pass (in shadow)' : 'skipped';
    lines.push(...alignColumns([['  GATE', 'VALUE', 'THRESHOLD', 'VERDICT'], ...gates.map((g) => [`  ${g.name ?? g.metric}${g.slice ? ` [${g.slice}]` : ''}`, formatNumber(g.value), g.threshold ?? '-', g.skipped ? skipped : (g.verdict ?? '-')])]));
  }
  const bandit = s.bandit as { algorithm: string; version: number; learning: boolean; hold?: string; valueRemaining?: number; result?: string; promotionWaits?: string; arms: Array<{ name: string; fallback: boolean; weight: number; rewards: number; rewardRate?: number; pending: number; probabilityBest?: number; rewardInterval?: [number, number]; frozen?: boolean; frozenWhy?: string; ips?: number; ipsSe?: number; snips?: number; logged?: number }> } | undefined;
  if (bandit) {
    lines.push('', `Bandit (${bandit.algorithm}, allocation v${bandit.version}, learning ${bandit.learning ? 'on' : 'OFF'}${bandit.hold ? `, held: ${bandit.hold}` : ''}${bandit.result ? `, result: ${bandit.result}` : ''}):`);
    lines.push(...alignColumns([['  ARM', 'SHARE', 'REWARDS', 'RATE', 'INTERVAL', 'PENDING', 'P(BEST)', ''], ...bandit.arms.map((a) => [
      `  ${a.name}${a.fallback ? ' (fallback)' : ''}`, pct(a.weight), String(a.rewards), a.rewardRate === undefined ? '-' : formatNumber(a.rewardRate),
      a.rewardInterval ? `[${formatNumber(a.rewardInterval[0])}, ${formatNumber(a.rewardInterval[1])}]` : '-', String(a.pending),
      a.probabilityBest === undefined ? '-' : pct(a.probabilityBest), a.frozen ? `FROZEN: ${a.frozenWhy ?? ''}` : '',
    ])]));
    lines.push('  (INTERVAL: the arm\'s mean reward, always valid; an arm is promoted only once its interval lies above the fallback\'s.)');
    if (bandit.arms.some((a) => a.ips !== undefined)) {
      lines.push('', '  Off-policy estimates of each arm\'s mean reward had it served everything (from the logged propensities):');
      if (bandit.arms.some((a) => (a.logged ?? 0) < a.rewards)) lines.push('  (LOGGED counts answers an allocation assigned, with their propensity; answers served on the route\'s own weights before the first allocation have none, so REWARDS can be higher.)');
      lines.push(...alignColumns([['  ARM', 'LOGGED', 'IPS', '± SE', 'SNIPS'], ...bandit.arms.map((a) => [
        `  ${a.name}`, String(a.logged ?? 0), formatNumber(a.ips), a.ipsSe === undefined ? '-' : formatNumber(a.ipsSe), formatNumber(a.snips),
      ])]));
    }
    if (bandit.promotionWaits) lines.push(`  ${bandit.promotionWaits}`);
    if (bandit.valueRemaining !== undefined) lines.push(`  value remaining: ${formatNumber(bandit.valueRemaining)} (the relative regret the other arms could still win back, 95th percentile)`);
  }
  if (!ab && !shadow && !bandit) {
    // A plan of canary or blueGreen steps only has nothing more than its gates; one with an experiment phase may not have reached it.
    const experiment = phases.some((p) => p.abTest || p.shadow || p.bandit);
    lines.push('', experiment ? 'No experiment to report yet: a report appears once an abTest, shadow or bandit phase has judged something.'
      : `No experiment in this plan (its phases: ${phases.map((p) => Object.keys(p).find((k) => p[k as keyof typeof p] !== undefined) ?? '?').join(', ') || 'none'}): its gates are the report; \`plan status\` shows their intervals, \`get events\` its transitions.`);
  }
  return lines.join('\n');
}
