// The one binary: wires the server (`up`), the runtime (`model-server`,
// `runtimes`) and the client verbs, which speak HTTP to the API server only.
import { Command } from 'commander';
import { isSwitchyardError } from './core/errors.ts';
import { VERSION } from './core/version.ts';
import { registerUpCommand } from './server/command.ts';
import { registerClusterCommands } from './server/cluster-command.ts';
import { registerClientCommands } from './cli/program.ts';
import { registerModelServerCommand } from './runtime/modelserver/command.ts';
import { registerRuntimesCommand } from './runtime/python/command.ts';

const program = new Command('switchyard')
  .description('Progressive delivery for model serving: KServe-style serving, gated traffic moves, rollback outside the model')
  .version(VERSION, '--client-version', 'print the client version')
  .showHelpAfterError();

registerUpCommand(program);
registerClusterCommands(program);
registerModelServerCommand(program);
registerRuntimesCommand(program);
registerClientCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isSwitchyardError(err)) {
    console.error(`error: ${err.message} (${err.code})`);
  } else {
    console.error(`error: ${(err as Error).message ?? err}`);
  }
  process.exitCode = 1;
}
