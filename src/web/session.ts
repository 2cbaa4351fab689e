// The signed-in token, kept in sessionStorage only: it lives as long as the
// browser tab, is never written to localStorage or a cookie, and is sent only
// as the Authorization header of this origin's API calls.
const KEY = 'switchyard.token';

export interface User {
  name: string;
  role: string;
  /** The teams the token speaks for (a plan's spec.owner.team and canHalt name them). */
  groups: readonly string[];
}

type Listener = () => void;
const listeners = new Set<Listener>();
let user: User | undefined;
let expiredMessage: string | undefined;

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled: the token lives only in this page
  }
}

let memoryToken: string | undefined;

export const session = {
  token(): string | undefined {
    return storage()?.getItem(KEY) ?? memoryToken;
  },
  user(): User | undefined {
    return user;
  },
  /** Why the last session ended without the user signing out (a revoked token), once. */
  takeExpiredMessage(): string | undefined {
    const m = expiredMessage;
    expiredMessage = undefined;
    return m;
  },
  signIn(token: string, who: User): void {
    const s = storage();
    if (s) s.setItem(KEY, token);
    else memoryToken = token;
    user = who;
    notify();
  },
  /** Keeps the token, learns who it is (after a reload). */
  identify(who: User): void {
    user = who;
    notify();
  },
  signOut(): void {
    storage()?.removeItem(KEY);
    memoryToken = undefined;
    user = undefined;
    notify();
  },
  expire(message: string): void {
    if (!session.token()) return;
    expiredMessage = message;
    session.signOut();
  },
  subscribe(fn: Listener): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

function notify(): void {
  for (const fn of listeners) fn();
}
