// `switchyard lint FILE...`: checks TrafficPlans offline, first against the
// schema (the same one the API server applies), then for the seeds'
// anti-patterns (src/analysis/lint.ts). Exit 1 on any schema error or any
// blocking finding that the override annotation does not list, i.e. exactly
// when `apply` would refuse the plan.
import type { Command } from 'commander';
import { findByKind } from '../../api/registry.ts';
import { validateObject } from '../../api/validate.ts';
import { LINT_OVERRIDE_ANNOTATION, blockingFindings, decisionLint, lintPlan, type DecisionLint, type LintFinding } from '../../analysis/lint.ts';
import { trafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import { syError, type SwitchyardError } from '../../core/errors.ts';
import { collect, filesOf } from './apply.ts';
import { run, type CliContext } from '../context.ts';
import { readManifests, type Manifest } from '../manifests.ts';
import { formatData, parseDataFormat } from '../output.ts';
import { formatError } from '../status.ts';
import { alignColumns } from '../table.ts';

export interface PlanLint {
  source: string;
  name: string;
  namespace?: string;
  /** Schema errors: field and message, as the API server would report them. */
  errors: Array<{ field: string; message: string }>;
  findings: LintFinding[];
  blocking: number;
  ok: boolean;
  /** Per step, what the gates need before they can pass (a valid plan only). */
  decisions?: DecisionLint;
}

export interface LintReport {
  plans: PlanLint[];
  /** Documents that are not TrafficPlans. */
  skipped: Array<{ source: string; note: string }>;
  /** Documents that could not be read (YAML errors, no apiVersion, kind or name). */
  unreadable: Array<{ source: string; error: SwitchyardError }>;
  ok: boolean;
}

const PLAN_INFO = findByKind('switchyard.dev/v1alpha1', 'TrafficPlan')!;

function lintOne(source: string, obj: Record<string, unknown>, rps: number | undefined): PlanLint {
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  const result = validateObject(PLAN_INFO, obj);
  const errors = result.ok ? [] : result.causes.map((c) => ({ field: c.field, message: c.message }));
  let findings: LintFinding[] = [];
  try {
    findings = lintPlan(obj as Parameters<typeof lintPlan>[0]);
  } catch {
    // A plan too malformed to lint: its schema errors say why.
  }
  let decisions: DecisionLint | undefined;
  if (errors.length === 0) {
    const spec = trafficPlanSpec.parse(obj.spec);
    decisions = decisionLint(spec, rps ?? spec.cost?.requestsPerSecond);
    findings.push(...decisions.findings);
  }
  const blocking = blockingFindings(findings).length;
  return { source, name: String(meta.name ?? ''), ...(meta.namespace ? { namespace: meta.namespace } : {}), errors, findings, blocking, ok: errors.length === 0 && blocking === 0, ...(decisions ? { decisions } : {}) };
}

export function lintManifests(manifests: Manifest[], rps?: number): LintReport {
  const plans: PlanLint[] = [];
  const skipped: LintReport['skipped'] = [];
  const unreadable: LintReport['unreadable'] = [];
  for (const m of manifests) {
    if (m.error) unreadable.push({ source: m.source, error: m.error });
    else if (m.object!.kind !== 'TrafficPlan') {
      const name = (m.object!.metadata as { name?: string } | undefined)?.name ?? '';
      skipped.push({ source: m.source, note: `${m.source}: ${String(m.object!.kind)} ${name} skipped: lint checks TrafficPlans only` });
    } else plans.push(lintOne(m.source, m.object!, rps));
  }
  return { plans, skipped, unreadable, ok: unreadable.length === 0 && plans.every((p) => p.ok) };
}

const severityText = (f: LintFinding) => (f.overridden ? 'overridden' : f.severity === 'blocking' ? 'BLOCKING' : 'warning');
const messageText = (f: LintFinding) => (f.overridden ? `(${f.severity}, listed in the ${LINT_OVERRIDE_ANNOTATION} annotation) ${f.message}` : f.message);

export function formatPlanLint(p: PlanLint): string {
  const lines = [`${p.source}: TrafficPlan ${p.name}${p.namespace ? ` (namespace ${p.namespace})` : ''}`];
  if (p.errors.length > 0) {
    lines.push(`  invalid: the API server would reject it (SY_ERR_INVALID):`);
    lines.push(...alignColumns(p.errors.map((e) => [`    ${e.field || '<object>'}`, e.message])));
  }
  const order = (f: LintFinding) => (f.severity === 'blocking' && !f.overridden ? 0 : f.overridden ? 2 : 1);
  const sorted = [...p.findings].sort((a, b) => order(a) - order(b));
  const heads = alignColumns(sorted.map((f) => [severityText(f), f.id, f.field]));
  sorted.forEach((f, i) => lines.push(`  ${heads[i]}`, `      ${messageText(f)}`));
  if (p.decisions && p.decisions.steps.length > 0) lines.push(...decisionRows(p.decisions));
  const warnings = p.findings.filter((f) => f.severity === 'warning').length;
  const overridden = p.findings.filter((f) => f.overridden && f.severity === 'blocking').length;
  const counts = `${p.blocking} blocking, ${warnings} warning${warnings === 1 ? '' : 's'}${overridden ? `, ${overridden} overridden` : ''}`;
  if (p.errors.length > 0) lines.push(`  => invalid; ${counts}`);
  else if (p.blocking > 0) lines.push(`  => ${counts}: apply refuses this plan. Fix the blocking findings, or list their ids in the ${LINT_OVERRIDE_ANNOTATION} annotation (audited).`);
  else lines.push(`  => ${counts}: ok to apply`);
  return lines.join('\n');
}

const duration = (s: number | undefined) => (s === undefined ? '-' : s < 120 ? `${Math.ceil(s)}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);

/** Per step: what the gates need before they can pass, and how long that takes at the rate. */
function decisionRows(d: DecisionLint): string[] {
  const rows = d.steps.map((s) => [`    ${s.phaseIndex + 1}`, String(s.stepIndex + 1), s.label ?? `${s.percent}%`, s.requests === undefined ? 'never' : String(s.requests), s.slowest ?? '-', duration(s.seconds)]);
  const rate = d.rps !== undefined ? `at ${d.rps} req/s` : 'pass --rps N (or set spec.cost.requestsPerSecond) for the time';
  return [
    `  decisions: candidate requests before each step can advance (every gate passes for a candidate equal to its baseline, and the hold is met) (${rate}):`,
    ...alignColumns([['    PHASE', 'STEP', 'AT', 'REQUESTS', 'SLOWEST', 'TIME'], ...rows]),
  ];
}

function rateOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw syError('SY_ERR_CONFIG', `--rps must be a positive number of requests per second, got "${text}"`);
  return v;
}

async function lintCommand(ctx: CliContext, files: string[], opts: { output?: string; rps?: string }): Promise<boolean> {
  const format = parseDataFormat(opts.output);
  const report = lintManifests(readManifests(files), rateOption(opts.rps));
  if (format !== 'text') {
    const unreadable = report.unreadable.map((u) => ({ source: u.source, error: u.error.message, code: u.error.code }));
    ctx.out(formatData({ ...report, unreadable }, format));
  } else {
    for (const u of report.unreadable) ctx.err(formatError(u.error));
    for (const s of report.skipped) ctx.err(s.note);
    if (report.plans.length > 0) ctx.out(report.plans.map(formatPlanLint).join('\n\n'));
  }
  if (report.plans.length === 0 && report.ok) throw syError('SY_ERR_CONFIG', `no TrafficPlan in ${files.join(', ')}: nothing to lint`);
  return report.ok;
}

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description("Check TrafficPlan files offline: the schema, then the seeds' anti-patterns (no end, health-only gates, no request budget, ...); exit 1 when apply would refuse one")
    .argument('[files...]', 'YAML or JSON files or directories (multi-document files are fine; - for stdin)')
    .option('-f, --filename <path>', 'a file or directory, as kubectl names it (repeatable; the same as an argument)', collect, [])
    .option('-o, --output <format>', 'json | yaml')
    .option('--rps <n>', 'total request rate of the target: predict how long each step takes to pass its gates and hold (default: spec.cost.requestsPerSecond)')
    .addHelpText(
      'after',
      `
Each finding names its id, severity and field, and says what to do. Blocking findings make
\`apply\` refuse the plan unless the annotation ${LINT_OVERRIDE_ANNOTATION}: "<id>, <id>" lists them;
overridden findings are still shown. Other kinds in the files are skipped with a note.

For a valid plan, lint also predicts per step how many candidate requests its gates need before
they can pass for a candidate equal to its baseline, and with a rate how long that takes; it warns
when the run cannot decide within maxDuration or budget.maxRequests, or a gate can never pass.

Examples:
  switchyard lint examples/plans/
  switchyard lint plan.yaml --rps 300
  switchyard lint plan.yaml -o json | jq '.plans[].findings[].id'`,
    )
    .action(run(async (ctx, files: string[], opts: { output?: string; rps?: string; filename?: string[] }) => lintCommand(ctx, filesOf(files, opts.filename, 'lint'), opts)));
}
