// Mirroring (Istio `mirror` / `mirrors`): fire-and-forget copies of a
// buffered request on pools of their own, so a shadow that is down, slow,
// hanging or not reading can only use up its own connections. Mirrors in
// flight are capped (beyond it the copy is dropped and counted); each copy has
// a deadline; the response is drained, never reaches the client, and is handed
// to a hook for telemetry and the prediction log (paired by request id).
import { Pool } from 'undici';

export interface MirrorRecord {
  requestId: string;
  namespace: string;
  service: string;
  revision: string;
  variant: string;
  route?: string;
  destination?: string;
  /** The shadow's status; 502 when it could not be reached, 504 when it did not answer in time. */
  status: number;
  latencyMs: number;
  errorClass?: 'timeout' | 'upstream';
  /** The shadow's response body, up to the capture cap (absent when larger or failed). */
  output?: Buffer;
}

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
  /** Identity for the record; status and latency are filled in. */
  record: Omit<MirrorRecord, 'status' | 'latencyMs' | 'output' | 'errorClass'>;
}

export class MirrorSender {
  private readonly pools = new Map<string, Pool>();
  private inFlight = 0;
  private readonly max: number;
  private readonly connections: number;
  private readonly timeoutMs: number;
  private readonly capture: number;

  constructor(private readonly opts: MirrorOptions = {}) {
    this.max = opts.maxInFlight ?? 256;
    this.connections = opts.connectionsPerOrigin ?? 16;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.capture = opts.captureBytes ?? 65_536;
  }

  get pending(): number {
    return this.inFlight;
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000, connectTimeout: Math.min(this.timeoutMs, 5_000) });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** Starts a copy; false (nothing sent) when the cap of copies in flight is reached. Never throws. */
  send(copy: MirrorCopy): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight++;
    void this.run(copy).finally(() => this.inFlight--);
    return true;
  }

  private async run(copy: MirrorCopy): Promise<void> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status = 502;
    let errorClass: MirrorRecord['errorClass'];
    let output: Buffer | undefined;
    try {
      const r = await this.pool(copy.origin).request({
        path: copy.path, method: copy.method as 'POST', headers: copy.headers, body: copy.body,
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, signal,
      });
      status = r.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of r.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size <= this.capture) chunks.push(chunk);
      }
      if (size <= this.capture) output = Buffer.concat(chunks);
    } catch (err) {
      const timedOut = signal.aborted || /timeout/i.test((err as { code?: string }).code ?? '');
      // A shadow that answered and then broke off still answered; only its record shows it.
      if (timedOut) status = 504;
      errorClass = timedOut ? 'timeout' : 'upstream';
      output = undefined;
    }
    try {
      this.opts.onResponse?.({ ...copy.record, status, latencyMs: performance.now() - started, ...(errorClass ? { errorClass } : {}), ...(output ? { output } : {}) });
    } catch {
      // A failing hook must not become an unhandled rejection.
    }
  }

  /** Destroys the shadow pools: copies in flight are abandoned, never waited for. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
