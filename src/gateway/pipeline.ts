// What every request's stages share: the upstream client's pools, the mirror
// sender, the one retry budget, requests in flight (the autoscaler's signal
// and graceful close), the activator, the payload logger and the hooks that
// receive each response's record. One per gateway; per-request state lives in
// the request's ResponseRecord. A class, so per-request calls create no closures.
import type { HttpLimits } from '../core/http-limits.ts';
import type { EndpointRegistry } from './endpoints.ts';
import { GatewayError } from './error-reply.ts';
import type { FeedbackEndpoint } from './feedback.ts';
import type { IngressRoute, IngressTable } from './ingress.ts';
import { CE_REQUEST, logsRequest, logsResponse, PayloadLogger, type PayloadEvent } from './payload-logger.ts';
import { MirrorSender, type MirrorRecord } from './mirror.ts';
import type { ResponseIdentity, ResponseRecord } from './response-record.ts';
import { another, RetryBudget } from './retry-policy.ts';
import { UpstreamPools } from './upstreams.ts';
import type { VsLookup } from './vs-route.ts';

/** The ingress table plus, when any VirtualService routes something, its compiled table. */
export type GatewaySnapshot = IngressTable & { vs?: VsLookup };

export interface GatewayOptions {
  host?: string;
  port?: number;
  /** The current routing snapshot; the server swaps it in one assignment. */
  ingress: () => GatewaySnapshot;
  endpoints: EndpointRegistry;
  /** Called when a request arrives for a revision with no ready replica (wakes the autoscaler). */
  onDemand?: (key: string) => void;
  /**
   * A revision at zero or starting from zero (the autoscaler's view): the activator holds its
   * requests even where the service does not scale to zero itself (minReplicas ≥ 1, a revision
   * scaled down while no route pointed at it, routed again).
   */
  coldStarting?: (key: string) => boolean;
  /** Called after each response; must not block (telemetry, prediction log). */
  onResponse?: (record: ResponseRecord) => void;
  /**
   * Asked once per request before it is sent, when its identity is known: copy the request and
   * response bodies (up to outputCapBytes) into the ResponseRecord? Must be cheap (a sampler);
   * unsampled requests stay on the zero-copy streaming path. The argument is the record being
   * built, so a hook may key a cache on its fields but must not keep it.
   */
  wantsOutput?: (id: ResponseIdentity) => boolean;
  /** Bound on copied bodies (default 64 KiB, telemetry's maxBodyBytes); over it the copy is abandoned. */
  outputCapBytes?: number;
  rng?: () => number;
  /** Prometheus exposition for GET /metrics (scraped off the request path, never per request). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Upper bound on waiting for upstream headers. */
  upstreamTimeoutMs?: number;
  /** Sends payload-logger events; one is created (and closed with the gateway) when absent. */
  payloadLogger?: PayloadLogger;
  /** Called when a mirror copy has been answered (or failed); must not block. Paired with the primary by request id. */
  onMirrorResponse?: (record: MirrorRecord) => void;
  /** Called for each mirror copy not sent: too_large, overloaded (cap in flight), unavailable (no ready replica). */
  onMirrorDropped?: (namespace: string, service: string, reason: string) => void;
  /** Mirror copies: in-flight cap, per-copy deadline, connections per shadow, and the body buffer limit (default 1 MiB). */
  mirror?: { maxInFlight?: number; timeoutMs?: number; connectionsPerOrigin?: number; bodyLimitBytes?: number };
  /** Deadlines and sizes clients are held to; GATEWAY_LIMITS (limits.ts) for what is not given. */
  limits?: Partial<HttpLimits>;
  /** POST /switchyard/v1/feedback (feedback.ts): the token check and the store, from the server. Absent: 404. */
  feedback?: Omit<FeedbackEndpoint, 'listener'>;
}

export class Pipeline {
  readonly pools = new UpstreamPools();
  readonly mirrors: MirrorSender;
  readonly budget = new RetryBudget(() => this.active);
  readonly payloads: PayloadLogger;
  readonly rng: () => number;
  /** Request bodies up to this size are buffered, so they can be mirrored and retried. */
  readonly bufferLimit: number;
  /** Bound on the request and response copies kept in a ResponseRecord. */
  readonly outputCap: number;
  readonly headersTimeoutMs: number;
  /** Requests in flight per revision key, and in all. */
  readonly inflight = new Map<string, number>();
  active = 0;

  constructor(readonly opts: GatewayOptions) {
    this.mirrors = new MirrorSender({ ...opts.mirror, ...(opts.onMirrorResponse ? { onResponse: opts.onMirrorResponse } : {}) });
    this.payloads = opts.payloadLogger ?? new PayloadLogger();
    this.rng = opts.rng ?? Math.random;
    this.bufferLimit = opts.mirror?.bodyLimitBytes ?? 1024 * 1024;
    this.outputCap = opts.outputCapBytes ?? 65_536;
    this.headersTimeoutMs = opts.upstreamTimeoutMs ?? 300_000;
  }

  /** Counts a request in flight to a revision (or ServiceEntry host), or its end. */
  bump(key: string, by: number): void {
    this.inflight.set(key, (this.inflight.get(key) ?? 0) + by);
    this.active += by;
  }

  /** Asked once per request when its identity is known: copy its bodies for output telemetry? */
  sampled(rec: ResponseRecord): boolean {
    return this.opts.wantsOutput?.(rec) === true;
  }

  /** The request is over: its latency, and the record handed on. */
  finish(rec: ResponseRecord, started: number, sampled: boolean): void {
    if (sampled) rec.sampled = true;
    rec.latencyMs = performance.now() - started;
    this.opts.onResponse?.(rec);
  }

  /**
   * A ready replica of the revision, or one the activator wakes (the record then says how long it
   * was held: `activatorMs`); none ready and none woken in time is a 503.
   */
  async originFor(route: IngressRoute, rec: ResponseRecord): Promise<string> {
    const ready = this.opts.endpoints.pick(route.key);
    if (ready) return ready;
    if (!route.service.scaleFromZero && !this.opts.coldStarting?.(route.key)) throw new GatewayError(503, `no ready replica of revision ${route.revision}`, 'upstream');
    this.opts.onDemand?.(route.key);
    const held = performance.now();
    try {
      return await this.opts.endpoints.waitFor(route.key, route.service.activatorTimeoutMs);
    } catch (err) {
      throw new GatewayError(503, (err as Error).message, 'upstream');
    } finally {
      rec.activatorMs = performance.now() - held;
    }
  }

  /** The replica for a try at a revision: a retry goes to another than the one that failed when there is one. */
  revisionOrigin(route: IngressRoute, rec: ResponseRecord, attempt: number, failed: string): string | Promise<string> {
    if (attempt > 0) {
      const next = another(() => this.opts.endpoints.pick(route.key), failed);
      if (next !== undefined) return next;
    }
    return this.originFor(route, rec);
  }

  /** A copy of a body for the service's payload logger (KServe's logger: request and/or response CloudEvents). */
  logPayload(route: IngressRoute, type: PayloadEvent['type'], requestId: string, body: Buffer | undefined, contentType: string | undefined): void {
    const logger = route.service.logger;
    if (!logger || body === undefined) return;
    if (!(type === CE_REQUEST ? logsRequest(logger.mode) : logsResponse(logger.mode))) return;
    this.payloads.enqueue({
      url: logger.url, type, id: requestId, body, contentType: contentType ?? 'application/json',
      inferenceService: route.service.name, namespace: route.service.namespace, component: 'predictor',
      endpoint: route.variant === 'latest' && route.service.traffic.some((t) => t.tag === 'prev' && t.percent > 0) ? 'canary' : 'default',
      source: `${route.revision}-deployment`,
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.pools.close(), this.mirrors.close()]);
    if (!this.opts.payloadLogger) await this.payloads.close(500);
  }
}
