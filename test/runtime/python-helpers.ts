// Python for the tests: the lab's environment (scikit-learn, XGBoost,
// LightGBM, boto3, moto) from examples/lab/venv.sh, and moto's S3-compatible
// server on a loopback port. In CI (CI=true) a missing prerequisite fails the
// test; elsewhere the test is skipped with the reason.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { freePort } from '../../src/runtime/supervisor/ports.ts';
import { missingPrerequisite } from '../prerequisite.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let venv: string | undefined;
let venvError: string | undefined;

/** The lab environment's directory, created on first use (minutes; then cached under ~/.cache/switchyard). */
export function labVenv(): { dir: string } | { error: string } {
  if (venv) return { dir: venv };
  if (venvError) return { error: venvError };
  try {
    venv = execFileSync('bash', [join(ROOT, 'examples/lab/venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 }).trim();
    return { dir: venv };
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr ?? '').trim().split('\n').pop() || (err as Error).message;
    venvError = `the lab's Python environment could not be created (bash examples/lab/venv.sh: ${why})`;
    return { error: venvError };
  }
}

/**
 * The lab environment's python, or undefined after skipping the test (locally) — in CI the
 * missing prerequisite throws, so the run fails instead of passing without testing.
 */
export function labPythonOrSkip(t: TestContext): string | undefined {
  const v = labVenv();
  if ('dir' in v) return join(v.dir, 'bin', 'python');
  t.skip(missingPrerequisite(`${v.error} (.ci/run installs it)`));
  return undefined;
}

/** Where the e2e tests' `switchyard up` keeps the runtimes' Python environments: shared, so each is installed once. */
export function sharedRuntimesDir(): string {
  return process.env.SWITCHYARD_RUNTIMES_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard', 'runtimes');
}

export interface Moto {
  endpoint: string;
  /** An IAM user's key pair that may do anything; any other key is refused. */
  accessKeyId: string;
  secretAccessKey: string;
  proc: ChildProcess;
  /** Run Python with `s3`, a boto3 client of this server signed with the user's keys. */
  python(code: string): string;
  stop(): Promise<void>;
}

/**
 * moto's S3-compatible server (moto_server from the lab environment) on 127.0.0.1, with
 * authentication on: its first three requests (unauthenticated) create an IAM user, its key
 * and an allow-all policy; after them a wrong key or secret is refused as S3 refuses it.
 */
export async function startMoto(python: string): Promise<Moto> {
  const port = await freePort();
  const proc = spawn(join(python, '..', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3' },
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`moto_server exited: ${out}`);
    const ok = await fetch(`${endpoint}/moto-api/data.json`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`moto_server did not answer within 30 s: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const base = { ...process.env, AWS_DEFAULT_REGION: 'us-east-1', S3_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'bootstrap', AWS_SECRET_ACCESS_KEY: 'bootstrap' };
  const [accessKeyId = '', secretAccessKey = ''] = execFileSync(python, ['-c', [
    'import boto3, json, os',
    'iam = boto3.client("iam", endpoint_url=os.environ["S3_ENDPOINT_URL"])',
    'iam.create_user(UserName="switchyard")',
    'key = iam.create_access_key(UserName="switchyard")["AccessKey"]',
    'iam.put_user_policy(UserName="switchyard", PolicyName="all", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))',
    'print(key["AccessKeyId"]); print(key["SecretAccessKey"])',
  ].join('\n')], { encoding: 'utf8', env: base }).trim().split('\n');
  const env = { ...base, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey };
  return {
    endpoint, proc, accessKeyId, secretAccessKey,
    python: (code) => execFileSync(python, ['-c', `import boto3, os\ns3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])\n${code}`], { encoding: 'utf8', env }),
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}
