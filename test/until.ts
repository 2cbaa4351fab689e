// Waiting in tests on real processes and servers: ask again until the answer
// is there, and fail naming what never came.

/** Polls `fn` every 200 ms until it gives something other than undefined; throws naming `what` (and what `log` says) after `ms`. */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 30_000, log?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${log ? `: ${log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
