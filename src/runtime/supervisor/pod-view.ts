// Read-only v1 Pod and Event objects for local replicas, shaped as the
// kubelet reports them so `kubectl get pods`, `describe pod` and `get events`
// print the familiar columns. Pure: everything comes from the snapshot.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../store/types.ts';

export const CONTAINER = 'kserve-container';
export const INIT_CONTAINER = 'storage-initializer';
export const EVENT_SOURCE = 'switchyard-supervisor';

export interface Termination {
  exitCode: number;
  signal?: string;
  /** 'Completed' (exit 0) or 'Error', as the kubelet says. */
  reason: string;
  startedAt: string;
  finishedAt: string;
}

/** What a pod view needs to know about one replica at one moment. */
export interface ReplicaSnapshot {
  podName: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  createdAt: string;
  nodeName: string;
  command: string[];
  port: number;
  /** Whether the spec has an init step (storage initializer). */
  hasInit: boolean;
  initDone: boolean;
  initError?: string;
  initRestartCount?: number;
  /** The container process is alive right now. */
  running: boolean;
  ready: boolean;
  /** When readiness last changed (or the pod was created). */
  readySince: string;
  startedAt?: string;
  restartCount: number;
  waiting?: { reason: string; message: string };
  lastTermination?: Termination;
  /** Set once stopping began: kubectl shows Terminating. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  /** Stopped for good (scaled down or revision removed). */
  stopped?: boolean;
}

function phaseOf(r: ReplicaSnapshot): string {
  if (r.stopped && !r.running) return r.lastTermination?.exitCode === 0 ? 'Succeeded' : 'Failed';
  if (r.startedAt === undefined) return 'Pending';
  return 'Running';
}

function condition(type: string, ok: boolean, since: string, reason?: string, message?: string): Record<string, unknown> {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: since, ...(ok || !reason ? {} : { reason, message }) };
}

function containerState(r: ReplicaSnapshot): Record<string, unknown> {
  if (r.running && r.startedAt) return { running: { startedAt: r.startedAt } };
  if (r.waiting) return { waiting: { ...r.waiting } };
  if (r.lastTermination && !r.running) return { terminated: { ...r.lastTermination } };
  return { waiting: { reason: r.hasInit && !r.initDone ? 'PodInitializing' : 'ContainerCreating' } };
}

function terminatedView(t: Termination): Record<string, unknown> {
  const { signal, ...rest } = t;
  return signal ? { ...rest, message: `killed by ${signal}` } : rest;
}

export function podObject(r: ReplicaSnapshot): KubeObject {
  const unready = `containers with unready status: [${CONTAINER}]`;
  const state = containerState(r);
  // While the container waits or runs again after a crash, the crash shows as lastState.
  const lastState = r.lastTermination && !('terminated' in state) ? { terminated: terminatedView(r.lastTermination) } : {};
  if ('terminated' in state && r.lastTermination) state.terminated = terminatedView(r.lastTermination);
  const initStatuses = r.hasInit
    ? [{
        name: INIT_CONTAINER, image: 'local', imageID: '', ready: r.initDone, restartCount: r.initRestartCount ?? 0,
        state: r.initDone ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: r.createdAt, finishedAt: r.readySince } }
          : r.initError ? { waiting: { reason: 'CrashLoopBackOff', message: r.initError } } : { running: { startedAt: r.createdAt } },
      }]
    : undefined;
  const [argv0 = '', ...args] = r.command;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: r.podName,
      namespace: r.namespace,
      uid: r.uid,
      creationTimestamp: r.createdAt,
      labels: { ...r.labels },
      ...(r.deletionTimestamp ? { deletionTimestamp: r.deletionTimestamp, deletionGracePeriodSeconds: r.deletionGracePeriodSeconds ?? 30 } : {}),
    },
    spec: {
      ...(r.hasInit ? { initContainers: [{ name: INIT_CONTAINER, image: 'local' }] } : {}),
      containers: [{
        name: CONTAINER, image: 'local', command: [argv0], args,
        ports: [{ name: 'http1', containerPort: r.port, protocol: 'TCP' }],
      }],
      nodeName: r.nodeName,
      restartPolicy: 'Always',
    },
    status: {
      phase: phaseOf(r),
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: r.createdAt,
      conditions: [
        condition('PodScheduled', true, r.createdAt),
        condition('Initialized', !r.hasInit || r.initDone, r.createdAt, 'ContainersNotInitialized', `containers with incomplete status: [${INIT_CONTAINER}]`),
        condition('ContainersReady', r.ready, r.readySince, 'ContainersNotReady', unready),
        condition('Ready', r.ready, r.readySince, 'ContainersNotReady', unready),
      ],
      ...(initStatuses ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: [{
        name: CONTAINER, image: 'local', imageID: '',
        ready: r.ready, started: r.running, restartCount: r.restartCount,
        state, lastState,
      }],
    },
  };
}

export interface EventInput {
  /** apiVersion defaults to v1 (a Pod). */
  involvedObject: { apiVersion?: string; kind: string; name: string; namespace: string; uid?: string; fieldPath?: string };
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  /** Defaults to now. */
  time?: string;
  count?: number;
  firstTimestamp?: string;
  /** Reuse a name to update (count) an earlier event. */
  name?: string;
  host?: string;
  /** Who reports it (source.component); defaults to the supervisor. */
  component?: string;
}

export function eventName(objectName: string, random: () => Buffer = () => randomBytes(8)): string {
  return `${objectName}.${random().toString('hex')}`;
}

/** A core/v1 Event as the kubelet writes it. */
export function eventObject(e: EventInput): KubeObject {
  const time = e.time ?? new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: e.name ?? eventName(e.involvedObject.name), namespace: e.involvedObject.namespace, creationTimestamp: e.firstTimestamp ?? time },
    involvedObject: { apiVersion: 'v1', ...e.involvedObject },
    reason: e.reason,
    message: e.message,
    type: e.type ?? 'Normal',
    firstTimestamp: e.firstTimestamp ?? time,
    lastTimestamp: time,
    count: e.count ?? 1,
    source: { component: e.component ?? EVENT_SOURCE, ...(e.host ? { host: e.host } : {}) },
    reportingComponent: e.component ?? EVENT_SOURCE,
    reportingInstance: e.host ?? '',
  };
}
