// The state of one revision, read from its pod views the way a person would
// read `kubectl get pods`: KServe's model states (Pending, Loading, Loaded,
// FailedToLoad) plus a one-line explanation that names the pod to look at.
import type { KubeObject } from '../../store/types.ts';
import type { RevisionObservation } from './types.ts';

export type ModelState = 'Pending' | 'Loading' | 'Loaded' | 'FailedToLoad';

export interface RevisionState {
  state: ModelState;
  ready: number;
  desired: number;
  failed: number;
  /** KServe FailureInfo for a failed revision. */
  failure?: { reason: 'ModelLoadFailed' | 'RuntimeUnhealthy'; message: string; pod: string; exitCode?: number };
  /** e.g. `0/1 replicas ready; pod X: CrashLoopBackOff (...)`. */
  detail: string;
}

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const first = (v: unknown): Obj => rec(Array.isArray(v) ? v[0] : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

interface PodFacts {
  name: string;
  namespace: string;
  state: ModelState;
  /** Why it is not loaded, for the message. */
  why?: string;
  exitCode?: number;
}

/** ` (exit code 1, 3 restarts)`: the notes that apply, or nothing. */
function notes(...parts: Array<string | undefined>): string {
  const some = parts.filter((p) => p !== undefined);
  return some.length > 0 ? ` (${some.join(', ')})` : '';
}

/** `3 restarts`, or nothing before the first restart. */
function restarts(count: unknown): string | undefined {
  return typeof count === 'number' && count >= 1 ? `${count} restart${count === 1 ? '' : 's'}` : undefined;
}

function podFacts(pod: KubeObject): PodFacts {
  const status = rec(pod.status);
  const c = first(status.containerStatuses);
  const init = first(status.initContainerStatuses);
  const base = { name: pod.metadata.name, namespace: pod.metadata.namespace ?? '' };
  const waiting = rec(rec(c.state).waiting);
  const lastExit = rec(rec(c.lastState).terminated).exitCode;
  const exitCode = typeof lastExit === 'number' ? lastExit : undefined;
  if (c.ready === true) return { ...base, state: 'Loaded' };
  const initWaiting = rec(rec(init.state).waiting);
  // The restart count is part of the explanation: a retry that failed again is a new failure
  // (KServe's lastFailureInfo.time moves with it), and the reader sees it is being retried.
  if (str(initWaiting.message)) {
    return { ...base, state: 'FailedToLoad', why: `storage-initializer failed${notes(restarts(init.restartCount))}: ${String(initWaiting.message)}` };
  }
  if (waiting.reason === 'CrashLoopBackOff') {
    const code = notes(exitCode === undefined ? undefined : `exit code ${exitCode}`, restarts(c.restartCount));
    return { ...base, state: 'FailedToLoad', why: `CrashLoopBackOff${code}: ${str(waiting.message) ?? 'the container keeps exiting'}`, ...(exitCode === undefined ? {} : { exitCode }) };
  }
  if (Object.keys(init).length > 0 && init.ready !== true) return { ...base, state: 'Pending', why: 'fetching the model (storage-initializer)' };
  if (rec(c.state).running) return { ...base, state: 'Loading', why: 'loading the model (readiness probe not passed yet)' };
  return { ...base, state: 'Pending', why: str(waiting.reason) ?? 'starting' };
}

/** `desired` is what the revision should run; Loaded needs all of them ready. */
export function revisionState(obs: RevisionObservation | undefined, desired: number): RevisionState {
  const pods = (obs?.pods ?? []).map(podFacts);
  const ready = pods.filter((p) => p.state === 'Loaded').length;
  const failedPods = pods.filter((p) => p.state === 'FailedToLoad');
  const head = `${ready}/${desired} replicas ready`;
  const notes = pods.filter((p) => p.state !== 'Loaded').map((p) => `pod ${p.name}: ${p.why ?? p.state}`);
  const detail = notes.length > 0 ? `${head}; ${notes.join('; ')}` : pods.length === 0 ? `${head}; no pods yet` : head;
  let state: ModelState;
  // A revision scaled to zero is still ready: the gateway's activator starts a replica on demand.
  if (ready >= desired && (pods.length > 0 || desired === 0)) state = 'Loaded';
  else if (failedPods.length > 0 && ready === 0) state = 'FailedToLoad';
  else if (pods.some((p) => p.state === 'Loading' || p.state === 'Loaded')) state = 'Loading';
  else state = 'Pending';
  const bad = failedPods[0];
  return {
    state, ready, desired, failed: failedPods.length, detail,
    ...(state === 'FailedToLoad' && bad
      ? { failure: { reason: 'ModelLoadFailed' as const, message: `${bad.why ?? 'failed'}; see kubectl logs ${bad.name} -n ${bad.namespace}`, pod: bad.name, ...(bad.exitCode === undefined ? {} : { exitCode: bad.exitCode }) } }
      : {}),
  };
}
