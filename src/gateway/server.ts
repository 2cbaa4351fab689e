// The inference gateway: resolves each request to a revision (ingress
// table), picks a ready replica (or holds the request while one starts, as
// Knative's activator does), forwards it over a keep-alive pool and streams
// the answer back with the request id, revision and variant stamped on it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { EndpointRegistry } from './endpoints.ts';
import { routeIngress, type IngressRoute, type IngressTable } from './ingress.ts';
import { UpstreamPools } from './upstreams.ts';

export interface ResponseRecord {
  requestId: string;
  namespace: string;
  service: string;
  revision: string;
  variant: string;
  status: number;
  latencyMs: number;
  /** Held by the activator before a replica was ready. */
  buffered: boolean;
}

export interface GatewayOptions {
  host?: string;
  port?: number;
  /** The current routing snapshot; the server swaps it in one assignment. */
  ingress: () => IngressTable;
  endpoints: EndpointRegistry;
  /** Called when a request arrives for a revision with no ready replica (wakes the autoscaler). */
  onDemand?: (revision: string) => void;
  /** Called after each response; must not block (telemetry, prediction log). */
  onResponse?: (record: ResponseRecord) => void;
  rng?: () => number;
  /** Upper bound on waiting for upstream headers. */
  upstreamTimeoutMs?: number;
}

export interface Gateway {
  port: number;
  /** Requests in flight per revision: the concurrency the autoscaler samples. */
  inflight(revision: string): number;
  /** Stops accepting, waits up to drainMs for in-flight requests, then closes. */
  close(drainMs?: number): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'host']);

function forwardHeaders(headers: IncomingHttpHeaders, requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  out['x-request-id'] = requestId;
  return out;
}

function sendError(res: ServerResponse, status: number, message: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
  res.end(body);
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const pools = new UpstreamPools();
  const rng = opts.rng ?? Math.random;
  const inflight = new Map<string, number>();
  const headersTimeout = opts.upstreamTimeoutMs ?? 300_000;
  let active = 0;
  let idle: (() => void) | undefined;

  const bump = (revision: string, by: number): void => {
    inflight.set(revision, (inflight.get(revision) ?? 0) + by);
    active += by;
    if (active === 0) idle?.();
  };

  async function originFor(route: IngressRoute): Promise<{ origin: string; buffered: boolean }> {
    const ready = opts.endpoints.pick(route.revision);
    if (ready) return { origin: ready, buffered: false };
    if (!route.service.scaleFromZero) throw Object.assign(new Error(`no ready replica of revision ${route.revision}`), { status: 503 });
    opts.onDemand?.(route.revision);
    try {
      return { origin: await opts.endpoints.waitFor(route.revision, route.service.activatorTimeoutMs), buffered: true };
    } catch (err) {
      throw Object.assign(err as Error, { status: 503 });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header !== '' ? header : randomUUID();
    const result = routeIngress(opts.ingress(), req.headers.host, req.url ?? '/', rng);
    if (result.kind === 'notFound') return sendError(res, 404, result.message, requestId);
    if (result.kind === 'noTraffic') return sendError(res, 503, `InferenceService ${result.service.namespace}/${result.service.name} has no ready revision to route to`, requestId);
    const { route } = result;
    let status = 502;
    let buffered = false;
    bump(route.revision, 1);
    try {
      const picked = await originFor(route);
      buffered = picked.buffered;
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const upstream = await pools.get(picked.origin).request({
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET',
        headers: forwardHeaders(req.headers, requestId),
        body: hasBody ? req : null,
        headersTimeout,
        bodyTimeout: headersTimeout,
      });
      status = upstream.statusCode;
      const headers: Record<string, string | string[]> = {};
      for (const key in upstream.headers) {
        const v = upstream.headers[key];
        if (v !== undefined && !HOP_BY_HOP.has(key)) headers[key] = v;
      }
      headers['x-request-id'] = requestId;
      headers['x-switchyard-revision'] = route.revision;
      if (route.variant) headers['x-switchyard-variant'] = route.variant;
      res.writeHead(status, headers);
      await pipeline(upstream.body, res);
    } catch (err) {
      status = (err as { status?: number }).status ?? 502;
      sendError(res, status, status === 503 ? (err as Error).message : `upstream of revision ${route.revision} failed: ${(err as Error).message}`, requestId);
    } finally {
      bump(route.revision, -1);
      opts.onResponse?.({
        requestId, namespace: route.service.namespace, service: route.service.name, revision: route.revision,
        variant: route.variant, status, latencyMs: performance.now() - started, buffered,
      });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    inflight: (revision) => inflight.get(revision) ?? 0,
    async close(drainMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, drainMs))]);
      }
      server.closeAllConnections();
      await closed;
      await pools.close();
    },
  };
}
