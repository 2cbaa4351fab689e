// Preact hooks over the API: a followed collection (list + watch), a polled
// endpoint, a ticking clock, the route and the session.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.ts';
import { parseRoute, type Route } from './router.ts';
import { session } from './session.ts';
import { follow, type KubeObject, type LinkState } from './watch.ts';

export interface Followed<T> {
  items: T[];
  /** False until the first list arrived. */
  loaded: boolean;
  state: LinkState;
  error?: ApiError;
}

/** Every object of a collection, live: re-rendered on each watch event. Undefined path: nothing. */
export function useCollection<T extends KubeObject>(path: string | undefined, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Followed<T> {
  const [value, setValue] = useState<Followed<T>>({ items: [], loaded: false, state: 'connecting' });
  useEffect(() => {
    setValue({ items: [], loaded: false, state: 'connecting' });
    if (!path) return undefined;
    return follow({
      path, ...selectors,
      onItems: (items) => setValue((v) => ({ ...v, items: items as T[], loaded: true })),
      onState: (state, error) => setValue((v) => ({ ...v, state, ...(error ? { error } : { error: undefined }) } as Followed<T>)),
    });
  }, [path, selectors.labelSelector, selectors.fieldSelector]);
  return value;
}

export interface Polled<T> {
  data?: T;
  error?: ApiError;
  /** Fetch again now (e.g. after a watch event said something changed). */
  refresh: () => void;
}

/** GETs a path now, every intervalMs (0: only on refresh) and whenever key changes. */
export function usePoll<T>(path: string | undefined, intervalMs: number, key: unknown = undefined): Polled<T> {
  // Each answer remembers its path: after the path changes, the previous path's data is never shown as the new one's.
  const [state, setState] = useState<{ path?: string; data?: T; error?: ApiError }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return undefined;
    const abort = new AbortController();
    const load = () =>
      getJson<T>(path, { signal: abort.signal }).then(
        (data) => setState({ path, data }),
        (err: Error) => {
          if (!abort.signal.aborted) setState((s) => ({ ...(s.path === path ? s : {}), path, error: err instanceof ApiError ? err : new ApiError(0, err.message) }));
        },
      );
    void load();
    const timer = intervalMs > 0 ? setInterval(load, intervalMs) : undefined;
    return () => {
      abort.abort();
      if (timer) clearInterval(timer);
    };
  }, [path, intervalMs, key, tick]);
  const mine = state.path === path ? state : {};
  return { ...(mine.data !== undefined ? { data: mine.data } : {}), ...(mine.error ? { error: mine.error } : {}), refresh: () => setTick((t) => t + 1) };
}

/** The current time, re-read every intervalMs (for "5m ago" and time-in-step). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Re-renders when the user signs in or out. */
export function useSession(): { token?: string; user?: ReturnType<typeof session.user> } {
  const [, setN] = useState(0);
  useEffect(() => session.subscribe(() => setN((n) => n + 1)), []);
  const token = session.token();
  const user = session.user();
  return { ...(token ? { token } : {}), ...(user ? { user } : {}) };
}
