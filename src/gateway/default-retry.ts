// Istio's default retry policy on the streamed hot path (forward.ts): the
// policy Envoy applies to every route that names none, KServe's ingress
// VirtualService included. Over HTTP/1.1 two of its conditions apply: a
// refused connection and a 503 (ISTIO_DEFAULT_RETRIES). A 503 is held, not
// written, while a retry is still possible; retries share the gateway's retry
// budget and Envoy's backoff. Only a buffered body can be sent again.
import type { ServerResponse } from 'node:http';
import { forward, ForwardError, type Forward, type Forwarded } from './forward.ts';
import { backoffMs, failureOf, ProxyError, resetBeforeHeaders, retriable, type RetryBudget } from './proxy.ts';
import { ISTIO_DEFAULT_RETRIES } from './routing/compile-route.ts';
import type { UpstreamPools } from './upstreams.ts';
import { sleep } from '../core/sleep.ts';

/** The status Istio's default policy retries (503). */
const RETRY_STATUS = Number(ISTIO_DEFAULT_RETRIES.retryOn.find((c) => /^\d{3}$/.test(c)));

export interface DefaultRetryForward extends Omit<Forward, 'dispatcher' | 'holdStatus'> {
  /** The origin for an attempt (0: the first); a retry may pick another endpoint. Throws ProxyError when there is none. */
  origin: (attempt: number) => Promise<string> | string;
  pools: UpstreamPools;
  budget: RetryBudget;
  rng: () => number;
}

/**
 * Forwards under Istio's default retries. Resolves with the answer that was
 * written, or undefined when the client left during a backoff. Rejects with a
 * ProxyError when nothing was written (no origin, or every attempt failed
 * before an answer), or a ForwardError with `started` once the answer had begun.
 */
export async function forwardWithDefaultRetries(res: ServerResponse, f: DefaultRetryForward): Promise<Forwarded | undefined> {
  const policy = ISTIO_DEFAULT_RETRIES;
  const replayable = f.body === null || Buffer.isBuffer(f.body);
  // A retry holds a share of the budget until its own exchange is over (proxy.ts RetryBudget).
  let retrying = false;
  for (let attempt = 0; ; attempt++) {
    const mayRetry = replayable && attempt < policy.attempts;
    let retry = false;
    try {
      // Awaited only when it is a promise (waking a revision): most picks are a plain endpoint.
      const picked = f.origin(attempt);
      const origin = typeof picked === 'string' ? picked : await picked;
      const r = await forward(res, {
        dispatcher: f.pools.stream(origin), path: f.path, method: f.method, headers: f.headers, body: f.body,
        timeoutMs: f.timeoutMs, extra: f.extra, ops: f.ops, captureBytes: f.captureBytes, holdStatus: mayRetry ? RETRY_STATUS : 0,
      });
      if (!r.held) return r;
      // A held 503 with the retry budget spent: the client gets the 503, in the gateway's words.
      if (!f.budget.tryAcquire()) throw new ProxyError(503, 'upstream answered 503 and the retry budget is spent', 'upstream');
      retry = true;
    } catch (err) {
      if (!(err instanceof ForwardError) || err.started) throw err;
      if (!(mayRetry && retriable(policy.retryOn, 0, failureOf(err.cause)) && f.budget.tryAcquire())) throw resetBeforeHeaders(err.cause);
      retry = true;
    } finally {
      if (retrying) f.budget.release();
      retrying = retry;
    }
    await sleep(backoffMs(attempt, f.rng));
    if (res.destroyed) return undefined; // the client left during the backoff
  }
}

