// Ready replica addresses per revision, and the activator's wait for one.
// The server feeds it from the supervisor; the proxy reads it per request.
// Revisions are keyed by revisionKey(namespace, revision), as routes carry it.

export interface EndpointWaiter {
  resolve: (origin: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Entry {
  origins: string[];
  next: number;
  waiters: Set<EndpointWaiter>;
}

export class EndpointRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();

  /** Calls `fn` after every change of the ready origins (the gateway prunes its connection pools); returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Every ready origin of every revision. */
  origins(): Set<string> {
    const all = new Set<string>();
    for (const e of this.entries.values()) for (const o of e.origins) all.add(o);
    return all;
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private entry(revision: string): Entry {
    let e = this.entries.get(revision);
    if (!e) {
      e = { origins: [], next: 0, waiters: new Set() };
      this.entries.set(revision, e);
    }
    return e;
  }

  /** Replaces the ready origins of a revision (e.g. "http://127.0.0.1:40123"); wakes buffered requests. */
  set(revision: string, origins: string[]): void {
    const e = this.entry(revision);
    e.origins = origins;
    this.changed();
    if (origins.length === 0) return;
    for (const w of e.waiters) {
      clearTimeout(w.timer);
      w.resolve(this.pick(revision)!);
    }
    e.waiters.clear();
  }

  /** Round robin over ready origins; undefined when none is ready. */
  pick(revision: string): string | undefined {
    const e = this.entries.get(revision);
    if (!e || e.origins.length === 0) return undefined;
    e.next = (e.next + 1) % e.origins.length;
    return e.origins[e.next];
  }

  ready(revision: string): number {
    return this.entries.get(revision)?.origins.length ?? 0;
  }

  /** Requests held by the activator for a revision with no ready replica. */
  buffered(revision: string): number {
    return this.entries.get(revision)?.waiters.size ?? 0;
  }

  /** The activator: resolves with an origin as soon as one is ready, or rejects after timeoutMs. */
  waitFor(revision: string, timeoutMs: number): Promise<string> {
    const now = this.pick(revision);
    if (now) return Promise.resolve(now);
    const e = this.entry(revision);
    return new Promise<string>((resolve, reject) => {
      const waiter: EndpointWaiter = {
        resolve, reject,
        timer: setTimeout(() => {
          e.waiters.delete(waiter);
          reject(new Error(`no ready replica of ${revision} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      e.waiters.add(waiter);
    });
  }

  delete(revision: string): void {
    const e = this.entries.get(revision);
    if (!e) return;
    for (const w of e.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`revision ${revision} was removed`));
    }
    this.entries.delete(revision);
    this.changed();
  }
}
