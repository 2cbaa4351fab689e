// Starts the real `switchyard up` binary in a temp data dir and runs real
// kubectl binaries against it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Headers, fetch, type RequestInit, type Response } from 'undici';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'switchyard.js');

export interface Up {
  url: string;
  /** The inference gateway, e.g. http://127.0.0.1:40123 */
  gatewayUrl: string;
  dataDir: string;
  kubeconfig: string;
  adminToken: string;
  proc: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startUp(args: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'sy-e2e-'))): Promise<Up> {
  const proc = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--api-port', '0', '--gateway-port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`switchyard up did not start within 30s:\n${out}`)), 30_000);
    const check = (): void => {
      const m = /API server listening on (https?:\/\/\S+)/.exec(out);
      if (m && /gateway listening on/.test(out)) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`switchyard up exited with ${code}:\n${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const gatewayUrl = /gateway listening on (http:\/\/\S+)/.exec(out)![1]!;
  return {
    url, gatewayUrl, dataDir, proc,
    kubeconfig: join(dataDir, 'kubeconfig'),
    adminToken: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** fetch against the API server, trusting its self-signed certificate and sending the admin token. */
export function apiFetch(up: Up, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const ca = readFileSync(join(up.dataDir, 'tls', 'server.crt'), 'utf8');
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${init.token ?? up.adminToken}`);
  return fetch(`${up.url}${path}`, { ...init, headers, dispatcher: new Agent({ connect: { ca } }) });
}

export { until } from '../until.ts';

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

export const KUBECTL_VERSIONS = (process.env.SY_KUBECTL_VERSIONS ?? '1.27,1.33').split(',');

export function kubectlPath(version: string): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
}

/** kubectl with the data dir's kubeconfig and no cache (discovery must come from our server each run). */
export function kubectl(version: string, up: Up, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(kubectlPath(version), ['--kubeconfig', up.kubeconfig, '--cache-dir', join(up.dataDir, `kubecache-${version}`), ...args], opts);
}
