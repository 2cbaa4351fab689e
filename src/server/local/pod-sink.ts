// The supervisor's PodSink, written to the store: Pods (spec and status are
// separate writes because status is a subresource) and Events (a repeat
// updates the same Event's count). Writes for one pod are serialised so a
// create never races its own update, and events land after their pod.
import { readFileSync } from 'node:fs';
import { isSwitchyardError } from '../../core/errors.ts';
import type { PodSink } from '../../runtime/supervisor/index.ts';
import type { Actor, KubeObject, Store } from '../../store/types.ts';

const PODS = { group: '', resource: 'pods' };
const EVENTS = { group: '', resource: 'events' };
export const PID_ANNOTATION = 'switchyard.dev/pid';

const notFound = (err: unknown) => isSwitchyardError(err) && err.code === 'SY_ERR_NOT_FOUND';

export class StorePodSink implements PodSink {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Pod key → the uid the store gave it (events must point at it for `kubectl describe pod`). */
  private readonly uids = new Map<string, string>();

  constructor(private readonly store: Store, private readonly actor: Actor, private readonly pidOf: (pod: string) => number | undefined = () => undefined) {}

  upsertPod(pod: KubeObject): Promise<void> {
    const pid = this.pidOf(pod.metadata.name);
    const annotations = { ...pod.metadata.annotations, ...(pid !== undefined ? { [PID_ANNOTATION]: String(pid) } : {}) };
    const view: KubeObject = { ...pod, metadata: { ...pod.metadata, annotations } };
    return this.serial(keyOf(pod.metadata.namespace ?? '', pod.metadata.name), () => this.writePod(view));
  }

  deletePod(namespace: string, name: string): Promise<void> {
    const key = keyOf(namespace, name);
    return this.serial(key, async () => {
      this.uids.delete(key);
      try {
        await this.store.delete({ ...PODS, namespace, name }, { actor: this.actor });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    });
  }

  event(ev: KubeObject): Promise<void> {
    const involved = ev.involvedObject as { namespace?: string; name?: string; uid?: string };
    const key = keyOf(involved.namespace ?? '', involved.name ?? '');
    return this.serial(key, async () => {
      const uid = this.uids.get(key);
      const obj: KubeObject = uid ? { ...ev, involvedObject: { ...involved, uid } } : ev;
      const current = await this.store.get({ ...EVENTS, namespace: ev.metadata.namespace ?? '', name: ev.metadata.name });
      if (current) {
        try {
          return void await this.store.update(EVENTS, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }, { actor: this.actor });
        } catch (err) {
          if (!notFound(err)) throw err; // expired meanwhile (event-ttl.ts): the repeat starts it again
        }
      }
      await this.store.create(EVENTS, obj, { actor: this.actor });
    });
  }

  /** Resolves once every write queued so far has finished. */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  private async writePod(pod: KubeObject): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const key = keyOf(namespace, pod.metadata.name);
    const current = await this.store.get({ ...PODS, namespace, name: pod.metadata.name });
    const { uid: _u, resourceVersion: _r, ...meta } = pod.metadata;
    if (!current) {
      const created = await this.store.create(PODS, { ...pod, metadata: meta }, { actor: this.actor });
      this.uids.set(key, created.metadata.uid ?? '');
      return;
    }
    this.uids.set(key, current.metadata.uid ?? '');
    // A replica being stopped: mark its pod as the API server marks a pod deleted with a grace
    // period (kubectl shows Terminating); deletePod removes it once the process has exited.
    if (pod.metadata.deletionTimestamp !== undefined && current.metadata.deletionTimestamp === undefined) {
      await this.store.delete({ ...PODS, namespace, name: pod.metadata.name }, { actor: this.actor, gracePeriodSeconds: Math.max(1, pod.metadata.deletionGracePeriodSeconds ?? 30) });
    }
    await this.store.update(PODS, { ...pod, metadata: meta }, { actor: this.actor });
    await this.store.update(PODS, { ...pod, metadata: meta }, { actor: this.actor, subresource: 'status' });
  }

  private serial(key: string, op: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.then(op, op);
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** On startup: pods (and their events) from a previous run describe processes that are gone. */
export async function removeStalePods(store: Store, actor: Actor): Promise<number> {
  const { items } = await store.list(PODS);
  for (const pod of items) {
    killOrphan(pod);
    try {
      await store.delete({ ...PODS, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name }, { actor });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  const events = await store.list(EVENTS);
  for (const ev of events.items) {
    if ((ev.involvedObject as { kind?: string } | undefined)?.kind !== 'Pod') continue;
    try {
      await store.delete({ ...EVENTS, namespace: ev.metadata.namespace ?? '', name: ev.metadata.name }, { actor });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  return items.length;
}

/**
 * A server killed with SIGKILL leaves its replicas running. Kill the one a
 * stale pod names by pid, but only if that pid still runs exactly the pod's
 * command line (pids are reused). Linux only (/proc); elsewhere a no-op.
 */
function killOrphan(pod: KubeObject): void {
  const pid = Number(pod.metadata.annotations?.[PID_ANNOTATION]);
  const c = (pod.spec as { containers?: { command?: string[]; args?: string[] }[] } | undefined)?.containers?.[0];
  if (!Number.isInteger(pid) || pid <= 0 || !c) return;
  try {
    const running = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
    const expected = [...(c.command ?? []), ...(c.args ?? [])];
    if (running.length > 0 && running.join('\0') === expected.join('\0')) process.kill(pid, 'SIGKILL');
  } catch {
    // gone already, or not ours to read
  }
}
