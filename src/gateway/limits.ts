// The gateway's limits on its clients (src/core/http-limits.ts applies them):
// a request head within 32 s (kube-apiserver's ReadHeaderTimeout; Envoy sets
// none by default), a whole request within 300 s and kept-alive connections
// closed after 65 s idle (longer than the 60 s of common load balancers and
// client pools, so the gateway is not the side that races them), heads up to
// 60 KiB (Envoy's max_request_headers_kb), at most 10 000 connections (Envoy's
// edge listener limit), and bodies up to 64 MiB, what the built-in model
// server accepts. Errors are KServe's `{"error": "..."}`.
import { IncomingMessage, type ServerResponse } from 'node:http';
import { refuseBody, type ErrorBody, type HttpLimits } from '../core/http-limits.ts';

export const GATEWAY_LIMITS: HttpLimits = {
  headersTimeoutMs: 32_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 65_000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxHeaderBytes: 60 * 1024,
  maxConnections: 10_000,
};

/** The error body of the KServe V1 and V2 (Open Inference) protocols. */
export const kserveErrorBody: ErrorBody = (_status, message) => ({ contentType: 'application/json', body: JSON.stringify({ error: message }) });

/** The failure a request body stream ends with when it grew past the limit. */
export class BodyTooLargeError extends Error {
  readonly status = 413;
}

/**
 * The gateway's requests. A body of undeclared length (chunked) is counted as
 * node parses it: past the limit it is refused — 413 if no answer has begun,
 * the connection closed, nothing more read — and whatever was reading it
 * (the upstream exchange) fails. A declared length over the limit never gets
 * here (src/core/http-limits.ts refuses it unread).
 */
export class GatewayRequest extends IncomingMessage {
  private counted: { max: number; bytes: number; res: ServerResponse; limits: HttpLimits } | undefined;
  /** The body was refused for its size (telemetry records the request as the 413 it got). */
  bodyRefused = false;

  /** Counts the body of this request, which declares no length. */
  limitBody(limits: HttpLimits, res: ServerResponse): void {
    this.counted = { max: limits.maxBodyBytes, bytes: 0, res, limits };
  }

  override push(chunk: any, encoding?: BufferEncoding): boolean {
    if (this.bodyRefused) return false;
    const c = this.counted;
    if (c !== undefined && chunk !== null && (c.bytes += (chunk as Buffer).length) > c.max) {
      this.bodyRefused = true;
      if (!c.res.headersSent) refuseBody(c.res, c.limits, kserveErrorBody);
      // Only this request: its connection is left to refuseBody's lingering close, which node's own
      // _destroy would cut short by destroying the socket.
      this._destroy = keepSocket;
      this.destroy(new BodyTooLargeError(`the request body exceeds the limit of ${c.max} bytes`));
      return false;
    }
    return super.push(chunk, encoding);
  }
}

/** A refused request's _destroy: the error reaches only those listening for it, as node's own does; the socket stays. */
function keepSocket(this: IncomingMessage, err: Error | null, cb: (err?: Error | null) => void): void {
  process.nextTick(() => cb(this.listenerCount('error') === 0 ? null : err));
}

/** Called first thing per request: only requests without a declared length are counted. */
export function countUndeclaredBody(req: IncomingMessage, res: ServerResponse, limits: HttpLimits): void {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined) (req as GatewayRequest).limitBody(limits, res);
}
