// The inference gateway: resolves each request to a revision (ingress
// table), picks a ready replica (or holds the request while one starts, as
// Knative's activator does), forwards it over a keep-alive pool and streams
// the answer back with the request id, revision and variant stamped on it.
// Hosts of InferenceGraphs run the graph router (graph/); services with a
// payload logger get request/response copies queued to their sink (logger.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request as undiciRequest } from 'undici';
import { createLimitedServer, type HttpLimits } from '../core/http-limits.ts';
import { drainable, type DrainReport } from '../core/http-drain.ts';
import type { EndpointRegistry } from './endpoints.ts';
import type { StepTarget } from './graph/compile.ts';
import type { StepResult } from './graph/execute.ts';
import { serveGraph } from './graph/serve.ts';
import { routeIngress, type IngressRoute, type IngressTable } from './ingress.ts';
import { requestKeyReader } from './cohorts.ts';
import { CE_REQUEST, CE_RESPONSE, logsRequest, logsResponse, PayloadLogger, type PayloadEvent, type PayloadLoggerStats } from './logger.ts';
import { UpstreamPools } from './upstreams.ts';
import { forwardHeaders, responseHeaders } from './headers.ts';
import { ForwardError } from './forward.ts';
import { forwardWithDefaultRetries } from './default-retry.ts';
import { countUndeclaredBody, GATEWAY_LIMITS, GatewayRequest, kserveErrorBody } from './limits.ts';
import { requestIdV7 } from './request-id.ts';
import { BodyCopy, bufferBody } from './capture.ts';
import { MirrorSender, type MirrorRecord } from './mirror.ts';
import { isShadowed, sendShadow, type ShadowContext } from './shadow.ts';
import { serveSwitchyardPath, type FeedbackEndpoint } from './feedback.ts';
import { ProxyError, RetryBudget } from './proxy.ts';
import { matchVirtualService, requestView, type VsLookup } from './vs-route.ts';
import { serveVirtualService, type VsContext } from './vs-serve.ts';

export type { MirrorRecord };

/** The ingress table plus, when any VirtualService routes something, its compiled table. */
export type GatewaySnapshot = IngressTable & { vs?: VsLookup };

export interface ResponseRecord {
  /** Strata values of the request when an active TrafficPlan defines strata (telemetry slices). */
  cohort?: Record<string, string>;
  /** The request's unit key when an active TrafficPlan assigns by one (the prediction log keeps its keyed hash). */
  unit?: string;
  /** A bandit's assignment: the allocation version and the chosen arm's probability under it. */
  allocation?: number;
  propensity?: number;
  requestId: string;
  namespace: string;
  service: string;
  revision: string;
  /** Artifact digest (sha256:…) of the revision's model, from the routing table that chose it. */
  digest?: string;
  variant: string;
  status: number;
  latencyMs: number;
  /** Held by the activator before a replica was ready. */
  buffered: boolean;
  /** VirtualService route id (namespace/vs/route) and destination host, when a VirtualService routed it. */
  route?: string;
  destination?: string;
  /** Why the gateway answered an error itself (504 timeout, 502/503 upstream). */
  errorClass?: 'timeout' | 'upstream';
  /**
   * The answer body, up to outputCapBytes: copied only when `wantsOutput` sampled the request
   * (`sampled`) or a mirror was sent (so primary and shadow outputs can be paired). Absent when
   * larger than the cap, when the exchange failed mid-body, or when not copied.
   */
  output?: Buffer;
  /** The request body, up to outputCapBytes, for sampled requests (instance count, prediction log input). */
  input?: Buffer;
  /** `wantsOutput` said yes: the output is meant for output telemetry (a mirrored request's copy may not be). */
  sampled?: boolean;
}

/** What identifies a response's series before it is sent: the fields of its ResponseRecord known up front. */
export type ResponseIdentity = Pick<ResponseRecord, 'namespace' | 'service' | 'revision' | 'variant' | 'route' | 'destination' | 'cohort'>;

export interface GatewayOptions {
  host?: string;
  port?: number;
  /** The current routing snapshot; the server swaps it in one assignment. */
  ingress: () => GatewaySnapshot;
  endpoints: EndpointRegistry;
  /** Called when a request arrives for a revision with no ready replica (wakes the autoscaler). */
  onDemand?: (key: string) => void;
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

export interface Gateway {
  port: number;
  /** Requests in flight per revision: the concurrency the autoscaler samples. */
  /** Requests in flight to a revision, by revisionKey(namespace, revision). */
  inflight(key: string): number;
  /** Payload logger counters: sent, failed, dropped (queue full), queued. */
  loggerStats(): PayloadLoggerStats;
  /** Stops accepting, waits up to drainMs for in-flight requests, then closes; says what it drained. */
  close(drainMs?: number): Promise<DrainReport>;
}

/** A copy of the response body as it streams past, up to a cap (beyond it the copy is abandoned). */
function tap(cap: number): { stream: Transform; copy: () => Buffer | undefined } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= cap) chunks.push(chunk);
      done(null, chunk);
    },
  });
  return { stream, copy: () => (size <= cap ? Buffer.concat(chunks) : undefined) };
}

const LOG_BODY_CAP = 4 * 1024 * 1024;

function jsonResult(status: number, body: unknown): StepResult {
  return { status, body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

const hostOf = (header: string | undefined): string => (header ?? '').replace(/:\d+$/, '').toLowerCase();

function sendError(res: ServerResponse, status: number, message: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { contentType, body } = kserveErrorBody(status, message);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
  res.end(body);
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const pools = new UpstreamPools();
  const mirrors = new MirrorSender({ ...opts.mirror, ...(opts.onMirrorResponse ? { onResponse: opts.onMirrorResponse } : {}) });
  const budget = new RetryBudget(() => active);
  const bufferLimit = opts.mirror?.bodyLimitBytes ?? 1024 * 1024;
  const outputCap = opts.outputCapBytes ?? 65_536;
  const rng = opts.rng ?? Math.random;
  const payloads = opts.payloadLogger ?? new PayloadLogger();
  const inflight = new Map<string, number>();
  const headersTimeout = opts.upstreamTimeoutMs ?? 300_000;
  const limits: HttpLimits = { ...GATEWAY_LIMITS, ...opts.limits };
  let active = 0;

  // In-flight requests by route key (revisionKey), for the autoscaler and the retry budget.
  const bump = (key: string, by: number): void => {
    inflight.set(key, (inflight.get(key) ?? 0) + by);
    active += by;
  };
  // Shadow copies load their revision (the autoscaler sees them) but are never waited for on close.
  const shadowContext: ShadowContext = {
    mirrors, rng, pickReady: (key) => opts.endpoints.pick(key),
    inflight: (key, by) => inflight.set(key, (inflight.get(key) ?? 0) + by),
    onFailed: (r) => opts.onMirrorResponse?.(r),
  };

  /**
   * A ready replica of the revision, or one the activator wakes (the record is then marked
   * `buffered`); none ready and none woken in time is a ProxyError 503.
   */
  async function originFor(route: IngressRoute, rec: ResponseRecord): Promise<string> {
    const ready = opts.endpoints.pick(route.key);
    if (ready) return ready;
    if (!route.service.scaleFromZero) throw new ProxyError(503, `no ready replica of revision ${route.revision}`, 'upstream');
    opts.onDemand?.(route.key);
    rec.buffered = true;
    try {
      return await opts.endpoints.waitFor(route.key, route.service.activatorTimeoutMs);
    } catch (err) {
      throw new ProxyError(503, (err as Error).message, 'upstream');
    }
  }

  /** A retry's replica: another than the one that failed when there is one (Envoy's previous_hosts), woken if none is ready. */
  function retryOrigin(route: IngressRoute, rec: ResponseRecord, failed: string): string | Promise<string> {
    for (let i = 0; i < 5; i++) {
      const next = opts.endpoints.pick(route.key);
      if (next === undefined) break;
      if (next !== failed) return next;
    }
    return originFor(route, rec);
  }

  function logPayload(route: IngressRoute, type: PayloadEvent['type'], requestId: string, body: Buffer | undefined, contentType: string | undefined): void {
    const logger = route.service.logger;
    if (!logger || body === undefined) return;
    if (!(type === CE_REQUEST ? logsRequest(logger.mode) : logsResponse(logger.mode))) return;
    payloads.enqueue({
      url: logger.url, type, id: requestId, body, contentType: contentType ?? 'application/json',
      inferenceService: route.service.name, namespace: route.service.namespace, component: 'predictor',
      endpoint: route.variant === 'latest' && route.service.traffic.some((t) => t.tag === 'prev' && t.percent > 0) ? 'canary' : 'default',
      source: `${route.revision}-deployment`,
    });
  }

  /** A graph step that names an InferenceService: routed and forwarded exactly like a client request. */
  async function callService(target: Extract<StepTarget, { kind: 'service' }>, body: Buffer, requestId: string, signal: AbortSignal | undefined): Promise<StepResult> {
    const result = routeIngress(opts.ingress(), target.host, target.path, rng);
    if (result.kind === 'notFound') return jsonResult(404, { error: result.message });
    if (result.kind === 'noTraffic') return jsonResult(503, { error: `InferenceService ${target.namespace}/${target.name} has no ready revision to route to` });
    const { route } = result;
    const started = performance.now();
    const rec: ResponseRecord = {
      requestId, namespace: route.service.namespace, service: route.service.name, revision: route.revision, digest: route.digest,
      variant: route.variant, status: 502, latencyMs: 0, buffered: false,
    };
    // Graph steps hold both bodies whole anyway: a sampled step only keeps them.
    const sampled = opts.wantsOutput?.(rec) === true;
    if (sampled && body.length <= outputCap) rec.input = body;
    bump(route.key, 1);
    try {
      const origin = await originFor(route, rec);
      logPayload(route, CE_REQUEST, requestId, body, 'application/json');
      const upstream = await pools.get(origin).request({
        path: target.path, method: 'POST', body, headersTimeout, bodyTimeout: headersTimeout,
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        ...(signal ? { signal } : {}),
      });
      const out = Buffer.from(await upstream.body.arrayBuffer());
      rec.status = upstream.statusCode;
      if (sampled && out.length <= outputCap) rec.output = out;
      const ct = upstream.headers['content-type'];
      const contentType = typeof ct === 'string' ? ct : undefined;
      logPayload(route, CE_RESPONSE, requestId, out, contentType);
      return { status: rec.status, body: out, ...(contentType ? { contentType } : {}) };
    } catch (err) {
      if (signal?.aborted) throw err;
      rec.status = (err as { status?: number }).status ?? 502;
      return jsonResult(rec.status, { error: rec.status === 503 ? (err as Error).message : `upstream of revision ${route.revision} failed: ${(err as Error).message}` });
    } finally {
      bump(route.key, -1);
      if (sampled) rec.sampled = true;
      rec.latencyMs = performance.now() - started;
      opts.onResponse?.(rec);
    }
  }

  /** A graph step with serviceUrl: a plain POST, as KServe's router makes it. */
  async function callUrl(url: string, body: Buffer, requestId: string, signal: AbortSignal | undefined): Promise<StepResult> {
    const r = await undiciRequest(url, {
      method: 'POST', body, headersTimeout, bodyTimeout: headersTimeout,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      ...(signal ? { signal } : {}),
    });
    const ct = r.headers['content-type'];
    return { status: r.statusCode, body: Buffer.from(await r.body.arrayBuffer()), ...(typeof ct === 'string' ? { contentType: ct } : {}) };
  }

  // One context per snapshot, rebuilt only when the snapshot is swapped.
  let vsCache: { table: GatewaySnapshot; ctx: VsContext } | undefined;
  function vsContext(table: GatewaySnapshot): VsContext {
    if (vsCache?.table === table) return vsCache.ctx;
    const ctx: VsContext = {
      ingress: table, domain: table.vs!.table.domain, rng, headersTimeoutMs: headersTimeout, budget, pools, mirrors, bufferLimit,
      originFor, pickReady: (key) => opts.endpoints.pick(key), bump, outputCap,
      ...(opts.onResponse ? { onResponse: opts.onResponse } : {}),
      ...(opts.wantsOutput ? { wantsOutput: opts.wantsOutput } : {}),
      ...(opts.onMirrorDropped ? { onMirrorDropped: opts.onMirrorDropped } : {}),
    };
    vsCache = { table, ctx };
    return ctx;
  }

  const feedback: FeedbackEndpoint | undefined = opts.feedback ? { ...opts.feedback, listener: 'gateway' } : undefined;

  async function serveMetrics(res: ServerResponse): Promise<void> {
    const { contentType, body } = opts.metrics ? await opts.metrics() : { contentType: feedback!.stats.registry.contentType, body: '' };
    const text = feedback ? body + (await feedback.stats.metricsText()) : body;
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/metrics' && (opts.metrics || feedback) && req.method === 'GET') return serveMetrics(res);
    if (req.url?.startsWith('/switchyard/')) return serveSwitchyardPath(req, res, feedback);
    countUndeclaredBody(req, res, limits);
    const started = performance.now();
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header !== '' ? header : requestIdV7();
    const table = opts.ingress();
    // One map lookup, and only when graphs exist: plain service requests pay nothing more.
    const graph = table.graphs?.size ? table.graphs.get(hostOf(req.headers.host)) : undefined;
    if (graph) {
      return serveGraph(req, res, graph, requestId, {
        rng,
        call: (target, body, signal) => (target.kind === 'service' ? callService(target, body, requestId, signal) : callUrl(target.url, body, requestId, signal)),
      });
    }
    if (table.vs !== undefined) {
      const view = requestView(req);
      const match = matchVirtualService(table.vs, view);
      if (match) return serveVirtualService(req, res, match, view, requestId, vsContext(table));
      if (match === null) return sendError(res, 404, `no route of the VirtualServices for host "${hostOf(req.headers.host)}" matches ${req.method} ${view.path}`, requestId);
    }
    // Only tables with a plan's cohorts pay for a key reader (exclusions, sticky units, strata).
    const result = routeIngress(table, req.headers.host, req.url ?? '/', rng, table.hasCohorts ? requestKeyReader(req.headers, req.url ?? '/') : undefined);
    if (result.kind === 'notFound') return sendError(res, 404, result.message, requestId);
    if (result.kind === 'noTraffic') return sendError(res, 503, `InferenceService ${result.service.namespace}/${result.service.name} has no ready revision to route to`, requestId);
    const { route } = result;
    const logged = route.service.logger !== undefined;
    const rec: ResponseRecord = {
      requestId, namespace: route.service.namespace, service: route.service.name, revision: route.revision, digest: route.digest,
      variant: route.variant, status: 502, latencyMs: 0, buffered: false,
    };
    if (route.cohort) rec.cohort = route.cohort;
    if (route.unit) rec.unit = route.unit;
    if (route.propensity !== undefined) {
      rec.allocation = route.allocation;
      rec.propensity = route.propensity;
    }
    const sampled = opts.wantsOutput?.(rec) === true;
    let outCopy: BodyCopy | undefined;
    bump(route.key, 1);
    try {
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const origin = await originFor(route, rec);
      let body: IncomingMessage | Transform | Readable | Buffer | null = hasBody ? req : null;
      let reqTap: ReturnType<typeof tap> | undefined;
      if (logged && hasBody) {
        // Copy the request as it streams upstream; queue it once the upload is complete.
        const t = (reqTap = tap(LOG_BODY_CAP));
        t.stream.once('end', () => logPayload(route, CE_REQUEST, requestId, t.copy(), req.headers['content-type']));
        pipeline(req, t.stream).catch(() => undefined);
        body = t.stream;
      } else if (hasBody) {
        // Buffered up to the limit, as Envoy buffers for its retries: a refused connection or a 503 can be
        // retried on another replica (default-retry.ts); sampled requests also count their instances.
        body = await bufferBody(req, bufferLimit);
        if (sampled && Buffer.isBuffer(body) && body.length <= outputCap) rec.input = body;
      }
      const path = route.path ?? req.url ?? '/';
      const method = req.method ?? 'GET';
      // A plan's shadow phase: a copy of a buffered (or bodiless) request goes to the candidate, off the critical path.
      const shadowed = isShadowed(route.shadow, rng) && (body === null || Buffer.isBuffer(body));
      if (shadowed) sendShadow(shadowContext, route, route.shadow!, { requestId, method, path, headers: forwardHeaders(req.headers, requestId), body: body as Buffer | null });
      if (!logged || !hasBody) {
        // The hot path: streamed straight into res through the gateway's upstream client (h1/),
        // under Istio's default retries, as KServe's ingress VirtualService is.
        const extra = route.variant
          ? ['x-request-id', requestId, 'x-switchyard-revision', route.revision, 'x-switchyard-variant', route.variant]
          : ['x-request-id', requestId, 'x-switchyard-revision', route.revision];
        let tried = origin;
        const r = await forwardWithDefaultRetries(res, {
          origin: (attempt) => {
            if (attempt === 0) return tried;
            const next = retryOrigin(route, rec, tried);
            return typeof next === 'string' ? (tried = next) : next.then((o) => (tried = o));
          },
          pools, budget, rng, path, method, headers: forwardHeaders(req.headers, requestId), body,
          // Sampled requests keep the answer for output telemetry; shadowed ones so the prediction log can pair it with the shadow's.
          timeoutMs: headersTimeout, extra, ops: null, captureBytes: sampled || shadowed ? outputCap : 0,
        });
        if (r === undefined) return; // the client left during a backoff
        rec.status = r.status;
        if (r.output !== undefined) rec.output = r.output;
        return;
      }
      const upstream = await pools.get(origin).request({
        path,
        method: method as 'GET',
        headers: forwardHeaders(req.headers, requestId),
        body,
        headersTimeout,
        bodyTimeout: headersTimeout,
      });
      rec.status = upstream.statusCode;
      const headers = responseHeaders(upstream.headers);
      headers['x-request-id'] = requestId;
      headers['x-switchyard-revision'] = route.revision;
      if (route.variant) headers['x-switchyard-variant'] = route.variant;
      res.writeHead(rec.status, headers);
      if (sampled) {
        outCopy = new BodyCopy(upstream.body, outputCap);
        if (reqTap) {
          const input = reqTap.copy();
          if (input !== undefined && input.length <= outputCap) rec.input = input;
        }
      }
      // With a payload logger: both bodies are copied for its events.
      const t = tap(LOG_BODY_CAP);
      await pipeline(upstream.body, t.stream, res);
      const ct = upstream.headers['content-type'];
      logPayload(route, CE_RESPONSE, requestId, t.copy(), typeof ct === 'string' ? ct : undefined);
      const output = outCopy?.take();
      if (output !== undefined) rec.output = output;
    } catch (err) {
      if ((req as GatewayRequest).bodyRefused) {
        // The client's body outgrew the limit: answered 413 (limits.ts), not the revision's failure.
        rec.status = 413;
      } else if (err instanceof ProxyError) {
        // Nothing was written: no replica, or every attempt failed before an answer (Envoy's words).
        rec.status = err.status;
        rec.errorClass = err.errorClass;
        sendError(res, err.status, err.message, requestId);
      } else if (err instanceof ForwardError && err.started) {
        // The answer had begun: it can only be cut short.
        rec.status = err.status;
        rec.errorClass = 'upstream';
        res.destroy();
      } else {
        rec.status = (err as { status?: number }).status || 502;
        sendError(res, rec.status, rec.status === 503 ? (err as Error).message : `upstream of revision ${route.revision} failed: ${(err as Error).message}`, requestId);
      }
    } finally {
      bump(route.key, -1);
      if (sampled) rec.sampled = true;
      rec.latencyMs = performance.now() - started;
      opts.onResponse?.(rec);
    }
  }

  // A request that fails in an unforeseen way is that request's failure, not the gateway's.
  const server = createLimitedServer({ limits, errorBody: kserveErrorBody, IncomingMessage: GatewayRequest }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(`gateway: ${req.method} ${req.headers.host ?? ''}${req.url ?? ''} failed: ${(err as Error)?.stack ?? String(err)}`);
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'internal gateway error', String(req.headers['x-request-id'] ?? ''));
    });
  });
  const drain = drainable(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    inflight: (key) => inflight.get(key) ?? 0,
    loggerStats: () => payloads.stats(),
    async close(drainMs = 10_000) {
      // Every request the listener took is waited for, wherever it is (a fault delay, the activator, a graph).
      const report = await drain.close(drainMs);
      await Promise.all([pools.close(), mirrors.close()]);
      if (!opts.payloadLogger) await payloads.close(500);
      return report;
    },
  };
}
