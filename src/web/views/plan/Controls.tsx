// The plan's commands — pause, resume, promote, rollback, abort, kill — sent
// exactly as `switchyard plan kill` sends them: a merge patch of the
// switchyard.dev/command annotation (with the reason beside it), which the
// API server stamps with the caller and audits, and the controller acts on.
// Shown only when the server says this token may patch TrafficPlans, and
// only the commands the plan's owner rules leave to the user's groups
// (model/commands.ts); the server refuses anyone else (403) whatever a page
// sends.
import { useState } from 'preact/hooks';
import { useCanI } from '../../access.ts';
import { PATHS, send } from '../../api.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { COMMAND_ANNOTATION, COMMAND_REASON_ANNOTATION, type Plan } from '../../model/kinds.ts';
import { commandsFor, type Command } from '../../model/commands.ts';
import { session } from '../../session.ts';

const COMMANDS: Record<Command, { label: string; description: string; danger?: boolean }> = {
  pause: { label: 'Pause', description: 'Hold the plan at its current split. Gates keep being reported; a failing gate still rolls back.' },
  resume: { label: 'Resume', description: 'Resume the paused plan. The passing-window streak starts again.' },
  promote: { label: 'Promote', description: 'Promote the candidate now, skipping the remaining steps and gates: it becomes the default revision.' },
  rollback: { label: 'Roll back', description: 'Move all traffic back to the baseline now (the candidate is kept warm). The plan ends RolledBack.', danger: true },
  abort: { label: 'Abort', description: 'Stop the plan and move traffic back to the baseline. The plan ends Aborted.', danger: true },
  kill: { label: 'Kill', description: 'Kill switch: all traffic back to the baseline at once, whatever the gates say and even if the candidate is dead or hung. The plan ends Aborted.', danger: true },
  'learning-off': { label: 'Stop learning', description: 'Hold the bandit\'s allocation where it is: rewards no longer move traffic until learning is turned on again.' },
  'learning-on': { label: 'Resume learning', description: 'Let rewards move the bandit\'s allocation again.' },
};

export function commandPatch(command: Command, reason: string): object {
  return { metadata: { annotations: { [COMMAND_ANNOTATION]: command, [COMMAND_REASON_ANNOTATION]: reason } } };
}

export function Controls({ plan }: { plan: Plan }) {
  const ns = plan.metadata.namespace ?? 'default';
  const allowed = useCanI('patch', 'switchyard.dev', 'trafficplans', ns);
  const [asking, setAsking] = useState<Command | undefined>(undefined);
  const [sent, setSent] = useState<{ command: Command; phase: string } | undefined>(undefined);
  if (allowed !== true) return null;
  const offer = commandsFor(plan, session.user() ?? { role: 'unknown', groups: [] });
  const commands = offer.commands;
  const pending = plan.metadata.annotations?.[COMMAND_ANNOTATION];

  const confirm = async (command: Command, reason: string) => {
    await send(PATHS.plan(ns, plan.metadata.name), {
      method: 'PATCH', contentType: 'application/merge-patch+json', body: commandPatch(command, reason), query: { fieldManager: 'switchyard-dashboard' },
    });
    setSent({ command, phase: plan.status?.phase ?? 'Pending' });
  };

  return (
    <section aria-labelledby="controls-heading" class="controls">
      <h2 id="controls-heading">Controls</h2>
      {offer.note && <p class="muted">{offer.note}</p>}
      {commands.length === 0 ? (
        offer.note ? null : <p class="muted">The plan has finished ({plan.status?.phase}); commands no longer change it.</p>
      ) : (
        <div class="buttons">
          {commands.map((c) => (
            <button key={c} type="button" class={COMMANDS[c].danger ? 'danger' : ''} onClick={() => setAsking(c)}>{COMMANDS[c].label}</button>
          ))}
        </div>
      )}
      <p role="status" class="muted">
        {pending ? `Waiting for the controller to act on "${pending}"…` : sent ? `${COMMANDS[sent.command].label} sent; the plan is now ${plan.status?.phase ?? 'Pending'}${plan.status?.message ? `: ${plan.status.message}` : ''}.` : ''}
      </p>
      {asking && (
        <ConfirmDialog
          title={`${COMMANDS[asking].label} ${plan.metadata.name}?`}
          description={COMMANDS[asking].description}
          confirmLabel={`${COMMANDS[asking].label} plan`}
          danger={COMMANDS[asking].danger ?? false}
          onConfirm={(reason) => confirm(asking, reason)}
          onClose={() => setAsking(undefined)}
        />
      )}
    </section>
  );
}
