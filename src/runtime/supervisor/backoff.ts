// Crash-restart backoff, kubelet style: the delay doubles with every crash in
// a row up to a cap, and a container that ran long enough starts over.

export interface BackoffPolicy {
  /** Delay after the first crash. Kubernetes uses 10 s; we use 1 s. */
  initialMs: number;
  /** Upper bound of the delay (Kubernetes: 5 min). */
  maxMs: number;
  /** A run at least this long forgets earlier crashes (Kubernetes: 10 min). */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface BackoffStep {
  /** Crashes in a row, including this one. */
  crashes: number;
  delayMs: number;
}

/** What to do after a process exit, given earlier crashes in a row and how long this run lasted. */
export function nextBackoff(previousCrashes: number, ranMs: number, policy: BackoffPolicy): BackoffStep {
  const crashes = ranMs >= policy.resetAfterMs ? 1 : previousCrashes + 1;
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(crashes - 1, 40));
  return { crashes, delayMs };
}
