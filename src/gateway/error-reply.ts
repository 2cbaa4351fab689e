// The gateway's own answers when it cannot proxy: no route, no replica, a
// timeout, every try failed. One format per protocol, chosen here: KServe's
// `{"error": "..."}` on inference paths — the InferenceService ingress, graphs,
// and V1 / Open Inference paths whatever routed them (what KServe clients
// parse) — and Envoy's plain text on other VirtualService routes (what Istio
// users and their tooling see from a mesh proxy).
import type { ServerResponse } from 'node:http';
import { ForwardError } from './forward.ts';
import { kserveErrorBody } from './limits.ts';
import type { ResponseRecord } from './response-record.ts';
import { failureOf } from './retry-on.ts';

export type ErrorFormat = 'kserve' | 'envoy';

/** The V1 (`/v1/models/...`) and Open Inference (`/v2/...`) protocols' paths. */
const INFERENCE_PATH = /^\/v[12]\//;

/** The error format of a request: KServe's on the ingress and on inference paths, Envoy's on other mesh routes. */
export function errorFormat(route: 'ingress' | 'graph' | 'virtualService', path: string): ErrorFormat {
  return route !== 'virtualService' || INFERENCE_PATH.test(path) ? 'kserve' : 'envoy';
}

/** A failure the gateway answers itself, with the status and text the client gets. */
export class GatewayError extends Error {
  constructor(readonly status: number, message: string, readonly errorClass: 'timeout' | 'upstream') {
    super(message);
  }
}

export const UPSTREAM_TIMEOUT = 'upstream request timeout';
export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';

/** The answer when an upstream failed before sending headers, as Envoy words it. */
export function resetBeforeHeaders(err: unknown): GatewayError {
  const reason = failureOf(err) === 'connect-failure' ? 'connection failure' : 'connection termination';
  return new GatewayError(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, 'upstream');
}

/** Answers an error in the route's format; an answer already begun can only be cut short. */
export function replyError(res: ServerResponse, format: ErrorFormat, status: number, message: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { contentType, body } = format === 'kserve' ? kserveErrorBody(status, message) : { contentType: 'text/plain', body: message };
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
  res.end(body);
}

/**
 * How a request that failed is answered and recorded: a body refused for its size was answered
 * 413 already (limits.ts); a GatewayError in its words; an answer already begun is cut short;
 * anything else is the upstream's failure (`what` says whose).
 */
export function answerFailure(res: ServerResponse, format: ErrorFormat, rec: ResponseRecord, err: unknown, bodyRefused: boolean, what: string): void {
  if (bodyRefused) {
    rec.status = 413;
  } else if (err instanceof GatewayError) {
    rec.status = err.status;
    rec.errorClass = err.errorClass;
    replyError(res, format, err.status, err.message, rec.requestId);
  } else if (res.headersSent) {
    // Mid-body: the route's deadline, or the upstream or client went away. Nothing can be retried now.
    if (err instanceof ForwardError) rec.status = err.status;
    rec.errorClass = err instanceof ForwardError && err.cutoff === 'deadline' ? 'timeout' : 'upstream';
    res.destroy();
  } else {
    rec.status = (err as { status?: number }).status || 502;
    rec.errorClass = 'upstream';
    replyError(res, format, rec.status, rec.status === 503 ? (err as Error).message : `${what}: ${(err as Error).message}`, rec.requestId);
  }
}
