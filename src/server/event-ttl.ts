// Events expire, as the kube-apiserver's --event-ttl (1 h by default) makes
// them: replicas and plans write Events for as long as `switchyard up` runs,
// and `kubectl get events` should tell what happened lately, not everything
// since the data dir was made. An Event's age counts from its last occurrence
// (lastTimestamp): a repeat refreshes it, as a repeat renews its lease in etcd.
import { isSwitchyardError } from '../core/errors.ts';
import type { Actor, KubeObject, Store } from '../store/types.ts';

const EVENTS = { group: '', resource: 'events' };
export const DEFAULT_EVENT_TTL_MS = 3_600_000;
export const EVENT_TTL_ACTOR: Actor = { name: 'system:event-ttl' };

/** When the Event last happened (ms), or undefined when it names no time it can be aged by. */
export function eventLastSeen(ev: KubeObject): number | undefined {
  const e = ev as KubeObject & { lastTimestamp?: string; eventTime?: string };
  for (const t of [e.lastTimestamp, e.eventTime, ev.metadata.creationTimestamp]) {
    const ms = t ? Date.parse(t) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/**
 * Deletes the Events last seen more than ttlMs before now; returns how many.
 * Each delete is conditional on the version listed, so an Event repeated in
 * the meantime (its count and lastTimestamp just written) is kept.
 */
export async function expireEvents(store: Store, ttlMs: number, now: number, actor: Actor = EVENT_TTL_ACTOR): Promise<number> {
  const { items } = await store.list(EVENTS);
  let deleted = 0;
  for (const ev of items) {
    const seen = eventLastSeen(ev);
    if (seen === undefined || now - seen <= ttlMs) continue;
    try {
      await store.delete({ ...EVENTS, namespace: ev.metadata.namespace ?? '', name: ev.metadata.name }, { actor, ...(ev.metadata.resourceVersion ? { resourceVersion: ev.metadata.resourceVersion } : {}) });
      deleted++;
    } catch (err) {
      // Gone already, or repeated since the list: either way not ours to delete now.
      if (!isSwitchyardError(err) || (err.code !== 'SY_ERR_NOT_FOUND' && err.code !== 'SY_ERR_CONFLICT')) throw err;
    }
  }
  return deleted;
}

export interface EventExpiryOptions {
  store: Store;
  ttlMs: number;
  /** How often to look (default: a quarter of the TTL, between 1 s and 1 min). */
  everyMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** Expires Events now (those a previous run left) and then on a cadence; stop() ends it once a sweep under way is done. */
export function startEventExpiry(opts: EventExpiryOptions): { stop(): Promise<void>; sweep(): Promise<number> } {
  const now = opts.now ?? Date.now;
  const everyMs = opts.everyMs ?? Math.min(60_000, Math.max(1000, opts.ttlMs / 4));
  let running: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    running ??= expireEvents(opts.store, opts.ttlMs, now())
      .catch((err: Error) => {
        opts.log?.(`event expiry: ${err.message}`);
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  };
  void sweep();
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
