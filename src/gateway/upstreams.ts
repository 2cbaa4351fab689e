// Keep-alive connection pools, one per upstream origin, created on first use:
// the gateway's own HTTP/1.1 client (h1/pool.ts) for exchanges streamed into
// the client's response (forward.ts, the hot path), and undici for the rest
// (retry/timeout policies, graph steps, logged payloads), which read answers
// as whole objects.
import { Pool } from 'undici';
import { H1Pool } from './h1/pool.ts';

const KEEP_ALIVE_MS = 30_000;

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly streams = new Map<string, H1Pool>();

  constructor(private readonly connectionsPerOrigin = 64) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connectionsPerOrigin, pipelining: 1, keepAliveTimeout: KEEP_ALIVE_MS });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** The pool forward.ts streams through. */
  stream(origin: string): H1Pool {
    let pool = this.streams.get(origin);
    if (!pool) {
      pool = new H1Pool(origin, { connections: this.connectionsPerOrigin, keepAliveTimeoutMs: KEEP_ALIVE_MS });
      this.streams.set(origin, pool);
    }
    return pool;
  }

  /** Drops pools whose origin is no longer an endpoint (a replica went away). */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools) {
      if (!origins.has(origin)) {
        this.pools.delete(origin);
        void pool.close().catch(() => pool.destroy());
      }
    }
    for (const [origin, pool] of this.streams) {
      if (!origins.has(origin)) {
        this.streams.delete(origin);
        void pool.close();
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([
      ...[...this.pools.values()].map((p) => p.close().catch(() => p.destroy())),
      ...[...this.streams.values()].map((p) => p.close()),
    ]);
    this.pools.clear();
    this.streams.clear();
  }
}
