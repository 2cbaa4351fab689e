// Installs a Python environment: `python3 -m venv`, then `pip install
// --no-deps -r <requirements>` with every package pinned, then the completion
// marker. Progress goes to a callback line by line (pod events, the CLI).
// One install per environment at a time: in this process by a shared promise,
// across processes by a lock file holding the installer's pid.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { syError } from '../../core/errors.ts';
import { processAlive } from '../../core/pid.ts';
import { sleep } from '../../core/sleep.ts';
import { COMPLETE_MARKER, defaultRuntimesDir, environmentDir, isInstalled, requirementsHash, type PythonEnvironment } from './environments.ts';

export interface InstallOptions {
  runtimesDir: string;
  /** The interpreter that creates the environment (default $SWITCHYARD_PYTHON, else python3). */
  python?: string;
  /** Install from wheels in this directory only (pip --no-index --find-links): offline. */
  findLinks?: string;
  onProgress?: (line: string) => void;
  /** What a person should run to install it by hand; quoted in failure messages. */
  hint: string;
}

const MIN_PYTHON: [number, number] = [3, 11];

/** The command that installs a runtime's environment by hand, for messages. */
export function installHint(runtime: string, dataDir: string, runtimesDir: string): string {
  const shared = runtimesDir === defaultRuntimesDir(dataDir);
  const where = shared && process.env.SWITCHYARD_RUNTIMES_DIR ? '' : shared ? ` --data-dir ${dataDir}` : ` --runtimes-dir ${runtimesDir}`;
  return `switchyard runtimes install ${runtime}${where}`;
}
const inFlight = new Map<string, Promise<string>>();

/** The environment's directory once it is installed (at once when it already is). */
export function ensureEnvironment(env: PythonEnvironment, opts: InstallOptions): Promise<string> {
  const dir = environmentDir(opts.runtimesDir, env);
  if (isInstalled(dir)) return Promise.resolve(dir);
  let running = inFlight.get(dir);
  if (!running) {
    running = installLocked(env, dir, opts).finally(() => inFlight.delete(dir));
    inFlight.set(dir, running);
  }
  return running;
}

function unavailable(env: PythonEnvironment, cause: string, hint: string): Error {
  return syError('SY_ERR_RUNTIME_UNAVAILABLE', `the Python environment "${env.name}" (${env.runtimes.join(', ')}) is not installed: ${cause}. Run: ${hint}`);
}


async function installLocked(env: PythonEnvironment, dir: string, opts: InstallOptions): Promise<string> {
  const say = opts.onProgress ?? (() => {});
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        say(`waiting for process ${holder}, which is installing the ${env.name} environment`);
        await sleep(2000);
        if (isInstalled(dir)) return dir;
        continue;
      }
      rmSync(lock, { force: true }); // its installer died: take over
    }
  }
  try {
    if (isInstalled(dir)) return dir;
    await install(env, dir, opts, say);
    return dir;
  } finally {
    rmSync(lock, { force: true });
  }
}

interface Run {
  code: number | null;
  tail: string[];
  missing: boolean;
}

/** Runs a program, handing each output line to `line`; keeps the last lines for error messages. */
function run(argv: string[], line: (s: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_NO_INPUT: '1' } });
    const tail: string[] = [];
    const take = (s: string) => {
      tail.push(s);
      if (tail.length > 12) tail.shift();
      line(s);
    };
    createInterface({ input: child.stdout! }).on('line', take);
    createInterface({ input: child.stderr! }).on('line', take);
    child.once('error', (err) => resolve({ code: null, tail: [err.message], missing: (err as NodeJS.ErrnoException).code === 'ENOENT' }));
    child.once('close', (code) => resolve({ code, tail, missing: false }));
  });
}

async function checkPython(env: PythonEnvironment, python: string, hint: string): Promise<void> {
  let version = '';
  const r = await run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], (s) => (version ||= s.trim()));
  if (r.missing) throw unavailable(env, `${python} was not found; install Python ${MIN_PYTHON.join('.')} or newer with its venv module (Debian: apt-get install python3 python3-venv), or set SWITCHYARD_PYTHON`, hint);
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (r.code !== 0 || major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw unavailable(env, `${python} is Python ${version || '(unknown)'}, and the pinned packages need ${MIN_PYTHON.join('.')} or newer; set SWITCHYARD_PYTHON to a newer interpreter`, hint);
  }
}

async function install(env: PythonEnvironment, dir: string, opts: InstallOptions, say: (line: string) => void): Promise<void> {
  const python = opts.python ?? (process.env.SWITCHYARD_PYTHON || 'python3');
  await checkPython(env, python, opts.hint);
  rmSync(dir, { recursive: true, force: true });
  say(`creating the ${env.name} environment in ${dir}`);
  const venv = await run([python, '-m', 'venv', dir], () => {});
  if (venv.code !== 0) throw unavailable(env, `"${python} -m venv" failed (${venv.tail.join(' ').slice(-300)}); on Debian install python3-venv`, opts.hint);

  const pins = readFileSync(env.requirements, 'utf8').split('\n').filter((l) => /^[A-Za-z0-9]/.test(l)).length;
  let seen = 0;
  say(`installing ${pins} pinned packages from ${env.requirements}${opts.findLinks ? ` (offline, wheels from ${opts.findLinks})` : ''}`);
  const pip = [join(dir, 'bin', 'python'), '-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--progress-bar', 'off',
    ...(opts.findLinks ? ['--no-index', '--find-links', opts.findLinks] : []), '-r', env.requirements];
  const r = await run(pip, (s) => {
    const m = /^Collecting (\S+)/.exec(s);
    if (m && (++seen % 10 === 0 || seen === pins)) say(`${env.name}: fetched ${seen}/${pins} packages (${m[1]})`);
    else if (s.startsWith('Installing collected packages')) say(`${env.name}: installing ${pins} packages`);
  });
  if (r.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw unavailable(env, `pip could not install ${env.requirements}: ${r.tail.filter((l) => /error|ERROR|No matching|Could not/.test(l)).slice(-3).join(' ') || r.tail.slice(-3).join(' ')}`, opts.hint);
  }
  writeFileSync(join(dir, COMPLETE_MARKER), JSON.stringify({ requirements: requirementsHash(env), python, installedAt: new Date().toISOString() }) + '\n');
  say(`${env.name} environment ready in ${dir}`);
}
