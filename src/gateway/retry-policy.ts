// The retry policy, as Envoy applies it, wrapped around the upstream client:
// every proxied request is one or more tries of forward.ts under a route's
// retries (Istio's default policy when it names none: 2 retries on a refused
// connection or a 503). An answer a retry would follow is held, not written;
// a try has its per-try timeout until the status line; the route's deadline
// ends everything, backoff included; retries share one budget so they never
// add more than a fifth of the load; and nothing is retried once the answer
// has begun towards the client, nor a body that was streamed (not buffered).
import type { ServerResponse } from 'node:http';
import { forward, ForwardError, type Forward, type Forwarded } from './forward.ts';
import { GatewayError, resetBeforeHeaders, UPSTREAM_TIMEOUT } from './error-reply.ts';
import { failureOf, retriable, type Failure } from './retry-on.ts';
import type { CompiledRetries } from './routing/types.ts';
import type { Upstream } from './h1/types.ts';
import { sleep } from '../core/sleep.ts';

/** Retries in flight may be at most `ratio` of requests in flight (at least `min`): Envoy's retry budget. */
export class RetryBudget {
  private retrying = 0;

  constructor(private readonly active: () => number, private readonly ratio = 0.2, private readonly min = 3) {}

  /** Whether a retry could start now (nothing is taken). */
  hasRoom(): boolean {
    return this.retrying < Math.max(this.min, this.ratio * this.active());
  }

  tryAcquire(): boolean {
    if (!this.hasRoom()) return false;
    this.retrying++;
    return true;
  }

  release(): void {
    this.retrying--;
  }
}

/** Envoy's retry backoff: full jitter over 25 ms × 2^attempt, capped at 250 ms. */
export function backoffMs(attempt: number, rng: () => number): number {
  return rng() * Math.min(250, 25 * 2 ** attempt);
}

/** A retry's endpoint: another than the one that failed when there is one (Envoy's previous_hosts, 5 selection attempts). */
export function another(pick: () => string | undefined, failed: string): string | undefined {
  for (let i = 0; i < 5; i++) {
    const next = pick();
    if (next === undefined) return undefined;
    if (next !== failed) return next;
  }
  return failed;
}

export interface RetriedForward extends Omit<Forward, 'dispatcher' | 'holdFor' | 'tryTimeoutMs'> {
  /** The origin of a try (0: the first; `failed`: the previous try's); throws a GatewayError when there is none. */
  origin: (attempt: number, failed: string) => Promise<string> | string;
  /** The upstream client per origin (upstreams.ts). */
  pools: { get(origin: string): Upstream };
  budget: RetryBudget;
  retries: CompiledRetries;
  rng: () => number;
}

/**
 * Forwards under the retry policy. Resolves with the answer that was written, or undefined when
 * the client left during a backoff. Rejects with a GatewayError when nothing was written (no
 * origin, a timeout, or every try failed before an answer), or a ForwardError with `started`.
 */
export async function forwardWithRetries(res: ServerResponse, f: RetriedForward): Promise<Forwarded | undefined> {
  const policy = f.retries;
  const replayable = f.body === null || Buffer.isBuffer(f.body);
  const deadline = f.deadline;
  // A retry holds a share of the budget until its own try is over.
  let retrying = false;
  let origin = '';
  for (let attempt = 0; ; attempt++) {
    const mayRetry = replayable && attempt < policy.attempts && f.budget.hasRoom();
    let retry = false;
    try {
      // Awaited only when it is a promise (waking a revision): most picks are a plain endpoint.
      const picked = f.origin(attempt, origin);
      origin = typeof picked === 'string' ? picked : await picked;
      // The deadline may have passed while the activator woke a replica.
      if (deadline?.aborted) throw new GatewayError(504, UPSTREAM_TIMEOUT, 'timeout');
      const r = await forward(res, {
        dispatcher: f.pools.get(origin), path: f.path, method: f.method, headers: f.headers, body: f.body,
        timeoutMs: f.timeoutMs, extra: f.extra, ops: f.ops, captureBytes: f.captureBytes,
        holdFor: mayRetry ? policy.retryOn : null, tryTimeoutMs: policy.perTryTimeoutMs, deadline,
      });
      if (!r.held) return r;
      // Held, and the budget spent meanwhile: the answer is gone, the client gets a 503 in the gateway's words.
      if (!f.budget.tryAcquire()) throw new GatewayError(503, `upstream answered ${r.status} and the retry budget is spent`, 'upstream');
      retry = true;
    } catch (err) {
      if (!(err instanceof ForwardError)) throw err;
      if (err.cutoff === 'deadline' && !err.started) throw new GatewayError(504, UPSTREAM_TIMEOUT, 'timeout');
      if (err.started) throw err;
      const failure: Failure = err.cutoff === 'per-try-timeout' ? 'per-try-timeout' : failureOf(err.cause);
      if (!(mayRetry && retriable(policy.retryOn, 0, failure) && f.budget.tryAcquire())) {
        throw failure === 'per-try-timeout' ? new GatewayError(504, UPSTREAM_TIMEOUT, 'timeout') : resetBeforeHeaders(err.cause);
      }
      retry = true;
    } finally {
      if (retrying) f.budget.release();
      retrying = retry;
    }
    await sleep(backoffMs(attempt, f.rng), deadline ?? undefined);
    if (deadline?.aborted) {
      f.budget.release();
      throw new GatewayError(504, UPSTREAM_TIMEOUT, 'timeout');
    }
    if (res.destroyed) {
      f.budget.release();
      return undefined; // the client left during the backoff
    }
  }
}
