// Which of a plan's commands to offer this user. The API server decides
// (src/server/apiserver/plan-guard.ts); the page only avoids offering what it
// would refuse: nothing once the plan has finished; everything to an admin and
// to the plan's owner team; pause, rollback, abort and kill to the groups in
// spec.owner.canHalt; nothing to anyone else.
import { TERMINAL_PHASES, type Plan } from './kinds.ts';

export type Command = 'pause' | 'resume' | 'promote' | 'rollback' | 'abort' | 'kill' | 'learning-off' | 'learning-on';

/** As HALT_COMMANDS in src/api/kinds/trafficplan.ts (test/web/plan.test.ts keeps them in step). */
export const HALT_COMMANDS: readonly Command[] = ['pause', 'rollback', 'abort', 'kill', 'learning-off'];

export interface Commander {
  role: string;
  groups: readonly string[];
}

export interface Offer {
  commands: Command[];
  /** Why some or all commands are not offered, when that is the user's groups. */
  note?: string;
}

export function commandsFor(plan: Plan, user: Commander): Offer {
  if (TERMINAL_PHASES.has(plan.status?.phase ?? '')) return { commands: [] };
  const phase = plan.spec?.phases?.[plan.status?.phaseIndex ?? 0];
  // A bandit phase can also stop (and restart) learning from rewards, holding the allocation.
  const learning: Command[] = phase?.bandit ? ['learning-off', 'learning-on'] : [];
  const all: Command[] = [plan.status?.phase === 'Paused' ? 'resume' : 'pause', 'promote', 'rollback', 'abort', 'kill', ...learning];
  const team = plan.spec?.owner?.team ?? '';
  const canHalt = plan.spec?.owner?.canHalt ?? [];
  if (user.role === 'admin' || user.groups.includes(team)) return { commands: all };
  const groups = user.groups.length > 0 ? user.groups.join(', ') : 'none';
  if (user.groups.some((g) => canHalt.includes(g))) {
    return { commands: all.filter((c) => HALT_COMMANDS.includes(c)), note: `Your groups (${groups}) may halt this plan; only its owner team "${team}" or an admin may promote or resume it.` };
  }
  return { commands: [], note: `Only this plan's owner team "${team}", the groups that may halt it (${canHalt.join(', ') || 'none'}) or an admin may command it; your groups: ${groups}.` };
}
