// The STATUS and RESTARTS cells of `kubectl get pods`, by kubectl's own rules
// (printPod in kubernetes/pkg/printers/internalversion): a failing
// storage-initializer reads Init:CrashLoopBackOff and its restarts count until
// the pod is initialized; after that, a waiting or terminated container's
// reason wins over the pod's phase, and a pod marked for deletion is
// Terminating. The local server prints tables itself, so it must print them
// as the tool people already read them with.

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec) : []);
const count = (c: Obj): number => (typeof c.restartCount === 'number' ? c.restartCount : 0);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface PodCells {
  status: string;
  restarts: number;
}

/** The reason an init container stops the pod's start, or undefined when it finished. */
function initBlock(c: Obj, index: number, total: number): string | undefined {
  const terminated = rec(rec(c.state).terminated);
  const waiting = rec(rec(c.state).waiting);
  if (rec(c.state).terminated && terminated.exitCode === 0) return undefined;
  if (rec(c.state).terminated) {
    if (text(terminated.reason)) return `Init:${text(terminated.reason)}`;
    return typeof terminated.signal === 'number' && terminated.signal !== 0 ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${String(terminated.exitCode ?? 0)}`;
  }
  if (text(waiting.reason) && waiting.reason !== 'PodInitializing') return `Init:${text(waiting.reason)}`;
  return `Init:${index}/${total}`;
}

export function podCells(pod: Obj): PodCells {
  const status = rec(pod.status);
  let reason = text(status.reason) || text(status.phase) || 'Unknown';
  let restarts = 0;
  let initializing = false;
  const inits = arr(status.initContainerStatuses);
  const initTotal = Math.max(inits.length, arr(rec(pod.spec).initContainers).length);
  for (const [i, c] of inits.entries()) {
    restarts += count(c);
    const blocked = initBlock(c, i, initTotal);
    if (blocked === undefined) continue;
    reason = blocked;
    initializing = true;
    break;
  }
  const initialized = arr(status.conditions).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    let running = false;
    for (const c of arr(status.containerStatuses).reverse()) {
      restarts += count(c);
      const waiting = rec(rec(c.state).waiting);
      const terminated = rec(rec(c.state).terminated);
      if (text(waiting.reason)) reason = text(waiting.reason);
      else if (text(terminated.reason)) reason = text(terminated.reason);
      else if (rec(c.state).terminated) reason = typeof terminated.signal === 'number' && terminated.signal !== 0 ? `Signal:${terminated.signal}` : `ExitCode:${String(terminated.exitCode ?? 0)}`;
      else if (c.ready === true && rec(c.state).running) running = true;
    }
    if (reason === 'Completed' && running) reason = arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (rec(pod.metadata).deletionTimestamp) reason = 'Terminating';
  return { status: reason, restarts };
}
