// KServe's payload logger (pkg/logger in the agent), gateway side: copies of
// inference requests and/or responses POSTed to spec.predictor.logger.url as
// binary-mode CloudEvents. Off the critical path: events go on a bounded
// queue drained by a few workers; when the queue is full the event is dropped
// and counted, so a dead or slow sink never delays or fails a request.
import { Agent, request } from 'undici';
import { sleep } from '../core/sleep.ts';

export type LoggerMode = 'all' | 'request' | 'response';

/** What the ingress table carries for a service with spec.predictor.logger. */
export interface LoggerSpec {
  mode: LoggerMode;
  url: string;
}

export const CE_REQUEST = 'org.kubeflow.serving.inference.request';
export const CE_RESPONSE = 'org.kubeflow.serving.inference.response';

export interface PayloadEvent {
  url: string;
  type: typeof CE_REQUEST | typeof CE_RESPONSE;
  /** The request id: KServe uses it as ce-id for both events of one request. */
  id: string;
  body: Buffer;
  contentType: string;
  inferenceService: string;
  namespace: string;
  component: string;
  /** "default" or "canary", as KServe's injector passes --endpoint. */
  endpoint: string;
  /** KServe passes the component's deployment name as --source-uri. */
  source: string;
}

export interface PayloadLoggerStats {
  queued: number;
  sent: number;
  /** Delivery attempted and failed (refused, timed out, non-2xx). */
  failed: number;
  /** Never attempted: the queue was full. */
  dropped: number;
}

export interface PayloadLoggerOptions {
  maxQueue?: number;
  workers?: number;
  /** Per-POST bound on connect + headers + body. */
  timeoutMs?: number;
  now?: () => Date;
}

export function logsRequest(mode: LoggerMode): boolean {
  return mode === 'all' || mode === 'request';
}

export function logsResponse(mode: LoggerMode): boolean {
  return mode === 'all' || mode === 'response';
}

/** The CloudEvents binary-mode headers KServe's logger sends. */
export function cloudEventHeaders(ev: PayloadEvent, time: Date): Record<string, string> {
  return {
    'content-type': ev.contentType,
    'ce-specversion': '1.0',
    'ce-id': ev.id,
    'ce-source': ev.source,
    'ce-type': ev.type,
    'ce-time': time.toISOString(),
    'ce-inferenceservicename': ev.inferenceService,
    'ce-namespace': ev.namespace,
    'ce-component': ev.component,
    'ce-endpoint': ev.endpoint,
  };
}

export class PayloadLogger {
  private readonly queue: PayloadEvent[] = [];
  private readonly maxQueue: number;
  private readonly workers: number;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private readonly agent: Agent;
  private busy = 0;
  private closed = false;
  private readonly counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(opts: PayloadLoggerOptions = {}) {
    this.maxQueue = opts.maxQueue ?? 1000;
    this.workers = opts.workers ?? 4;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.now = opts.now ?? (() => new Date());
    // Its own connections: a stuck sink must not hold sockets the upstream pools need.
    this.agent = new Agent({ connections: this.workers, keepAliveTimeout: 10_000, connectTimeout: this.timeoutMs });
  }

  /** Queues an event; false when it was dropped because the queue is full. Never throws. */
  enqueue(ev: PayloadEvent): boolean {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push(ev);
    if (this.busy < this.workers) {
      this.busy++;
      setImmediate(() => void this.drain());
    }
    return true;
  }

  stats(): PayloadLoggerStats {
    return { queued: this.queue.length, ...this.counts };
  }

  private async drain(): Promise<void> {
    try {
      for (let ev = this.queue.shift(); ev; ev = this.queue.shift()) await this.send(ev);
    } finally {
      this.busy--;
    }
  }

  private async send(ev: PayloadEvent): Promise<void> {
    try {
      const res = await request(ev.url, {
        method: 'POST', dispatcher: this.agent, body: ev.body,
        headers: cloudEventHeaders(ev, this.now()),
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) this.counts.sent++;
      else this.counts.failed++;
    } catch {
      this.counts.failed++;
    }
  }

  /** Stops accepting; waits up to graceMs for queued events, then cuts the rest. */
  async close(graceMs = 1000): Promise<void> {
    this.closed = true;
    const end = Date.now() + graceMs;
    while ((this.queue.length > 0 || this.busy > 0) && Date.now() < end) await sleep(20);
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
    await this.agent.destroy().catch(() => undefined);
  }
}
