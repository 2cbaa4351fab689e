// `switchyard plan status|promote|rollback|pause|resume|abort|kill|cost`:
// the TrafficPlan verbs. status reads the plan over the API and renders it
// (src/cli/plan-view.ts); --watch redraws it on every change until the plan
// finishes.
import type { Command } from 'commander';
import { trafficPlanStatus } from '../../api/kinds/trafficplan.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat, type DataFormat, type KubeObject } from '../output.ts';
import { isTerminal, redrawPrefix, renderPlanStatus, type PlanObject } from '../plan-view.ts';
import { registerPlanCommands } from './plan-command.ts';
import { renderPlanReport } from '../plan-report.ts';
import { registerPlanCost } from './plan-cost.ts';
import { followPlan, getPlan } from './plan-follow.ts';

interface StatusOptions {
  output?: string;
  watch?: boolean;
}

/** The plan with a status the renderer can trust; a status it cannot parse is shown as far as it goes. */
export function asPlanObject(obj: KubeObject): PlanObject {
  const parsed = trafficPlanStatus.safeParse(obj.status);
  return { ...(obj as PlanObject), ...(obj.status === undefined ? {} : { status: parsed.success ? parsed.data : (obj.status as PlanObject['status']) }) };
}

/** A watch prints one object per change: YAML documents are separated as kubectl separates them. */
const serialize = (obj: KubeObject, format: 'json' | 'yaml') => (format === 'json' ? formatData(obj, format) : `---\n${formatData(obj, format)}`);

async function watchStatus(ctx: CliContext, ns: string, name: string, format: DataFormat): Promise<void> {
  const tty = format === 'text' && Boolean(process.stdout.isTTY);
  const abort = new AbortController();
  let shown: string | undefined;
  let lastKey: string | undefined;
  let latest: PlanObject | undefined;
  const draw = () => {
    if (!latest) return;
    const text = renderPlanStatus(latest, { now: Date.now(), color: tty });
    ctx.write(`${redrawPrefix(shown, process.stdout.columns || 80, process.stdout.rows || Infinity)}${text}\n`);
    shown = text;
  };
  // On a terminal the clock-dependent lines (time in step) tick every second.
  const ticker = tty ? setInterval(draw, 1000) : undefined;
  try {
    for await (const obj of followPlan(ctx.client(), ns, name, abort.signal)) {
      if (format !== 'text') ctx.out(serialize(obj, format));
      else {
        latest = asPlanObject(obj);
        if (tty) draw();
        else {
          // Non-terminal output (logs, pipes): append a block only when something visible changed.
          const key = renderPlanStatus(latest, { now: 0 });
          if (key !== lastKey) {
            ctx.out(`${lastKey === undefined ? '' : '\n'}${renderPlanStatus(latest, { now: Date.now() })}`);
            lastKey = key;
          }
        }
      }
      if (isTerminal(obj as PlanObject)) break;
    }
  } finally {
    if (ticker) clearInterval(ticker);
    abort.abort();
  }
}

async function statusCommand(ctx: CliContext, name: string, opts: StatusOptions): Promise<void> {
  const format = parseDataFormat(opts.output);
  const ns = ctx.namespace();
  if (opts.watch) return watchStatus(ctx, ns, name, format);
  const obj = await getPlan(ctx.client(), ns, name);
  if (format !== 'text') ctx.out(formatData(obj, format));
  else ctx.out(renderPlanStatus(asPlanObject(obj), { now: Date.now(), color: Boolean(process.stdout.isTTY) }));
}

export function registerPlan(program: Command): void {
  const plan = program
    .command('plan')
    .description('Follow and drive TrafficPlans: status (--watch), promote, rollback, pause, resume, abort, kill; price a plan with cost')
    .addHelpText(
      'after',
      `
Examples:
  switchyard plan status fraud-v2 -n risk --watch
  switchyard plan kill fraud-v2 -n risk --reason "PSI alarm on tier=gold"
  switchyard plan cost examples/plans/iris-v2.yaml --rps 120`,
    );
  plan.command('status')
    .description('Show a plan: phase, step, live split, progress toward the step\'s request budget, passing windows, time in step and every gate against its threshold')
    .argument('<name>', 'TrafficPlan name')
    .option('-o, --output <format>', 'json | yaml (the whole object)')
    .option('-w, --watch', 'redraw on every change; exit 0 once the plan is Promoted, RolledBack or Aborted')
    .addHelpText(
      'after',
      `
Without a terminal (a pipe or a log file) --watch appends one block per visible change instead of redrawing.

Examples:
  switchyard plan status iris-v2 -n quickstart
  switchyard plan status iris-v2 -n quickstart --watch
  switchyard plan status iris-v2 -n quickstart -o json | jq .status.gates`,
    )
    .action(run(async (ctx, name: string, opts: StatusOptions) => statusCommand(ctx, name, opts)));
  plan.command('report')
    .description("Report a plan's experiment: an A/B test's arms, lift with intervals, p-value, SRM, guardrails and decision; a shadow's pairs and confusion matrix; a bandit's arms: share, rewards, reward rate with its always-valid interval, P(best), off-policy estimates")
    .argument('<name>', 'TrafficPlan name')
    .option('-o, --output <format>', 'json | yaml (status.experiment, status.shadow and the gates)')
    .addHelpText('after', '\nExamples:\n  switchyard plan report checkout-v2 -n shop\n  switchyard plan report checkout-v2 -n shop -o json | jq .experiment.relative')
    .action(run(async (ctx, name: string, opts: { output?: string }) => {
      const format = parseDataFormat(opts.output);
      const obj = await getPlan(ctx.client(), ctx.namespace(), name);
      const st = (obj.status ?? {}) as Record<string, unknown>;
      if (format !== 'text') ctx.out(formatData({ experiment: st.experiment ?? null, shadow: st.shadow ?? null, gates: st.gates ?? [], phase: st.phase ?? null, message: st.message ?? null }, format));
      else ctx.out(renderPlanReport(asPlanObject(obj)));
    }));
  registerPlanCommands(plan);
  registerPlanCost(plan);
}
