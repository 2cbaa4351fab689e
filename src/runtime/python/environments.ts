// The Python environments the built-in Python runtimes run in: one virtual
// environment per requirements file in python/requirements/ (every package
// pinned), kept under the runtimes dir as `<name>-<hash>` where the hash is
// the requirements file's, so a changed pin is a new environment and an old
// one is never half-updated. See docs/runtimes.md.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUIREMENTS = fileURLToPath(new URL('../../../python/requirements/', import.meta.url));
/** Switchyard's own KServe-SDK model servers (kserve-sklearnserver, ...). */
export const KSERVE_SERVERS_DIR = fileURLToPath(new URL('../../../python/kserve_servers/', import.meta.url));

/** Written last by an install: an environment without it is unfinished. */
export const COMPLETE_MARKER = '.switchyard-complete';

export interface PythonEnvironment {
  name: string;
  /** The pinned requirements file, installed with `pip install --no-deps -r`. */
  requirements: string;
  /** The built-in runtimes that run in it. */
  runtimes: string[];
  description: string;
}

export const MLSERVER_RUNTIME = 'kserve-mlserver';
export const SKLEARN_RUNTIME = 'kserve-sklearnserver';
export const XGBOOST_RUNTIME = 'kserve-xgbserver';
export const LIGHTGBM_RUNTIME = 'kserve-lgbserver';
export const CUSTOM_RUNTIME = 'switchyard-python';

export const ENVIRONMENTS: readonly PythonEnvironment[] = [
  {
    name: 'mlserver',
    requirements: join(REQUIREMENTS, 'mlserver.txt'),
    runtimes: [MLSERVER_RUNTIME],
    description: "Seldon MLServer with mlserver-sklearn, mlserver-xgboost and mlserver-lightgbm",
  },
  {
    name: 'kserve',
    requirements: join(REQUIREMENTS, 'kserve.txt'),
    runtimes: [SKLEARN_RUNTIME, XGBOOST_RUNTIME, LIGHTGBM_RUNTIME, CUSTOM_RUNTIME],
    description: "KServe's Python SDK with scikit-learn, XGBoost and LightGBM",
  },
];

export function environmentForRuntime(runtime: string): PythonEnvironment | undefined {
  return ENVIRONMENTS.find((e) => e.runtimes.includes(runtime));
}

/** SWITCHYARD_RUNTIMES_DIR lets several data dirs (and test runs) share one set of environments. */
export function defaultRuntimesDir(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SWITCHYARD_RUNTIMES_DIR || join(dataDir, 'runtimes'));
}

export function requirementsHash(env: PythonEnvironment): string {
  return createHash('sha256').update(readFileSync(env.requirements)).digest('hex').slice(0, 12);
}

export function environmentDir(runtimesDir: string, env: PythonEnvironment): string {
  return join(resolve(runtimesDir), `${env.name}-${requirementsHash(env)}`);
}

export function environmentBin(runtimesDir: string, env: PythonEnvironment, program: string): string {
  return join(environmentDir(runtimesDir, env), 'bin', program);
}

export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, COMPLETE_MARKER));
}

/** The managed environment a command runs from (its argv[0] lies inside it), if any. */
export function environmentOfCommand(runtimesDir: string, argv0: string | undefined): PythonEnvironment | undefined {
  if (argv0 === undefined) return undefined;
  return ENVIRONMENTS.find((e) => argv0.startsWith(environmentDir(runtimesDir, e) + sep));
}
