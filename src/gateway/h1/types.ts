// The contract between the gateway's upstream client (h1/pool.ts) and the
// code that consumes an answer as it arrives (forward.ts, mirror.ts). The
// callbacks are named after undici's dispatch handler, whose role they take.
import type { Readable } from 'node:stream';

export interface UpstreamRequest {
  path: string;
  method: string;
  /** Lower-case names. `host` replaces the origin's; framing headers are the client's own business. */
  headers: Record<string, string | string[]>;
  /** A Buffer is sent with its Content-Length; a stream with the given `content-length`, else chunked. */
  body: Buffer | Readable | null;
  /** Bound on waiting for the status line once the request is sent, in ms. */
  headersTimeout: number;
  /** Bound on the wait between body bytes, in ms. */
  bodyTimeout: number;
}

export interface UpstreamHandler {
  /** The request has a connection; `abort` cancels the exchange (onError follows with its error). */
  onConnect(abort: (err?: Error) => void): void;
  /** Final status and header fields as received (flat: name, value, …); false pauses the body until `resume`. */
  onHeaders(status: number, headers: string[], resume: () => void): boolean;
  /** A slice of the body; false asks for a pause until `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** Exactly once, instead of onComplete; `code` says what failed (see h1/errors.ts). */
  onError(err: Error): void;
}

export interface Upstream {
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void;
}
