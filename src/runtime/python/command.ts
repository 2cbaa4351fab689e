// `switchyard runtimes list|install`: the Python environments of the
// built-in runtimes, installed ahead of time (or offline from a wheel
// directory) so that an InferenceService never waits for pip.
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import { ENVIRONMENTS, defaultRuntimesDir, environmentDir, environmentForRuntime, isInstalled, type PythonEnvironment } from './environments.ts';
import { ensureEnvironment, installHint } from './install.ts';

interface Flags {
  dataDir: string;
  runtimesDir?: string;
  python?: string;
  findLinks?: string;
  all?: boolean;
}

function runtimesDirOf(flags: Flags): string {
  return flags.runtimesDir ?? defaultRuntimesDir(flags.dataDir);
}

/** Runtime names (kserve-mlserver) or environment names (mlserver) to environments, each once. */
export function environmentsNamed(names: string[]): PythonEnvironment[] {
  const out = new Set<PythonEnvironment>();
  for (const name of names) {
    const env = environmentForRuntime(name) ?? ENVIRONMENTS.find((e) => e.name === name);
    if (!env) {
      const known = ENVIRONMENTS.flatMap((e) => e.runtimes).join(', ');
      throw syError('SY_ERR_CONFIG', `"${name}" is not a built-in Python runtime; choose from ${known} (or --all)`);
    }
    out.add(env);
  }
  return [...out];
}

export function registerRuntimesCommand(program: Command): Command {
  const runtimes = program.command('runtimes').description('Python environments of the built-in runtimes (kserve-mlserver, kserve-sklearnserver, ...)');
  const common = (c: Command) => c
    .option('--data-dir <dir>', 'data dir; environments live in <dir>/runtimes unless --runtimes-dir or SWITCHYARD_RUNTIMES_DIR', '.switchyard')
    .option('--runtimes-dir <dir>', 'where the environments live (shared by data dirs that name the same one)');

  common(runtimes.command('list').description('each environment, the runtimes that use it, and whether it is installed'))
    .action((flags: Flags) => {
      const dir = runtimesDirOf(flags);
      for (const env of ENVIRONMENTS) {
        const at = environmentDir(dir, env);
        process.stdout.write(`${env.name.padEnd(10)} ${(isInstalled(at) ? 'installed' : 'missing').padEnd(10)} ${env.runtimes.join(', ')}\n           ${at}\n`);
      }
    });

  common(runtimes.command('install').argument('[runtimes...]', 'runtime names (kserve-mlserver, kserve-sklearnserver, kserve-xgbserver, kserve-lgbserver, switchyard-python)'))
    .description('create the Python environment of each runtime named (pinned packages from python/requirements/)')
    .option('--all', 'every built-in Python runtime')
    .option('--python <path>', 'interpreter to build the environments with (default $SWITCHYARD_PYTHON or python3; 3.11+)')
    .option('--find-links <dir>', 'install offline from the wheels in this directory (made with pip download -r python/requirements/NAME.txt)')
    .action(async (names: string[], flags: Flags) => {
      const envs = flags.all ? [...ENVIRONMENTS] : environmentsNamed(names);
      if (envs.length === 0) throw syError('SY_ERR_CONFIG', 'name the runtimes to install, or pass --all');
      const dir = runtimesDirOf(flags);
      for (const env of envs) {
        const at = await ensureEnvironment(env, {
          runtimesDir: dir,
          hint: installHint(env.runtimes[0]!, flags.dataDir, dir),
          onProgress: (line) => process.stdout.write(`${line}\n`),
          ...(flags.python ? { python: flags.python } : {}),
          ...(flags.findLinks ? { findLinks: flags.findLinks } : {}),
        });
        process.stdout.write(`${env.runtimes.join(', ')}: ready (${at})\n`);
      }
    });
  return runtimes;
}
