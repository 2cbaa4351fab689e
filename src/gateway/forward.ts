// One upstream exchange streamed straight into the client response through
// the gateway's HTTP/1.1 client (h1/pool.ts): no response stream object, no
// pipe, no parsed header object — the upstream's headers go to res.writeHead
// as a flat list. Every proxied request is one or more of these, under the
// retry policy (retry-policy.ts): an answer the policy would retry is held
// (read to its end, not written), and a try can be cut short by its per-try
// timeout or the route's deadline.
// The handler is a class, not closures: tsx's keepNames would otherwise
// define a `name` on every closure of every request.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Upstream, UpstreamHandler } from './h1/types.ts';
import { HOP_BY_HOP } from './headers.ts';
import { retriable } from './retry-on.ts';
import type { HeaderOps } from './routing/types.ts';
import { applyHeaderOps, type HeaderMap } from './vs-route.ts';

export interface Forward {
  dispatcher: Upstream;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable | null;
  /** Bound on waiting for the status line, and between body chunks. */
  timeoutMs: number;
  /** Response headers the gateway adds (flat name, value, …), after the upstream's. */
  extra: string[];
  /** VirtualService response header rules, applied in order (null entries skipped). */
  ops: ReadonlyArray<HeaderOps | null | undefined> | null;
  /** Bytes of the response body to keep (0: none); beyond it the copy is abandoned. */
  captureBytes: number;
  /** retryOn conditions a retry would follow (retry-on.ts): an answer they cover is drained, not sent; null: none. */
  holdFor: readonly string[] | null;
  /** Bound on this try until the upstream's status line (Envoy's perTryTimeout); null: none. */
  tryTimeoutMs: number | null;
  /** The route's deadline: aborts the exchange, even mid-body; null: none. */
  deadline: AbortSignal | null;
}

export interface Forwarded {
  status: number;
  /** The response body, when captured and within the bound. */
  output: Buffer | undefined;
  /** The answer was one to retry (holdFor): nothing was written to the client. */
  held: boolean;
  /** The upstream's Content-Type, when the body was captured. */
  contentType: string | undefined;
}

/** What cut a try short, when the gateway did. */
export type Cutoff = 'per-try-timeout' | 'deadline';

/**
 * A failure of the exchange; `started` (with the upstream's status) when the response had already
 * begun towards the client; `cutoff` when a timeout of the gateway's ended it.
 */
export class ForwardError extends Error {
  constructor(cause: Error, readonly started: boolean, readonly status: number, readonly cutoff: Cutoff | undefined) {
    super(cause.message, { cause });
  }
}

/** Our own response headers replace the upstream's of the same name. */
function isExtra(extra: string[], lower: string): boolean {
  for (let i = 0; i < extra.length; i += 2) if (extra[i] === lower) return true;
  return false;
}

class Handler implements UpstreamHandler {
  private abortFn: ((err?: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private status = 0;
  private chunks: Buffer[] | null;
  private size = 0;
  private done = false;
  private held = false;
  private onDrain: (() => void) | null = null;
  private waiting = false;
  private contentType: string | undefined = undefined;
  private cutoff: Cutoff | undefined = undefined;
  private tryTimer: NodeJS.Timeout | undefined = undefined;
  private onDeadline: (() => void) | null = null;
  private readonly onClose: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly f: Forward,
    private readonly resolve: (r: Forwarded) => void,
    private readonly reject: (e: ForwardError) => void,
  ) {
    this.chunks = f.captureBytes > 0 ? [] : null;
    this.onClose = this.closed.bind(this);
    res.once('close', this.onClose);
    // Timers only when a policy asks for them: they are a measurable cost per request.
    if (f.tryTimeoutMs !== null) this.tryTimer = setTimeout(this.cut.bind(this, 'per-try-timeout'), f.tryTimeoutMs);
    if (f.deadline !== null) f.deadline.addEventListener('abort', (this.onDeadline = this.cut.bind(this, 'deadline')), { once: true });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    // The client left before the upstream connection was ready.
    if (this.done) abort(new Error('the client closed the connection'));
  }

  onHeaders(status: number, raw: string[], resume: () => void): boolean {
    this.status = status;
    this.resumeFn = resume;
    clearTimeout(this.tryTimer);
    // Held for a retry: read to the end (the connection stays reusable), write nothing.
    if (this.f.holdFor !== null && retriable(this.f.holdFor, status)) return (this.held = true);
    const flat: string[] = [];
    const extra = this.f.extra;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || isExtra(extra, lower)) continue;
      if (this.chunks !== null && lower === 'content-type') this.contentType = raw[i + 1];
      flat.push(name, raw[i + 1]!);
    }
    for (let i = 0; i < extra.length; i++) flat.push(extra[i]!);
    const ops = this.f.ops;
    if (ops === null) {
      this.res.writeHead(status, flat);
    } else {
      // Header rules need names to look up: an object, lower-case names (as header rules name them).
      const h: HeaderMap = {};
      for (let i = 0; i < flat.length; i += 2) {
        const k = flat[i]!.toLowerCase();
        const old = h[k];
        h[k] = old === undefined ? flat[i + 1]! : Array.isArray(old) ? [...old, flat[i + 1]!] : [old, flat[i + 1]!];
      }
      for (const o of ops) applyHeaderOps(h, o);
      this.res.writeHead(status, h);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.held) return true;
    if (this.chunks !== null) {
      this.size += chunk.length;
      if (this.size > this.f.captureBytes) this.chunks = null;
      else this.chunks.push(chunk);
    }
    if (this.res.write(chunk)) return true;
    // One listener however many slices arrive before the drain.
    if (!this.waiting) {
      this.waiting = true;
      this.res.once('drain', (this.onDrain ??= this.drained.bind(this)));
    }
    return false;
  }

  onComplete(): void {
    if (this.done) return;
    this.finish();
    if (this.held) return this.resolve({ status: this.status, output: undefined, held: true, contentType: undefined });
    this.res.end();
    const c = this.chunks;
    this.resolve({ status: this.status, output: c === null ? undefined : c.length === 1 ? c[0]! : Buffer.concat(c, this.size), held: false, contentType: this.contentType });
  }

  onError(err: Error): void {
    if (this.done) return;
    this.finish();
    this.reject(new ForwardError(err, this.res.headersSent, this.held ? 0 : this.status, this.cutoff));
  }

  private finish(): void {
    this.done = true;
    this.res.off('close', this.onClose);
    clearTimeout(this.tryTimer);
    if (this.onDeadline !== null) this.f.deadline!.removeEventListener('abort', this.onDeadline);
  }

  /** A timeout of the gateway's ended the try. */
  private cut(why: Cutoff): void {
    if (this.done) return;
    this.cutoff = why;
    this.cancel(new Error(why === 'deadline' ? 'upstream request timeout' : 'per-try timeout'));
  }

  private drained(): void {
    this.waiting = false;
    this.resumeFn?.();
  }

  /** The client went away before the answer was complete: stop reading the upstream. */
  private closed(): void {
    if (!this.done) this.cancel(new Error('the client closed the connection'));
  }

  private cancel(err: Error): void {
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }
}

/** Sends the request and streams the answer to `res`; resolves once the answer is written, rejects with a ForwardError. */
export function forward(res: ServerResponse, f: Forward): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const handler = new Handler(res, f, resolve, reject);
    f.dispatcher.dispatch({ path: f.path, method: f.method, headers: f.headers, body: f.body, headersTimeout: f.timeoutMs, bodyTimeout: f.timeoutMs }, handler);
  });
}
