// One upstream exchange under a route's timeout and retry policy, as Envoy
// does it: a per-try timeout, retries on the conditions retryOn names, a
// jittered backoff, a budget so retries never add more than a fifth of the
// load, and never a retry once the response has started towards the client
// (a retry is decided on the upstream's status line, before anything is
// written). The caller streams the body it gets back.
import type { Dispatcher } from 'undici';
import type { CompiledRetries } from './routing/types.ts';
import { sleep } from '../core/sleep.ts';

/** Gateway-made failure with the status and Envoy-style text the client gets. */
export class ProxyError extends Error {
  constructor(readonly status: number, message: string, readonly errorClass: 'timeout' | 'upstream') {
    super(message);
  }
}

export const UPSTREAM_TIMEOUT = 'upstream request timeout';
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';

/** Retries in flight may be at most `ratio` of requests in flight (at least `min`): Envoy's retry budget. */
export class RetryBudget {
  private retrying = 0;

  constructor(private readonly active: () => number, private readonly ratio = 0.2, private readonly min = 3) {}

  tryAcquire(): boolean {
    if (this.retrying >= Math.max(this.min, this.ratio * this.active())) return false;
    this.retrying++;
    return true;
  }

  release(): void {
    this.retrying--;
  }
}

export type Failure = 'connect-failure' | 'reset' | 'per-try-timeout';

/** Whether retryOn covers an upstream status (0 = no status) or a failure. Numeric entries are retriable status codes (Istio). */
export function retriable(retryOn: readonly string[], status: number, failure?: Failure): boolean {
  for (const cond of retryOn) {
    switch (cond) {
      case '5xx':
        if (failure !== undefined || status >= 500) return true;
        break;
      case 'gateway-error':
        if (failure !== undefined || status === 502 || status === 503 || status === 504) return true;
        break;
      case 'connect-failure':
        if (failure === 'connect-failure') return true;
        break;
      case 'reset':
        if (failure === 'reset' || failure === 'per-try-timeout') return true;
        break;
      default:
        if (status > 0 && Number(cond) === status) return true;
    }
  }
  return false;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

/** What went wrong with an exchange that got no status: a refused connection or a reset. */
export function failureOf(err: unknown): Failure {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  return CONNECT_CODES.has(code) ? 'connect-failure' : 'reset';
}

/** Envoy's retry backoff: full jitter over 25 ms × 2^attempt, capped at 250 ms. */
export function backoffMs(attempt: number, rng: () => number): number {
  return rng() * Math.min(250, 25 * 2 ** attempt);
}

/** The gateway's answer when an upstream failed before sending headers, as Envoy words it. */
export function resetBeforeHeaders(err: unknown): ProxyError {
  return new ProxyError(503, `upstream connect error or disconnect/reset before headers. reset reason: ${failureOf(err) === 'connect-failure' ? 'connection failure' : 'connection termination'}`, 'upstream');
}

export interface ExchangeRequest {
  /** The origin of this attempt (a retry may pick another replica); throws ProxyError when none. */
  pick: () => Promise<{ dispatcher: Dispatcher; origin: string }>;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  /** A Buffer can be replayed; a stream allows one attempt only. */
  body: Buffer | NodeJS.ReadableStream | null;
  /** Route timeout: aborts the exchange (and the body stream the caller is reading); null without a timeout. */
  signal: AbortSignal | null;
  retries: CompiledRetries | null;
  budget: RetryBudget;
  /** Bound on waiting for headers when the route sets no timeout. */
  headersTimeoutMs: number;
  rng: () => number;
}

export interface Exchange {
  response: Dispatcher.ResponseData;
  origin: string;
  attempts: number;
}


/** Sends the request, retrying as the policy allows; resolves with the response whose status the client will see. */
export async function exchange(x: ExchangeRequest): Promise<Exchange> {
  const replayable = x.body === null || Buffer.isBuffer(x.body);
  const maxRetries = replayable && x.retries ? x.retries.attempts : 0;
  const perTryMs = x.retries?.perTryTimeoutMs ?? null;
  const route = x.signal;
  for (let attempt = 0; ; attempt++) {
    const retry = attempt > 0;
    let picked: { dispatcher: Dispatcher; origin: string };
    try {
      picked = await x.pick();
    } catch (err) {
      if (retry) x.budget.release();
      throw err;
    }
    const { dispatcher, origin } = picked;
    // Abort machinery only when a timeout asks for it: it is a measurable cost per request.
    const tryAbort = route !== null || perTryMs !== null ? new AbortController() : null;
    const onRouteAbort = () => tryAbort!.abort();
    route?.addEventListener('abort', onRouteAbort, { once: true });
    let perTryFired = false;
    const perTry = perTryMs !== null ? setTimeout(() => ((perTryFired = true), tryAbort!.abort()), perTryMs) : undefined;
    let failure: Failure | undefined;
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await dispatcher.request({
        path: x.path, method: x.method as Dispatcher.HttpMethod, headers: x.headers, body: x.body as Buffer | null,
        headersTimeout: x.headersTimeoutMs, bodyTimeout: x.headersTimeoutMs, ...(tryAbort ? { signal: tryAbort.signal } : {}),
      });
    } catch (err) {
      if (route?.aborted) throw new ProxyError(504, UPSTREAM_TIMEOUT, 'timeout');
      failure = perTryFired ? 'per-try-timeout' : failureOf(err);
    } finally {
      clearTimeout(perTry);
      // The route signal keeps guarding the body stream through tryAbort; unhook only failed tries.
      if (response === undefined) route?.removeEventListener('abort', onRouteAbort);
      if (retry) x.budget.release();
    }
    const status = response?.statusCode ?? 0;
    const again = attempt < maxRetries && retriable(x.retries!.retryOn, status, failure) && !route?.aborted && x.budget.tryAcquire();
    if (!again) {
      if (response) return { response, origin, attempts: attempt + 1 };
      if (failure === 'per-try-timeout') throw new ProxyError(504, UPSTREAM_TIMEOUT, 'timeout');
      throw new ProxyError(503, `upstream connect error or disconnect/reset before headers. reset reason: ${failure === 'connect-failure' ? 'connection failure' : 'connection termination'}`, 'upstream');
    }
    if (response) {
      response.body.dump().catch(() => undefined);
      route?.removeEventListener('abort', onRouteAbort);
    }
    await sleep(backoffMs(attempt, x.rng), route ?? undefined);
    if (route?.aborted) {
      x.budget.release();
      throw new ProxyError(504, UPSTREAM_TIMEOUT, 'timeout');
    }
  }
}
