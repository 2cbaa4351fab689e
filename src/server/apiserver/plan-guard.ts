// Who may drive a TrafficPlan, and who did. The owner team (spec.owner.team)
// decides a rollout: it may issue every command, change the spec (gates,
// steps, the owner) and delete the plan. The groups in spec.owner.canHalt may
// also stop it — pause, rollback, abort, kill — so the kill switch stays with
// the people on call; nothing else. An admin may do anything. A caller's groups come with its token; an operator in none of
// these is refused (403), and the refusal is audited by the caller of
// planRefusal. Writes from inside the server (no principal) are trusted.
import { isDeepStrictEqual } from 'node:util';
import { COMMAND_ANNOTATION, COMMAND_BY_ANNOTATION, COMMAND_REASON_ANNOTATION, HALT_COMMANDS } from '../../api/kinds/trafficplan.ts';
import type { KubeObject } from '../../store/types.ts';
import type { Principal } from '../auth.ts';

interface Owner {
  team: string;
  canHalt?: string[];
}

const ownerOf = (plan: KubeObject): Owner => ((plan.spec as { owner?: Owner } | undefined)?.owner ?? { team: '' });

/** The command this write issues: set, or set again with another reason. Undefined when none is issued. */
export function issuedCommand(obj: KubeObject, previous: KubeObject | undefined): string | undefined {
  const a = obj.metadata.annotations;
  const command = a?.[COMMAND_ANNOTATION];
  if (command === undefined) return undefined;
  const before = previous?.metadata.annotations;
  const same = before?.[COMMAND_ANNOTATION] === command && before?.[COMMAND_REASON_ANNOTATION] === a?.[COMMAND_REASON_ANNOTATION];
  return same ? undefined : command;
}

/**
 * Who issued a plan command is part of its audit evidence, so the API server
 * writes it from the authenticated caller whenever the command changes;
 * whatever a client put there is overwritten.
 */
export function stampPlanCommand(obj: KubeObject, previous: KubeObject | undefined, actor: { name: string }): void {
  const a = obj.metadata.annotations;
  if (a?.[COMMAND_ANNOTATION] === undefined) {
    if (a) delete a[COMMAND_BY_ANNOTATION];
    return;
  }
  const kept = issuedCommand(obj, previous) === undefined ? previous?.metadata.annotations?.[COMMAND_BY_ANNOTATION] : undefined;
  a[COMMAND_BY_ANNOTATION] = kept ?? actor.name;
}

export interface PlanRefusal {
  message: string;
  /** What the audit record keeps: the attempt, the caller's groups and the owner it was checked against. */
  evidence: { command?: string; change?: 'spec' | 'spec.owner' | 'delete'; groups: string[]; owner: Owner };
}

const list = (groups: readonly string[]): string => (groups.length === 0 ? 'none' : groups.join(', '));

/** Why this caller may not make this write to a plan; undefined when it may. `previous` is the stored plan (none on create). */
export function planRefusal(obj: KubeObject, previous: KubeObject | undefined, caller: Principal | undefined): PlanRefusal | undefined {
  if (caller === undefined || caller.role === 'admin') return undefined;
  // An update is judged against the stored owner: a write cannot widen canHalt and use it at once.
  const owner = ownerOf(previous ?? obj);
  const canHalt = owner.canHalt ?? [];
  const inTeam = caller.groups.includes(owner.team);
  const who = `${caller.role} "${caller.name}" (groups: ${list(caller.groups)})`;
  const plan = `trafficplans.switchyard.dev "${obj.metadata.name}" is forbidden`;
  const evidence = { groups: [...caller.groups], owner: { team: owner.team, canHalt: [...canHalt] } };
  const command = issuedCommand(obj, previous);
  if (command !== undefined && !inTeam) {
    const halting = HALT_COMMANDS.includes(command);
    if (!(halting && caller.groups.some((g) => canHalt.includes(g)))) {
      const allowed = halting
        ? `only its owner team "${owner.team}", the groups in spec.owner.canHalt (${list(canHalt)}) or an admin may pause, roll back, abort or kill it`
        : `only its owner team "${owner.team}" or an admin may promote or resume it`;
      return { message: `${plan}: ${who} cannot ${command} this plan: ${allowed}`, evidence: { command, ...evidence } };
    }
  }
  if (previous !== undefined && !inTeam) {
    // Loosening a gate or jumping a step would move traffic past the owner's judgement as surely as a promote.
    const change = !isDeepStrictEqual(ownerOf(previous), ownerOf(obj)) ? 'spec.owner' : !isDeepStrictEqual(previous.spec, obj.spec) ? 'spec' : undefined;
    if (change !== undefined) {
      return { message: `${plan}: ${who} cannot change ${change}: only its owner team "${owner.team}" or an admin may`, evidence: { change, ...evidence } };
    }
  }
  return undefined;
}

/**
 * Why this caller may not delete the stored plan; undefined when it may. Deleting a running plan
 * ends it (its traffic back to the baseline, as an abort), so it is the owner team's (or an admin's) to do.
 */
export function planDeleteRefusal(stored: KubeObject, caller: Principal | undefined): PlanRefusal | undefined {
  if (caller === undefined || caller.role === 'admin') return undefined;
  const owner = ownerOf(stored);
  if (caller.groups.includes(owner.team)) return undefined;
  return {
    message: `trafficplans.switchyard.dev "${stored.metadata.name}" is forbidden: ${caller.role} "${caller.name}" (groups: ${list(caller.groups)}) cannot delete this plan: only its owner team "${owner.team}" or an admin may`,
    evidence: { change: 'delete', groups: [...caller.groups], owner: { team: owner.team, canHalt: [...(owner.canHalt ?? [])] } },
  };
}
