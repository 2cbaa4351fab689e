// The supervisor: one replica set per revision, kept at its desired size,
// keyed by revisionKey(namespace, revision) (names repeat across namespaces),
// publishing each replica as a read-only Pod (and Events) through a sink the
// server wires to the store, and telling the routing layer when the set of
// ready endpoints changes.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { revisionKey } from '../../core/revision-key.ts';
import type { KubeObject } from '../../store/types.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { DEFAULT_ROTATION, readLogLines, type RotationPolicy } from './logs.ts';
import { podLabels, podName } from './names.ts';
import { eventName, eventObject, podObject } from './pod-view.ts';
import { Replica, type EventType, type InitHook, type ProbePolicy } from './replica.ts';

/** Where pods and events go; the server wires it to the store. Errors are reported, never thrown back. */
export interface PodSink {
  upsertPod(pod: KubeObject): void | Promise<void>;
  deletePod(namespace: string, name: string): void | Promise<void>;
  event(event: KubeObject): void | Promise<void>;
}

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name');
const replicaSetSpec = z.object({
  namespace: name,
  isvc: name,
  component: z.enum(['predictor', 'transformer', 'explainer']),
  revision: name,
  replicas: z.number().int().min(0),
  /** argv[0] then its arguments; `{{.Port}}` becomes the replica's port (also in env values and $PORT). */
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()).default({}),
  readinessPath: z.string().startsWith('/'),
  cwd: z.string().optional(),
  logDir: z.string().min(1),
  /** Extra pod labels (KServe's own labels always win). */
  labels: z.record(z.string(), z.string()).default({}),
  init: z.custom<InitHook>((v) => typeof v === 'function', 'init must be a function').optional(),
});

export type ReplicaSetSpec = z.input<typeof replicaSetSpec>;
type ParsedSpec = z.output<typeof replicaSetSpec>;

/** A replica's time between SIGTERM and SIGKILL. */
export const DEFAULT_GRACE_MS = 10_000;

export interface SupervisorOptions {
  publish: PodSink;
  probe?: Partial<ProbePolicy>;
  backoff?: Partial<BackoffPolicy>;
  rotation?: Partial<RotationPolicy>;
  /** SIGTERM to SIGKILL (Kubernetes terminationGracePeriodSeconds: 30 s; ours DEFAULT_GRACE_MS). */
  graceMs?: number;
  now?: () => number;
  random?: () => number;
  nodeName?: string;
  /** A sink call failed; defaults to a line on stderr. */
  onError?: (err: unknown) => void;
}

export interface Endpoint {
  port: number;
  podName: string;
}

export interface ChangeNotice {
  /** revisionKey(namespace, revision) of the replica set. */
  key: string;
  namespace: string;
  revision: string;
  podName: string;
}

interface ReplicaSet {
  spec: ParsedSpec;
  replicas: Replica[];
}

interface Aggregate {
  name: string;
  count: number;
  first: string;
}

export class Supervisor {
  private readonly sets = new Map<string, ReplicaSet>();
  private readonly byPod = new Map<string, { set: ReplicaSet; replica: Replica }>();
  private readonly events = new Map<string, Aggregate>();
  private readonly changes = new EventEmitter();
  private readonly probe: ProbePolicy;
  private readonly backoff: BackoffPolicy;
  private readonly rotation: RotationPolicy;
  private readonly graceMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly nodeName: string;

  constructor(private readonly opts: SupervisorOptions) {
    this.probe = { periodMs: 500, timeoutMs: 1000, failureThreshold: 3, ...opts.probe };
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.rotation = { ...DEFAULT_ROTATION, ...opts.rotation };
    this.graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.nodeName = opts.nodeName ?? hostname();
    this.changes.setMaxListeners(0);
  }

  /** Create the revision's replica set, or resize it. Revisions are immutable: a changed command needs a new revision. */
  ensure(input: ReplicaSetSpec): void {
    const parsed = replicaSetSpec.safeParse(input);
    if (!parsed.success) {
      throw syError('SY_ERR_INVALID', 'invalid replica set spec', {
        causes: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    const spec = parsed.data;
    const key = revisionKey(spec.namespace, spec.revision);
    if (!this.sets.has(key)) this.sets.set(key, { spec, replicas: [] });
    void this.scale(key, spec.replicas);
  }

  /** Resolves once removed replicas have stopped. `key` is revisionKey(namespace, revision). */
  async scale(key: string, n: number): Promise<void> {
    const set = this.setOf(key);
    set.spec.replicas = n;
    while (set.replicas.length < n) this.addReplica(set);
    if (set.replicas.length <= n) return;
    // Like a ReplicaSet: drop replicas that are not ready first, then the newest.
    const order = set.replicas.map((r, i) => ({ r, i })).sort((a, b) => Number(a.r.isReady) - Number(b.r.isReady) || b.i - a.i);
    const doomed = order.slice(0, set.replicas.length - n).map((x) => x.r);
    set.replicas = set.replicas.filter((r) => !doomed.includes(r));
    await Promise.all(doomed.map((r) => this.removeReplica(set, r)));
  }

  async stop(key: string): Promise<void> {
    const set = this.sets.get(key);
    if (!set) return;
    this.sets.delete(key);
    const doomed = set.replicas;
    set.replicas = [];
    await Promise.all(doomed.map((r) => this.removeReplica(set, r)));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.sets.keys()].map((key) => this.stop(key)));
  }

  /** Keys (revisionKey) of the replica sets. */
  revisions(): string[] {
    return [...this.sets.keys()];
  }

  /** Ready replicas only: what the routing layer may send traffic to. */
  endpoints(key: string): Endpoint[] {
    const set = this.sets.get(key);
    return set ? set.replicas.filter((r) => r.isReady).map((r) => ({ port: r.port, podName: r.podName })) : [];
  }

  /** Pod views of a revision's replicas (by revisionKey), or of all. */
  pods(key?: string): KubeObject[] {
    const sets = key === undefined ? [...this.sets.values()] : [this.sets.get(key)].filter((s) => s !== undefined);
    return sets.flatMap((s) => s.replicas.map((r) => podObject(r.snapshot())));
  }

  pod(podName: string): KubeObject | undefined {
    const hit = this.byPod.get(podName);
    return hit ? podObject(hit.replica.snapshot()) : undefined;
  }

  /** The child's pid while it runs (for tests and diagnostics). */
  pid(podName: string): number | undefined {
    return this.byPod.get(podName)?.replica.pid;
  }

  /** Called on every replica state change; returns the unsubscribe function. */
  onChange(cb: (notice: ChangeNotice) => void): () => void {
    this.changes.on('change', cb);
    return () => this.changes.off('change', cb);
  }

  /** Lines of a pod's log (stdout and stderr), oldest first; follow ends when the pod stops. */
  readLog(podName: string, opts: { tailLines?: number; follow?: boolean; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const hit = this.byPod.get(podName);
    if (!hit) throw syError('SY_ERR_NOT_FOUND', `pods "${podName}" not found`, { details: { name: podName, kind: 'pods' } });
    return readLogLines(this.logPath(hit.set.spec, podName), { ...opts, alive: () => this.byPod.has(podName) });
  }

  private logPath(spec: ParsedSpec, pod: string): string {
    return join(spec.logDir, `${pod}.log`);
  }

  private setOf(key: string): ReplicaSet {
    const set = this.sets.get(key);
    if (!set) throw syError('SY_ERR_NOT_FOUND', `revision "${key}" has no replica set`);
    return set;
  }

  private addReplica(set: ReplicaSet): void {
    const { spec } = set;
    let pod = podName(spec.revision, this.random);
    while (this.byPod.has(pod)) pod = podName(spec.revision, this.random);
    const uid = randomUUID();
    const involved = { kind: 'Pod', name: pod, namespace: spec.namespace, uid };
    const replica: Replica = new Replica({
      podName: pod, uid, namespace: spec.namespace, nodeName: this.nodeName,
      labels: podLabels(spec, spec.labels),
      command: spec.command, env: spec.env, readinessPath: spec.readinessPath, logPath: this.logPath(spec, pod),
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      ...(spec.init ? { init: spec.init } : {}),
      rotation: this.rotation, probe: this.probe, backoff: this.backoff, now: this.now,
      onUpdate: () => {
        this.call(() => this.opts.publish.upsertPod(podObject(replica.snapshot())));
        this.changes.emit('change', { key: revisionKey(spec.namespace, spec.revision), namespace: spec.namespace, revision: spec.revision, podName: pod });
      },
      onEvent: (reason, message, type, container) => {
        this.emitEvent({ ...involved, ...(container ? { fieldPath: 'spec.containers{kserve-container}' } : {}) }, reason, message, type);
      },
    }, this.graceMs);
    set.replicas.push(replica);
    this.byPod.set(pod, { set, replica });
    this.call(() => this.opts.publish.upsertPod(podObject(replica.snapshot())));
    this.emitEvent(involved, 'Scheduled', `Successfully assigned ${spec.namespace}/${pod} to ${this.nodeName}`, 'Normal');
    replica.start();
  }

  private async removeReplica(set: ReplicaSet, replica: Replica): Promise<void> {
    await replica.stop();
    this.byPod.delete(replica.podName);
    for (const key of [...this.events.keys()]) if (key.startsWith(`${replica.podName}\n`)) this.events.delete(key);
    this.call(() => this.opts.publish.deletePod(set.spec.namespace, replica.podName));
    this.changes.emit('change', { key: revisionKey(set.spec.namespace, set.spec.revision), namespace: set.spec.namespace, revision: set.spec.revision, podName: replica.podName });
  }

  /** Repeats of the same reason and message on a pod update one Event's count, as the kubelet's recorder does. */
  private emitEvent(involved: { kind: string; name: string; namespace: string; uid: string; fieldPath?: string }, reason: string, message: string, type: EventType): void {
    const key = `${involved.name}\n${reason}\n${message}`;
    const time = new Date(this.now()).toISOString();
    const agg = this.events.get(key) ?? { name: eventName(involved.name), count: 0, first: time };
    agg.count++;
    this.events.set(key, agg);
    const ev = eventObject({ involvedObject: involved, reason, message, type, time, count: agg.count, firstTimestamp: agg.first, name: agg.name, host: this.nodeName });
    this.call(() => this.opts.publish.event(ev));
  }

  private call(fn: () => void | Promise<void>): void {
    const report = this.opts.onError ?? ((err: unknown) => process.stderr.write(`switchyard-supervisor: publish failed: ${err instanceof Error ? err.message : String(err)}\n`));
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(report);
    } catch (err) {
      report(err);
    }
  }
}
