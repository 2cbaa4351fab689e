// Mirroring (Istio `mirror` / `mirrors`): fire-and-forget copies of a
// buffered request on pools of their own, so a shadow that is down, slow,
// hanging or not reading can only use up its own connections. Mirrors in
// flight are capped (beyond it the copy is dropped and counted); each copy has
// a deadline; the response is drained, never reaches the client, and is handed
// to a hook for telemetry and the prediction log (paired by request id).
import { H1Pool } from './h1/pool.ts';
import type { UpstreamHandler } from './h1/types.ts';
import type { AnswerRecord } from './response-record.ts';

/** A mirror copy's answer: the shadow's status (502 unreachable, 504 not in time) and its body up to the capture cap. */
export type MirrorRecord = AnswerRecord;

export interface MirrorOptions {
  /** Copies in flight across all shadows before new ones are dropped (default 256). */
  maxInFlight?: number;
  /** Keep-alive connections per shadow origin (default 16). */
  connectionsPerOrigin?: number;
  /** Deadline of one copy, connect to last byte (default 10 s). */
  timeoutMs?: number;
  /** Response bytes kept for the record (default 64 KiB). */
  captureBytes?: number;
  onResponse?: (r: MirrorRecord) => void;
}

export interface MirrorCopy {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  /** The copy's record: its identity now; status, latency and output are filled in when the copy is over. */
  record: MirrorRecord;
  /** Called when the copy is on a connection to the shadow (no longer queued in the gateway). */
  onStarted?: () => void;
  /** Called once when the copy is over, before the record is handed on (e.g. to count it in flight). */
  onDone?: () => void;
}

export class MirrorSender {
  private readonly pools = new Map<string, H1Pool>();
  private inFlight = 0;
  private readonly max: number;
  private readonly connections: number;
  readonly timeoutMs: number;
  readonly capture: number;

  constructor(private readonly opts: MirrorOptions = {}) {
    this.max = opts.maxInFlight ?? 256;
    this.connections = opts.connectionsPerOrigin ?? 16;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.capture = opts.captureBytes ?? 65_536;
  }

  get pending(): number {
    return this.inFlight;
  }

  private pool(origin: string): H1Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new H1Pool(origin, { connections: this.connections, keepAliveTimeoutMs: 30_000, connectTimeoutMs: Math.min(this.timeoutMs, 5_000) });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** Starts a copy; false (nothing sent) when the cap of copies in flight is reached. Never throws. */
  send(copy: MirrorCopy): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight++;
    const h = new MirrorHandler(this, copy);
    try {
      this.pool(copy.origin).dispatch({
        path: copy.path, method: copy.method, headers: copy.headers, body: copy.body,
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs,
      }, h);
    } catch (err) {
      h.onError(err as Error);
    }
    return true;
  }

  /** Called once per copy by its handler. */
  finished(copy: MirrorCopy, status: number, latencyMs: number, errorClass: MirrorRecord['errorClass'], output: Buffer | undefined): void {
    this.inFlight--;
    try {
      copy.onDone?.();
      // The copy's own record, completed in place: one object per copy, no spreads on this path.
      const r = copy.record;
      r.status = status;
      r.latencyMs = latencyMs;
      if (errorClass) r.errorClass = errorClass;
      if (output) r.output = output;
      this.opts.onResponse?.(r);
    } catch {
      // A failing hook must not break the gateway.
    }
  }

  /** Closes the pools of shadows that are no longer endpoints; copies in flight on them finish. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools) {
      if (origins.has(origin)) continue;
      this.pools.delete(origin);
      void pool.close();
    }
  }

  /** Destroys the shadow pools: copies in flight are abandoned, never waited for. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}

/**
 * One copy, drained through the gateway's HTTP/1.1 client: the body is read
 * (up to the capture bound) and dropped, never streamed anywhere; a timer is
 * the copy's deadline, connect to last byte.
 */
class MirrorHandler implements UpstreamHandler {
  private readonly started = performance.now();
  private abortFn: ((err?: Error) => void) | null = null;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  private status = 502;
  private chunks: Buffer[] | null = [];
  private size = 0;
  private done = false;

  constructor(private readonly sender: MirrorSender, private readonly copy: MirrorCopy) {
    this.timer = setTimeout(this.deadline.bind(this), sender.timeoutMs);
  }

  private deadline(): void {
    this.timedOut = true;
    const err = Object.assign(new Error('mirror deadline'), { code: 'UND_ERR_ABORTED' });
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.done) abort(new Error('mirror deadline'));
    else this.copy.onStarted?.();
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.chunks !== null) {
      this.size += chunk.length;
      if (this.size > this.sender.capture) this.chunks = null;
      else this.chunks.push(chunk);
    }
    return true;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const c = this.chunks;
    const output = c === null ? undefined : c.length === 1 ? c[0]! : Buffer.concat(c, this.size);
    this.sender.finished(this.copy, this.status, performance.now() - this.started, undefined, output);
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const timedOut = this.timedOut || /timeout/i.test((err as { code?: string }).code ?? '');
    // A shadow that answered and then broke off still answered; only its record shows it.
    this.sender.finished(this.copy, timedOut ? 504 : this.status, performance.now() - this.started, timedOut ? 'timeout' : 'upstream', undefined);
  }
}
