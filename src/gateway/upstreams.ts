// Keep-alive connection pools of the gateway's HTTP/1.1 client (h1/pool.ts),
// one per upstream origin, created on first use and closed when the origin
// stops being an endpoint (retain). Every upstream exchange of the gateway
// goes through them: forwarded requests (forward.ts), graph steps
// (whole-answer.ts); mirror copies have pools of their own (mirror.ts).
import { H1Pool } from './h1/pool.ts';

const KEEP_ALIVE_MS = 30_000;

export class UpstreamPools {
  private readonly pools = new Map<string, H1Pool>();

  constructor(private readonly connectionsPerOrigin = 64) {}

  get(origin: string): H1Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new H1Pool(origin, { connections: this.connectionsPerOrigin, keepAliveTimeoutMs: KEEP_ALIVE_MS });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes pools whose origin is no longer an endpoint (a replica went away); exchanges in flight finish. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools) {
      if (origins.has(origin)) continue;
      this.pools.delete(origin);
      void pool.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
