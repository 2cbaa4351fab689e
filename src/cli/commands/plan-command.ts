// `switchyard plan promote|rollback|pause|resume|abort|kill NAME`: one merge
// patch of the plan's command annotation (what `kubectl annotate` does too).
// The controller acts on it, writes the status and removes the annotation;
// the API server stamps who asked. We wait for that and report the result.
import type { Command } from 'commander';
import { COMMAND_ANNOTATION, COMMAND_REASON_ANNOTATION, HALT_COMMANDS, PLAN_COMMANDS } from '../../api/kinds/trafficplan.ts';
import { syError } from '../../core/errors.ts';
import { parseDuration, run, type CliContext } from '../context.ts';
import type { KubeObject } from '../output.ts';
import { TERMINAL_PHASES, type PlanObject } from '../plan-view.ts';
import { followPlan, PLAN_LABEL, planPath } from './plan-follow.ts';

export type PlanCommand = (typeof PLAN_COMMANDS)[number];

const PAST: Record<PlanCommand, string> = { promote: 'promoted', rollback: 'rolled back', pause: 'paused', resume: 'resumed', abort: 'aborted', kill: 'killed', 'learning-off': 'stopped learning', 'learning-on': 'learning again' };
/**
 * Where each command leads the plan; ending elsewhere means it had no effect. The kill switch
 * promises traffic on the baseline: a plan already rolled back has kept that promise.
 */
const LEADS_TO: Record<PlanCommand, readonly string[]> = {
  promote: ['Promoted'], rollback: ['RolledBack'], kill: ['Aborted', 'RolledBack'], abort: ['Aborted'], pause: ['Paused'], resume: ['Progressing', 'Pending'],
  'learning-off': ['Progressing', 'Paused'], 'learning-on': ['Progressing', 'Paused'],
};
const HELP: Record<PlanCommand, string> = {
  promote: 'Promote the candidate now, skipping the remaining steps and gates',
  rollback: 'Roll back: traffic to the baseline (candidate kept warm), phase RolledBack',
  pause: 'Hold the plan at its current split; gates keep being reported',
  resume: 'Resume a paused plan; the passing-window streak starts again',
  abort: 'Stop the plan and move traffic back to the baseline, phase Aborted',
  kill: "Kill switch: traffic back to the baseline at once, regardless of gates or a dead candidate, phase Aborted (the plan's owner team, its canHalt groups and admins may)",
  'learning-off': "Bandit: stop learning — the allocation stays where it is (assignments and rewards are still logged)",
  'learning-on': 'Bandit: learn from rewards again',
};

interface CommandOptions {
  reason?: string;
  /** A duration, or false with --no-wait. */
  wait: string | false;
}

/** The JSON merge patch that records a command; no --reason clears a stale one. */
export function commandPatch(command: PlanCommand, reason: string | undefined): object {
  return { metadata: { annotations: { [COMMAND_ANNOTATION]: command, [COMMAND_REASON_ANNOTATION]: reason ?? null } } };
}

/** The line printed once the controller consumed the command, and whether the plan ended where the command leads. */
export function commandOutcome(command: PlanCommand, name: string, before: PlanObject, after: PlanObject): { ok: boolean; text: string } {
  const label = `${PLAN_LABEL}/${name}`;
  const was = before.status?.phase ?? 'Pending';
  const phase = after.status?.phase ?? 'Pending';
  const message = after.status?.message ? ` — ${after.status.message}` : '';
  if (!LEADS_TO[command].includes(phase)) {
    const why = TERMINAL_PHASES.has(was) ? `the plan had already finished (phase ${was})` : `phase ${phase}`;
    return { ok: false, text: `${label} ${command} had no effect: ${why}${message}` };
  }
  if (was === phase && (TERMINAL_PHASES.has(was) || command === 'pause' || command === 'resume')) {
    return { ok: true, text: `${label} already ${phase}${message}` };
  }
  return { ok: true, text: `${label} ${PAST[command]}: phase ${phase}${message}` };
}

async function sendCommand(ctx: CliContext, command: PlanCommand, name: string, opts: CommandOptions): Promise<boolean> {
  const waitMs = opts.wait === false ? 0 : parseDuration(opts.wait);
  const client = ctx.client();
  const ns = ctx.namespace();
  const before = await client.get<KubeObject>(planPath(ns, name));
  await client.request<KubeObject>('PATCH', planPath(ns, name), {
    body: commandPatch(command, opts.reason),
    contentType: 'application/merge-patch+json',
    query: { fieldManager: 'switchyard-plan' },
  });
  if (opts.wait === false) {
    ctx.out(`${PLAN_LABEL}/${name} ${command} requested`);
    return true;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), waitMs);
  try {
    for await (const obj of followPlan(client, ns, name, abort.signal)) {
      if (obj.metadata?.annotations?.[COMMAND_ANNOTATION] === command) continue;
      const outcome = commandOutcome(command, name, before as PlanObject, obj as PlanObject);
      (outcome.ok ? ctx.out : ctx.err)(outcome.text);
      return outcome.ok;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw syError(
    'SY_ERR_TIMEOUT',
    `${command} is recorded on ${PLAN_LABEL}/${name} (annotation ${COMMAND_ANNOTATION}=${command}) but the plan controller has not acted on it within ${opts.wait}; ` +
      `it will act once running (is \`switchyard up\` running?). Follow it with \`switchyard plan status ${name} -n ${ns} --watch\``,
  );
}

export function registerPlanCommands(plan: Command): void {
  for (const command of PLAN_COMMANDS) {
    plan.command(command)
      .description(HELP[command])
      .argument('<name>', 'TrafficPlan name')
      .option('--reason <text>', 'why; recorded with the command in the audit log and the plan message')
      .option('--wait <duration>', 'how long to wait for the controller to act (e.g. 10s, 1m); exit code 1 if it has not', '10s')
      .option('--no-wait', 'return once the command is recorded')
      .addHelpText(
        'after',
        `
The command is the annotation ${COMMAND_ANNOTATION}=${command} on the plan; the controller acts on it and removes it.
${HALT_COMMANDS.includes(command) ? "The plan's owner team (spec.owner.team), its spec.owner.canHalt groups and admins may send it." : "The plan's owner team (spec.owner.team) and admins may send it."}
The same with kubectl:
  kubectl annotate tp NAME ${COMMAND_ANNOTATION}=${command} --overwrite -n NS

Example:
  switchyard plan ${command} fraud-v2 -n risk --reason "INC-2041"`,
      )
      .action(run(async (ctx, name: string, opts: CommandOptions) => sendCommand(ctx, command, name, opts)));
  }
}
