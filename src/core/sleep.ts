// The one way to wait: node's promise timer, made abort-friendly. A sleep
// cut short by its signal resolves rather than rejects, so a loop that polls
// until aborted simply checks its signal after each wait.
import { setTimeout as timer } from 'node:timers/promises';

/** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return timer(ms, undefined, signal ? { signal } : {}).then(
    () => undefined,
    () => undefined,
  );
}
