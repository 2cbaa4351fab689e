// The client verbs of the `switchyard` CLI. src/main.ts (the composition
// root) creates the program and adds these next to `up`.
import type { Command } from 'commander';
import { addGlobalOptions } from './context.ts';
import { registerApply } from './commands/apply.ts';
import { registerAudit } from './commands/audit.ts';
import { registerDelete } from './commands/delete.ts';
import { registerDescribe } from './commands/describe.ts';
import { registerFeedback } from './commands/feedback.ts';
import { registerGet } from './commands/get.ts';
import { registerLint } from './commands/lint.ts';
import { registerPatch } from './commands/patch.ts';
import { registerPlan } from './commands/plan.ts';
import { registerPredictions } from './commands/predictions.ts';
import { registerReplace } from './commands/replace.ts';
import { registerToken } from './commands/token.ts';
import { registerVersion } from './commands/version.ts';
import { registerWait } from './commands/wait.ts';

export function registerClientCommands(program: Command): void {
  addGlobalOptions(program);
  registerApply(program);
  registerGet(program);
  registerDescribe(program);
  registerPatch(program);
  registerReplace(program);
  registerDelete(program);
  registerWait(program);
  registerAudit(program);
  registerPredictions(program);
  registerFeedback(program);
  registerPlan(program);
  registerLint(program);
  registerToken(program);
  registerVersion(program);
}
