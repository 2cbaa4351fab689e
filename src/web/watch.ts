// List, then watch: the Kubernetes way to follow a collection, as kubectl
// get -w does. The watch is the API's own `?watch=true` stream of
// newline-delimited events, read with fetch (EventSource cannot send a bearer
// token). A watch that ends is resumed from the last resourceVersion; one the
// server no longer has history for (410) or that fails starts over with a list.
import { ApiError, send, urlOf } from './api.ts';
import { lineSplitter } from './lines.ts';
import type { KubeObject } from './model/kinds.ts';

export type { KubeObject };

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

export type LinkState = 'connecting' | 'live' | 'retrying';

export const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Applies one event to the collection (keyed namespace/name); returns whether it changed. */
export function applyEvent(items: Map<string, KubeObject>, ev: WatchEvent): boolean {
  if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
    items.set(keyOf(ev.object), ev.object);
    return true;
  }
  if (ev.type === 'DELETED') return items.delete(keyOf(ev.object));
  return false;
}

export interface FollowOptions {
  /** The collection's path, e.g. /apis/switchyard.dev/v1alpha1/namespaces/NS/trafficplans. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  onItems: (items: KubeObject[]) => void;
  onState?: (state: LinkState, error?: ApiError) => void;
}

// The browser's counterpart of src/core/sleep.ts (which uses node's timers): resolves early on abort.
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** Follows a collection until the returned stop is called. */
export function follow(opts: FollowOptions): () => void {
  const abort = new AbortController();
  const { signal } = abort;
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  void (async () => {
    let failures = 0;
    while (!signal.aborted) {
      const items = new Map<string, KubeObject>();
      try {
        opts.onState?.(failures === 0 ? 'connecting' : 'retrying');
        const list = (await (await send(opts.path, { query: selectors, signal })).json()) as { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
        for (const o of list.items ?? []) items.set(keyOf(o), o);
        opts.onItems([...items.values()]);
        let rv = list.metadata?.resourceVersion ?? '0';
        // Resume watches from the last revision seen until one fails; a failure lists again.
        for (;;) {
          const res = await send(urlOf(opts.path, { ...selectors, watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 }), { signal });
          opts.onState?.('live');
          failures = 0;
          const lines = lineSplitter();
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            let changed = false;
            for (const line of lines(value)) {
              const ev = JSON.parse(line) as WatchEvent;
              if (ev.type === 'ERROR') throw new ApiError(ev.object.code ?? 500, ev.object.message ?? 'watch error');
              rv = ev.object.metadata?.resourceVersion ?? rv;
              changed = applyEvent(items, ev) || changed;
            }
            if (changed) opts.onItems([...items.values()]);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const error = err instanceof ApiError ? err : new ApiError(0, (err as Error).message);
        opts.onState?.('retrying', error);
        if (error.status === 401) return; // signed out: the session ends the page
        if (error.status !== 410) await sleep(Math.min(10_000, 500 * 2 ** Math.min(failures, 5)), signal);
      }
    }
  })();
  return () => abort.abort();
}
