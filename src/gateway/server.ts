// The inference gateway: a listener that stamps a request id, resolves the
// request to a route (resolver.ts) and hands it to the stage serving that
// kind of route — the InferenceService ingress (ingress-serve.ts), a
// VirtualService route (vs-serve.ts) or an InferenceGraph (graph/, with its
// steps in graph-steps.ts) — over one pipeline (pipeline.ts): one upstream
// client, one retry policy, one error responder. Also /metrics, the feedback
// endpoint, connection pools that follow the endpoints, and graceful close.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainable, type DrainReport } from '../core/http-drain.ts';
import { createLimitedServer, type HttpLimits } from '../core/http-limits.ts';
import { replyError } from './error-reply.ts';
import { serveSwitchyardPath, type FeedbackEndpoint } from './feedback.ts';
import { callService, callUrl } from './graph-steps.ts';
import { serveGraph } from './graph/serve.ts';
import { serveIngress } from './ingress-serve.ts';
import { countUndeclaredBody, GATEWAY_LIMITS, GatewayRequest, kserveErrorBody } from './limits.ts';
import type { PayloadLoggerStats } from './payload-logger.ts';
import type { MirrorRecord } from './mirror.ts';
import { Pipeline, type GatewayOptions, type GatewaySnapshot } from './pipeline.ts';
import { requestIdV7 } from './request-id.ts';
import { resolveRoute } from './resolver.ts';
import type { ResponseIdentity, ResponseRecord } from './response-record.ts';
import type { ShadowContext } from './shadow.ts';
import { serviceEntryOrigins } from './vs-route.ts';
import { serveVirtualService, type VsContext } from './vs-serve.ts';

export type { GatewayOptions, GatewaySnapshot, MirrorRecord, ResponseIdentity, ResponseRecord };

export interface Gateway {
  port: number;
  /** Requests in flight to a revision, by revisionKey(namespace, revision): the concurrency the autoscaler samples. */
  inflight(key: string): number;
  /** Payload logger counters: sent, failed, dropped (queue full), queued. */
  loggerStats(): PayloadLoggerStats;
  /** Stops accepting, waits up to drainMs for in-flight requests, then closes; says what it drained. */
  close(drainMs?: number): Promise<DrainReport>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const p = new Pipeline(opts);
  const limits: HttpLimits = { ...GATEWAY_LIMITS, ...opts.limits };
  const feedback: FeedbackEndpoint | undefined = opts.feedback ? { ...opts.feedback, listener: 'gateway' } : undefined;
  // Shadow copies load their revision (the autoscaler sees them) but are never waited for on close.
  const shadows: ShadowContext = {
    mirrors: p.mirrors, rng: p.rng, pickReady: (key) => opts.endpoints.pick(key),
    inflight: (key, by) => p.inflight.set(key, (p.inflight.get(key) ?? 0) + by),
    onFailed: (r) => opts.onMirrorResponse?.(r),
  };
  const pruner = poolPruner(p);

  // One VirtualService context per snapshot, rebuilt only when the snapshot is swapped.
  let vsCache: { table: GatewaySnapshot; ctx: VsContext } | undefined;
  function vsContext(table: GatewaySnapshot): VsContext {
    if (vsCache?.table !== table) vsCache = { table, ctx: { p, ingress: table, domain: table.vs!.table.domain } };
    return vsCache.ctx;
  }

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
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header !== '' ? header : requestIdV7();
    const table = opts.ingress();
    pruner.seen(table);
    const r = resolveRoute(table, req, p.rng);
    switch (r.kind) {
      case 'ingress':
        return serveIngress(p, shadows, req, res, r.route, requestId);
      case 'virtualService':
        return serveVirtualService(req, res, r.match, r.view, requestId, vsContext(table));
      case 'graph':
        return serveGraph(req, res, r.graph, requestId, {
          rng: p.rng,
          call: (target, body, signal) => (target.kind === 'service' ? callService(p, target, body, requestId, signal) : callUrl(p, target.url, body, requestId, signal)),
        });
      case 'error':
        return replyError(res, r.format, r.status, r.message, requestId);
    }
  }

  // A request that fails in an unforeseen way is that request's failure, not the gateway's.
  const server = createLimitedServer({ limits, errorBody: kserveErrorBody, IncomingMessage: GatewayRequest }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(`gateway: ${req.method} ${req.headers.host ?? ''}${req.url ?? ''} failed: ${(err as Error)?.stack ?? String(err)}`);
      replyError(res, 'kserve', 500, 'internal gateway error', String(req.headers['x-request-id'] ?? ''));
    });
  });
  const drain = drainable(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    inflight: (key) => p.inflight.get(key) ?? 0,
    loggerStats: () => p.payloads.stats(),
    async close(drainMs = 10_000) {
      // Every request the listener took is waited for, wherever it is (a fault delay, the activator, a graph).
      const report = await drain.close(drainMs);
      pruner.stop();
      await p.close();
      return report;
    },
  };
}

/**
 * Pools follow the endpoints: when a replica goes, or a ServiceEntry leaves the routing table,
 * its pools close (exchanges in flight on them finish). Coalesced: a burst of changes prunes once.
 */
function poolPruner(p: Pipeline): { seen(table: GatewaySnapshot): void; stop(): void } {
  let prunedFor: GatewaySnapshot | undefined;
  let queued = false;
  const prune = (): void => {
    queued = false;
    const table = p.opts.ingress();
    prunedFor = table;
    const live = p.opts.endpoints.origins();
    if (table.vs) serviceEntryOrigins(table.vs.table, live);
    p.pools.retain(live);
    p.mirrors.retain(live);
  };
  const schedule = (): void => {
    if (queued) return;
    queued = true;
    setImmediate(prune);
  };
  const unsubscribe = p.opts.endpoints.onChange(schedule);
  return {
    seen: (table) => {
      if (table !== prunedFor) schedule();
    },
    stop: unsubscribe,
  };
}
