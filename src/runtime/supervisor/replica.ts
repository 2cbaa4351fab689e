// One replica ("pod"): an init step, then a child process on a loopback port,
// probed for readiness and restarted with backoff when it exits, until stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { nextBackoff, type BackoffPolicy } from './backoff.ts';
import { RotatingLog, type RotationPolicy } from './logs.ts';
import { CONTAINER, INIT_CONTAINER, type ReplicaSnapshot, type Termination } from './pod-view.ts';
import { freePort, withPort } from './ports.ts';
import { httpProbe } from './probe.ts';
import { trackChild, untrackChild } from './reaper.ts';
import { sleep } from '../../core/sleep.ts';

export type EventType = 'Normal' | 'Warning';

/** Runs before the first start of each replica, like KServe's storage-initializer. */
export type InitHook = (ctx: { podName: string; signal: AbortSignal; event: (reason: string, message: string, type?: EventType) => void }) => Promise<void>;

export interface ProbePolicy {
  periodMs: number;
  timeoutMs: number;
  /** Failures in a row that make a ready replica NotReady (Kubernetes: 3). */
  failureThreshold: number;
}

export interface ReplicaConfig {
  podName: string;
  uid: string;
  namespace: string;
  labels: Record<string, string>;
  nodeName: string;
  command: string[];
  env: Record<string, string>;
  cwd?: string;
  readinessPath: string;
  init?: InitHook;
  logPath: string;
  rotation: RotationPolicy;
  probe: ProbePolicy;
  backoff: BackoffPolicy;
  now: () => number;
  /** Called after every state change the pod view shows. */
  onUpdate: () => void;
  onEvent: (reason: string, message: string, type: EventType, container: boolean) => void;
}

/** How often a child that failed to bind gets a fresh port before it counts as a crash. */
const PORT_RETRIES = 3;

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.round(ms / 100) / 10}s`;
}

export class Replica {
  port = 0;
  private child: ChildProcess | undefined;
  /** Spawned and not yet exited (running only turns true once 'spawn' fired). */
  private childAlive = false;
  private log: RotatingLog;
  private running = false;
  private ready = false;
  private readySince: number;
  private startedAt: number | undefined;
  private restartCount = 0;
  /** Restarts of the storage-initializer: kubectl adds them to RESTARTS, and each names a fresh failure. */
  private initRestartCount = 0;
  private crashes = 0;
  private waiting: { reason: string; message: string } | undefined;
  private lastTermination: Termination | undefined;
  private initDone = false;
  private initError: string | undefined;
  private deletingAt: number | undefined;
  private stopped = false;
  private incarnation = 0;
  private portRetries = 0;
  private recentOutput = '';
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly createdAt: number;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly cfg: ReplicaConfig, private readonly graceMs: number) {
    this.createdAt = cfg.now();
    this.readySince = this.createdAt;
    this.log = new RotatingLog(cfg.logPath, cfg.rotation);
  }

  get podName(): string {
    return this.cfg.podName;
  }

  get isReady(): boolean {
    return this.ready && this.running;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  start(): void {
    void this.attempt();
  }

  snapshot(): ReplicaSnapshot {
    const iso = (t: number) => new Date(t).toISOString();
    return {
      podName: this.cfg.podName, namespace: this.cfg.namespace, uid: this.cfg.uid, labels: this.cfg.labels,
      createdAt: iso(this.createdAt), nodeName: this.cfg.nodeName, command: withPort(this.cfg.command, this.port), port: this.port,
      hasInit: this.cfg.init !== undefined, initDone: this.initDone, initRestartCount: this.initRestartCount, ...(this.initError ? { initError: this.initError } : {}),
      running: this.running, ready: this.isReady, readySince: iso(this.readySince),
      ...(this.startedAt !== undefined ? { startedAt: iso(this.startedAt) } : {}),
      restartCount: this.restartCount,
      ...(this.waiting ? { waiting: this.waiting } : {}),
      ...(this.lastTermination ? { lastTermination: this.lastTermination } : {}),
      ...(this.deletingAt !== undefined ? { deletionTimestamp: iso(this.deletingAt), deletionGracePeriodSeconds: Math.ceil(this.graceMs / 1000) } : {}),
      stopped: this.stopped,
    };
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.deletingAt !== undefined) return this.exited;
    this.deletingAt = this.cfg.now();
    clearTimeout(this.restartTimer);
    this.abort.abort();
    this.waiting = undefined;
    const child = this.child;
    if (this.childAlive && child) {
      this.cfg.onEvent('Killing', `Stopping container ${CONTAINER}`, 'Normal', true);
      this.cfg.onUpdate();
      const kill = setTimeout(() => child.kill('SIGKILL'), this.graceMs);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(kill);
    }
    this.stopped = true;
    this.ready = false;
    this.log.close();
    this.cfg.onUpdate();
  }

  private async attempt(): Promise<void> {
    if (this.deletingAt !== undefined) return;
    if (this.cfg.init && !this.initDone) {
      try {
        await this.cfg.init({ podName: this.cfg.podName, signal: this.abort.signal, event: (r, m, t = 'Normal') => this.cfg.onEvent(r, m, t, false) });
        this.initDone = true;
        this.initError = undefined;
      } catch (err) {
        if (this.deletingAt !== undefined) return;
        this.initError = err instanceof Error ? err.message : String(err);
        this.cfg.onEvent('Failed', `Init container ${INIT_CONTAINER} failed: ${this.initError}`, 'Warning', false);
        this.scheduleRestart(0);
        return;
      }
      this.cfg.onUpdate();
    }
    if (this.port === 0) {
      try {
        this.port = await freePort();
      } catch (err) {
        this.cfg.onEvent('Failed', `No free loopback port: ${err instanceof Error ? err.message : String(err)}`, 'Warning', true);
        this.scheduleRestart(0);
        return;
      }
    }
    if (this.deletingAt !== undefined) return;
    this.spawnChild();
  }

  private spawnChild(): void {
    const [file, ...args] = withPort(this.cfg.command, this.port);
    const env = { ...process.env, ...Object.fromEntries(Object.entries(this.cfg.env).map(([k, v]) => [k, v.replaceAll('{{.Port}}', String(this.port))])), PORT: String(this.port) };
    const incarnation = ++this.incarnation;
    const spawnedAt = this.cfg.now();
    this.recentOutput = '';
    // A process group of its own: a terminal's Ctrl-C reaches `switchyard up`, which stops its replicas
    // once the requests in flight are answered, and not the replicas behind its back.
    const child = spawn(file ?? '', args, { cwd: this.cfg.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.childAlive = true;
    trackChild(child);
    let settled = false;
    let exitDone: () => void = () => undefined;
    this.exited = new Promise((resolve) => (exitDone = resolve));
    const onOutput = (chunk: Buffer) => {
      this.log.write(chunk);
      this.recentOutput = (this.recentOutput + chunk.toString('utf8')).slice(-4096);
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('spawn', () => {
      this.running = true;
      this.startedAt = spawnedAt;
      this.waiting = undefined;
      this.cfg.onEvent('Started', `Started container ${CONTAINER}`, 'Normal', true);
      this.cfg.onUpdate();
      void this.probeLoop(incarnation);
    });
    const finish = (exitCode: number, signal: string | undefined, reason: string) => {
      if (settled) return;
      settled = true;
      this.childAlive = false;
      untrackChild(child);
      const wasReady = this.ready;
      this.running = false;
      this.ready = false;
      if (wasReady) this.readySince = this.cfg.now();
      const finishedAt = this.cfg.now();
      this.lastTermination = {
        exitCode, reason, startedAt: new Date(spawnedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(),
        ...(signal ? { signal } : {}),
      };
      exitDone();
      if (this.deletingAt !== undefined) return;
      if (!wasReady && /EADDRINUSE/.test(this.recentOutput) && this.portRetries < PORT_RETRIES) {
        this.portRetries++;
        this.port = 0;
        this.cfg.onUpdate();
        void this.attempt();
        return;
      }
      this.scheduleRestart(finishedAt - spawnedAt);
    };
    child.once('error', (err) => {
      if (!this.running) finish(128, undefined, 'StartError');
      this.log.write(`switchyard: cannot start ${file}: ${err.message}\n`);
    });
    child.once('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0); // as a shell reports it: 137 for SIGKILL
      finish(exitCode, signal ?? undefined, exitCode === 0 ? 'Completed' : 'Error');
    });
  }

  private scheduleRestart(ranMs: number): void {
    const step = nextBackoff(this.crashes, ranMs, this.cfg.backoff);
    this.crashes = step.crashes;
    this.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${seconds(step.delayMs)} restarting failed container=${CONTAINER} pod=${this.cfg.podName}_${this.cfg.namespace}(${this.cfg.uid})`,
    };
    this.cfg.onEvent('BackOff', `Back-off restarting failed container ${CONTAINER} in pod ${this.cfg.podName}`, 'Warning', true);
    this.cfg.onUpdate();
    this.restartTimer = setTimeout(() => {
      if (this.deletingAt !== undefined) return;
      if (this.initDone || !this.cfg.init) this.restartCount++;
      else this.initRestartCount++;
      this.portRetries = 0;
      void this.attempt();
    }, step.delayMs);
  }

  /** Probe every period while this incarnation runs; one probe at a time. */
  private async probeLoop(incarnation: number): Promise<void> {
    const { periodMs, timeoutMs, failureThreshold } = this.cfg.probe;
    let failures = 0;
    const current = () => this.incarnation === incarnation && this.running && this.deletingAt === undefined;
    while (current()) {
      const result = await httpProbe(this.port, this.cfg.readinessPath, timeoutMs);
      if (!current()) return;
      if (result.ok) {
        failures = 0;
        if (!this.ready) {
          this.ready = true;
          this.readySince = this.cfg.now();
          this.portRetries = PORT_RETRIES; // it bound its port: a later EADDRINUSE is a real crash
          this.cfg.onEvent('Ready', 'Readiness probe passed', 'Normal', true);
          this.cfg.onUpdate();
        }
      } else {
        failures++;
        this.cfg.onEvent('Unhealthy', `Readiness probe failed: ${result.message ?? 'unknown'}`, 'Warning', true);
        if (this.ready && failures >= failureThreshold) {
          this.ready = false;
          this.readySince = this.cfg.now();
          this.cfg.onUpdate();
        }
      }
      await sleep(periodMs);
    }
  }
}
