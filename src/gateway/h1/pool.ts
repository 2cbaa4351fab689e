// Keep-alive HTTP/1.1 connections to one upstream origin, at most
// `connections` of them; requests beyond wait in order. The most recently
// used idle connection goes first (the one least likely to have been closed
// by the upstream), and an idle one is closed a second before the upstream's
// own `Keep-Alive: timeout` would close it, as undici does.
//
// Why not undici's Pool: on the gateway's hot path its per-request work
// (validation, header objects, the wasm parser's callbacks) was the largest
// CPU cost after the kernel's; `bench/gateway.ts` measures the difference.
import { Connection, type ConnectionOwner } from './connection.ts';
import { poolClosed } from './errors.ts';
import type { Upstream, UpstreamHandler, UpstreamRequest } from './types.ts';

export interface H1PoolOptions {
  /** Connections open at most. */
  connections?: number;
  /** Idle connections are closed after this long (or sooner, as the upstream asks). */
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** How much sooner than the upstream's keep-alive timeout an idle connection is given up. */
const HINT_MARGIN_MS = 1_000;
const SWEEP_MS = 500;

export class H1Pool implements Upstream, ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly authority: string;
  readonly connectTimeoutMs: number;
  private readonly max: number;
  private readonly keepAliveMs: number;
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<{ req: UpstreamRequest; handler: UpstreamHandler }> = [];
  private waitingHead = 0;
  /** Every open connection: busy, idle or connecting. */
  private readonly live = new Set<Connection>();
  private closing = false;
  private drained: (() => void) | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(origin: string, opts: H1PoolOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`upstream origin ${origin}: only http and https are supported`);
    this.tls = url.protocol === 'https:';
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port) || (this.tls ? 443 : 80);
    this.authority = url.host;
    this.max = opts.connections ?? 64;
    this.keepAliveMs = opts.keepAliveTimeoutMs ?? 30_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  /** Connections open now (busy, idle or connecting). */
  get size(): number {
    return this.live.size;
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closing) return handler.onError(poolClosed());
    const now = performance.now();
    for (let c = this.idle.pop(); c !== undefined; c = this.idle.pop()) {
      if (c.idleUntil > now) return c.start(req, handler, true);
      c.destroy(); // past its keep-alive: the upstream may be closing it right now
    }
    if (this.live.size < this.max) return this.connect().start(req, handler, false);
    this.waiting.push({ req, handler });
  }

  release(c: Connection, hintMs: number): void {
    const next = this.next();
    if (next !== undefined) return c.start(next.req, next.handler, true);
    if (this.closing) {
      c.destroy();
      return;
    }
    const keepMs = hintMs > 0 ? Math.min(this.keepAliveMs, hintMs - HINT_MARGIN_MS) : this.keepAliveMs;
    // An upstream that keeps connections a second or less: not worth the race.
    if (keepMs <= 0) return c.destroy();
    c.idleUntil = performance.now() + keepMs;
    this.idle.push(c);
    this.sweeper ??= setInterval(this.sweep.bind(this), SWEEP_MS).unref();
  }

  remove(c: Connection): void {
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (!this.live.delete(c)) return;
    // A place freed up: a waiting request gets a new connection.
    const next = this.closing ? undefined : this.next();
    if (next !== undefined) this.connect().start(next.req, next.handler, false);
    if (this.live.size === 0) this.drained?.();
  }

  retry(req: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closing) return handler.onError(poolClosed());
    // On a new connection: another idle one may be as stale as the one that failed.
    if (this.live.size < this.max) return this.connect().start(req, handler, false);
    if (this.waitingHead > 0) this.waiting[--this.waitingHead] = { req, handler };
    else this.waiting.unshift({ req, handler });
  }

  /** Lets exchanges in flight finish, closes idle connections; new requests fail. */
  close(): Promise<void> {
    this.closing = true;
    this.stopSweeping();
    this.failWaiting();
    for (const c of this.idle.splice(0)) c.destroy();
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((r) => (this.drained = r));
  }

  /** Closes every connection now; exchanges in flight fail. */
  destroy(): Promise<void> {
    this.closing = true;
    this.stopSweeping();
    this.failWaiting();
    const done = this.live.size === 0 ? Promise.resolve() : new Promise<void>((r) => (this.drained = r));
    this.idle.length = 0;
    for (const c of this.live) c.destroy();
    return done;
  }

  /** Closes idle connections past their keep-alive; stops when none is idle. */
  private sweep(): void {
    const now = performance.now();
    // Backwards: a destroyed connection leaves the idle list at once.
    for (let i = this.idle.length - 1; i >= 0; i--) if (this.idle[i]!.idleUntil <= now) this.idle[i]!.destroy();
    if (this.idle.length === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private connect(): Connection {
    const c = new Connection(this);
    this.live.add(c);
    return c;
  }

  private next(): { req: UpstreamRequest; handler: UpstreamHandler } | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const n = this.waiting[this.waitingHead]!;
    this.waiting[this.waitingHead++] = undefined!;
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    }
    return n;
  }

  private failWaiting(): void {
    for (let n = this.next(); n !== undefined; n = this.next()) n.handler.onError(poolClosed());
  }
}
