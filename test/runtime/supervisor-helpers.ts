// Shared helpers for the supervisor tests: a recording sink, polling, and
// the fixture server command.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../../src/store/types.ts';
import type { PodSink } from '../../src/runtime/supervisor/index.ts';

export const FIXTURE = fileURLToPath(new URL('./fixtures/replica-server.mjs', import.meta.url));

export function fixtureCommand(name = 'iris'): string[] {
  return [process.execPath, FIXTURE, '--port', '{{.Port}}', '--name', name];
}

const dirs: string[] = [];
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A scratch directory, removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-supervisor-'));
  dirs.push(dir);
  return dir;
}

export interface Recorded {
  at: number;
  pod: KubeObject;
}

export class RecordingSink implements PodSink {
  readonly pods = new Map<string, KubeObject>();
  readonly history: Recorded[] = [];
  readonly events: KubeObject[] = [];
  readonly deleted: string[] = [];
  upsertPod(pod: KubeObject): void {
    this.pods.set(pod.metadata.name, pod);
    this.history.push({ at: Date.now(), pod });
  }
  deletePod(namespace: string, name: string): void {
    this.deleted.push(`${namespace}/${name}`);
    this.pods.delete(name);
  }
  event(ev: KubeObject): void {
    this.events.push(ev);
  }
  eventsFor(pod: string, reason?: string): KubeObject[] {
    return this.events.filter((e) => (e.involvedObject as { name: string }).name === pod && (reason === undefined || e.reason === reason));
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Gone, or a zombie nobody reaped yet (PID 1 in a container may not reap). */
export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const status = `/proc/${pid}/status`;
  return existsSync(status) && /^State:\s+Z/m.test(readFileSync(status, 'utf8'));
}

export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// Pod status accessors, typed loosely as kubectl reads them.
export interface ContainerStatus {
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
}

export function containerStatus(pod: KubeObject): ContainerStatus {
  return (pod.status as { containerStatuses: ContainerStatus[] }).containerStatuses[0]!;
}

export function conditionOf(pod: KubeObject, type: string): string | undefined {
  return (pod.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === type)?.status;
}
