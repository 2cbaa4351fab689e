// Generated load for end-to-end tests: iris rows drawn around the three class
// centres, sent through the gateway either as fast as `concurrency` workers
// can (closed loop) or paced at a fixed rate (open loop, like real clients).
// Every answer's status and revision header is counted; every request that
// got no complete answer is kept with why (the fault battery tells a refused
// connection from one closed before or during the answer).
import { Pool } from 'undici';
import type { Up } from './harness.ts';

export const CENTERS = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];

export interface LoadOptions {
  /** Workers (closed loop) or the most requests in flight (paced). */
  concurrency?: number;
  /** Requests per second; absent: as fast as the workers go. */
  rps?: number;
  /** Model name in the path; default the host's first label. */
  model?: string;
  /** Share of rows sent with a negative feature (a measurement no iris has). */
  negativeShare?: number;
  /** Extra headers per request (e.g. a user id), from the request's sequence number. */
  headers?: (i: number) => Record<string, string>;
}

export interface Seen {
  total: number;
  byStatus: Map<number, number>;
  byRevision: Map<string, number>;
  /** Every answer: the request's sequence number, status, the revision header and when it arrived (epoch ms), in order. */
  answers: Array<{ i: number; status: number; revision: string; at: number }>;
  /**
   * Every request without a complete answer (counted as status 0): its sequence number, the error's code
   * (ECONNREFUSED, UND_ERR_SOCKET, …), whether the status line had arrived, and when it failed (epoch ms).
   */
  failures: Array<{ i: number; code: string; afterStatus: boolean; at: number }>;
  /** Each answered request's latency as the client saw it (ms), in order. */
  latencies: number[];
}

export function startLoad(up: Up, host: string, opts: LoadOptions = {}) {
  const concurrency = opts.concurrency ?? 4;
  const model = opts.model ?? host.split('.')[0]!;
  const pool = new Pool(up.gatewayUrl, { connections: concurrency });
  const seen: Seen = { total: 0, byStatus: new Map(), byRevision: new Map(), answers: [], failures: [], latencies: [] };
  let stopped = false;
  let seed = 7;
  let sent = 0;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const row = () => {
    const c = CENTERS[Math.floor(rand() * 3)]!;
    const r = c.map((v) => Math.round((v + (rand() - 0.5) * 0.4) * 100) / 100);
    if (opts.negativeShare && rand() < opts.negativeShare) r[0] = -r[0]!;
    return r;
  };
  const once = async () => {
    const i = sent++;
    const t0 = performance.now();
    let afterStatus = false;
    try {
      const res = await pool.request({
        path: `/v1/models/${model}:predict`, method: 'POST', headers: { host, 'content-type': 'application/json', ...(opts.headers?.(i) ?? {}) },
        body: JSON.stringify({ instances: [row()] }), headersTimeout: 5000, bodyTimeout: 5000,
      });
      afterStatus = true;
      await res.body.arrayBuffer();
      const revision = (res.headers['x-switchyard-revision'] as string | undefined) ?? '';
      seen.total++;
      seen.byStatus.set(res.statusCode, (seen.byStatus.get(res.statusCode) ?? 0) + 1);
      seen.byRevision.set(revision, (seen.byRevision.get(revision) ?? 0) + 1);
      seen.answers.push({ i, status: res.statusCode, revision, at: Date.now() });
      seen.latencies.push(performance.now() - t0);
    } catch (err) {
      seen.byStatus.set(0, (seen.byStatus.get(0) ?? 0) + 1);
      const e = err as { code?: string; cause?: { code?: string } };
      seen.failures.push({ i, code: e.cause?.code ?? e.code ?? 'unknown', afterStatus, at: Date.now() });
    }
  };
  let done: Promise<unknown>;
  if (opts.rps === undefined) {
    done = Promise.all(Array.from({ length: concurrency }, async () => {
      while (!stopped) await once();
    }));
  } else {
    // Paced: one request every 1/rps seconds on average, at most `concurrency` in flight.
    const inFlight = new Set<Promise<void>>();
    const interval = 1000 / opts.rps;
    const start = Date.now();
    done = (async () => {
      while (!stopped) {
        const due = start + sent * interval;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopped) break;
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
        const p: Promise<void> = once().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    })();
  }
  return {
    seen,
    /** Requests started so far. */
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await done;
      await pool.close();
    },
  };
}
