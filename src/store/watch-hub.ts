// In-process fan-out of committed changes to watchers. A Store publishes each
// change after its transaction commits, in revision order; every subscriber
// keeps a cursor (last revision seen) so replayed history followed by live
// changes can neither skip nor repeat a revision. Delivery is asynchronous
// (a microtask after the write) so a watcher's callback never runs inside a
// write and may itself write.
import { matchesLabels } from './labels.ts';
import type { KubeObject, ResourceType, WatchEvent, WatchEventType, WatchOptions } from './types.ts';

export interface Change {
  revision: number;
  type: WatchEventType;
  group: string;
  resource: string;
  /** The object after the change; for DELETED the last state, at the delete revision. */
  object: KubeObject;
  /** The object before a MODIFIED change, to see it enter or leave a label selector. */
  prev?: KubeObject;
}

function selects(opts: WatchOptions, obj: KubeObject): boolean {
  if (opts.namespace !== undefined && (obj.metadata.namespace ?? '') !== opts.namespace) return false;
  if (opts.name !== undefined && obj.metadata.name !== opts.name) return false;
  return matchesLabels(opts.labelSelector ?? [], obj.metadata.labels);
}

/**
 * What a watcher with these options sees of a change. As in Kubernetes, an
 * update that moves an object into the selection is ADDED and one that moves
 * it out is DELETED.
 */
export function filterChange(change: Change, type: ResourceType, opts: WatchOptions): WatchEvent | undefined {
  if (change.group !== type.group || change.resource !== type.resource) return undefined;
  const now = selects(opts, change.object);
  let eventType: WatchEventType | undefined;
  if (change.type !== 'MODIFIED') {
    eventType = now ? change.type : undefined;
  } else {
    const before = change.prev ? selects(opts, change.prev) : now;
    eventType = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
  }
  // Each watcher gets its own copy: callbacks may mutate what they receive.
  return eventType && { type: eventType, object: structuredClone(change.object) };
}

interface Subscriber {
  type: ResourceType;
  opts: WatchOptions;
  cursor: number;
  queue: WatchEvent[];
  scheduled: boolean;
  stopped: boolean;
  onEvent: (event: WatchEvent) => void;
}

export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();

  /**
   * Registers a watcher that has seen every revision up to cursor, after
   * queueing replay (history with revision > cursor, ascending). Must be
   * called in the same synchronous step as reading replay and cursor, so no
   * commit falls between them.
   */
  subscribe(type: ResourceType, opts: WatchOptions, cursor: number, replay: Iterable<Change>, onEvent: (e: WatchEvent) => void): () => void {
    const sub: Subscriber = { type, opts, cursor, queue: [], scheduled: false, stopped: false, onEvent };
    for (const change of replay) this.offer(sub, change);
    this.subscribers.add(sub);
    return () => {
      sub.stopped = true;
      sub.queue.length = 0;
      this.subscribers.delete(sub);
    };
  }

  publish(change: Change): void {
    for (const sub of this.subscribers) this.offer(sub, change);
  }

  stopAll(): void {
    for (const sub of this.subscribers) {
      sub.stopped = true;
      sub.queue.length = 0;
    }
    this.subscribers.clear();
  }

  private offer(sub: Subscriber, change: Change): void {
    if (change.revision <= sub.cursor) return;
    sub.cursor = change.revision;
    const event = filterChange(change, sub.type, sub.opts);
    if (!event) return;
    sub.queue.push(event);
    if (!sub.scheduled) {
      sub.scheduled = true;
      queueMicrotask(() => this.drain(sub));
    }
  }

  private drain(sub: Subscriber): void {
    sub.scheduled = false;
    while (!sub.stopped && sub.queue.length > 0) {
      const event = sub.queue.shift()!;
      try {
        sub.onEvent(event);
      } catch (err) {
        // One faulty watcher must not break writes or other watchers.
        process.emitWarning(`store watch callback threw: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}
