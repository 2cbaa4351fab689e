// The API server's limits, kube-apiserver's defaults: a request head within
// 32 s (its ReadHeaderTimeout), a whole request within 60 s (--request-timeout),
// idle keep-alive connections closed after 90 s (its IdleTimeout), heads up to
// 1 MiB (MaxHeaderBytes), bodies up to 3 MiB. Beyond kube-apiserver: at most
// 10 000 open connections (Envoy's edge listener limit) and 1 000 open
// watches, so watchers can never take every connection. Errors are Statuses.
import type { ErrorBody, HttpLimits } from '../../core/http-limits.ts';
import { syError, type ErrorCode } from '../../core/errors.ts';
import { DEFAULT_BODY_LIMIT } from '../http/body.ts';
import { statusFor } from '../http/respond.ts';

export interface ApiLimits extends HttpLimits {
  /** Watches (`?watch=true`) open at once; one more is 429 with Retry-After. */
  maxWatches: number;
}

export const API_LIMITS: ApiLimits = {
  headersTimeoutMs: 32_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 90_000,
  maxBodyBytes: DEFAULT_BODY_LIMIT,
  maxHeaderBytes: 1024 * 1024,
  maxConnections: 10_000,
  maxWatches: 1000,
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  408: 'SY_ERR_REQUEST_TIMEOUT',
  413: 'SY_ERR_BODY_TOO_LARGE',
  431: 'SY_ERR_HEADER_TOO_LARGE',
};

/** What a client that failed before it had a response gets: a metav1.Status, as for every other failure. */
export const statusErrorBody: ErrorBody = (status, message) => ({
  contentType: 'application/json',
  body: JSON.stringify(statusFor(syError(CODE_BY_STATUS[status] ?? 'SY_ERR_BAD_REQUEST', message))),
});
