// `switchyard runtimes list|install`: the Python environments of the
// built-in runtimes, installed ahead of time (or offline from a wheel
// directory) so that an InferenceService never waits for pip.
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import { alignColumns, formatData, parseDataFormat } from '../../core/text-output.ts';
import { ENVIRONMENTS, defaultRuntimesDir, environmentDir, environmentForRuntime, isInstalled, type PythonEnvironment } from './environments.ts';
import { ensureEnvironment, installHint } from './install.ts';

interface Flags {
  dataDir: string;
  runtimesDir?: string;
  python?: string;
  findLinks?: string;
  all?: boolean;
  output?: string;
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

  common(runtimes.command('list').description('each environment, the runtimes that use it, whether it is installed and where'))
    .option('-o, --output <format>', 'wide (also the pinned requirements file and what the environment holds) | json | yaml ({items: [...]})')
    .addHelpText('after', '\nExamples:\n  switchyard runtimes list\n  switchyard runtimes list -o wide --runtimes-dir ~/.cache/switchyard/runtimes\n  switchyard runtimes list -o json | jq -r \'.items[] | select(.status == "missing") | .runtimes[]\'')
    .action((flags: Flags) => {
      const format = parseDataFormat(flags.output, ['wide']);
      const dir = runtimesDirOf(flags);
      const items = ENVIRONMENTS.map((env) => {
        const path = environmentDir(dir, env);
        return { name: env.name, status: isInstalled(path) ? 'installed' : 'missing', runtimes: env.runtimes, path, requirements: env.requirements, description: env.description };
      });
      if (format === 'json' || format === 'yaml') return void process.stdout.write(`${formatData({ items }, format)}\n`);
      const wide = format === 'wide';
      const rows = items.map((e) => [e.name, e.status, e.runtimes.join(','), e.path, ...(wide ? [e.requirements, e.description] : [])]);
      process.stdout.write(`${alignColumns([['NAME', 'STATUS', 'RUNTIMES', 'PATH', ...(wide ? ['REQUIREMENTS', 'DESCRIPTION'] : [])], ...rows]).join('\n')}\n`);
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
