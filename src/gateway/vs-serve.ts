// Serves one request a VirtualService route matched: fault injection, the
// destination choice (weighted or sticky), rewrite and header rules, the
// exchange under the route's timeout and retries, the response back with the
// request id, revision and variant stamped on it, and mirror copies sent
// beside the primary on their own pools.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyCopy, bufferBody } from './capture.ts';
import { forwardHeaders, responseHeaders } from './headers.ts';
import { streamTo } from './pipe.ts';
import type { IngressRoute, IngressTable } from './ingress.ts';
import type { MirrorSender } from './mirror.ts';
import { exchange, NO_HEALTHY_UPSTREAM, ProxyError, type RetryBudget } from './proxy.ts';
import { forwardWithDefaultRetries } from './default-retry.ts';
import { ForwardError } from './forward.ts';
import type { GatewayRequest } from './limits.ts';
import { chooseDestination, faultAbortStatus, faultDelayMs, mirrorMask, rewritePath, unitKeyOf } from './routing/select.ts';
import type { CompiledMatch, CompiledRoute, RequestView, Target } from './routing/types.ts';
import type { ResponseIdentity, ResponseRecord } from './response-record.ts';
import type { UpstreamPools } from './upstreams.ts';
import { applyHeaderOps, modelPathFor, resolveTarget, shadowHost, type HeaderMap, type Upstream } from './vs-route.ts';
import { sleep } from '../core/sleep.ts';

export interface VsContext {
  ingress: IngressTable;
  domain: string;
  rng: () => number;
  headersTimeoutMs: number;
  budget: RetryBudget;
  pools: UpstreamPools;
  mirrors: MirrorSender;
  /** Request bodies up to this size are buffered so they can be mirrored and retried. */
  bufferLimit: number;
  /** A ready replica, or one the activator wakes (marking the record `buffered`); a ProxyError 503 when none. */
  originFor(route: IngressRoute, rec: ResponseRecord): Promise<string>;
  /** A ready replica without waiting: mirrors never wake a revision or hold for the activator. */
  pickReady(key: string): string | undefined;
  bump(revision: string, by: number): void;
  /** Bound on the request and response copies kept in the ResponseRecord. */
  outputCap: number;
  onResponse?: (r: ResponseRecord) => void;
  wantsOutput?: (id: ResponseIdentity) => boolean;
  onMirrorDropped?: (namespace: string, service: string, reason: string) => void;
}

interface Identity {
  namespace: string;
  service: string;
  revision: string;
  variant: string;
  digest?: string;
}

/** Telemetry identity of a target before (or without) picking an upstream. */
function identityOf(t: Target, vsNamespace: string): Identity {
  if (t.kind === 'inferenceService') return { namespace: t.namespace, service: t.name, revision: '', variant: t.subset ?? t.tag ?? '' };
  return { namespace: vsNamespace, service: t.host, revision: '', variant: t.kind === 'serviceEntry' ? (t.subset ?? '') : '' };
}

function setIdentity(rec: ResponseRecord, id: Identity): Identity {
  rec.namespace = id.namespace;
  rec.service = id.service;
  rec.revision = id.revision;
  rec.variant = id.variant;
  rec.digest = id.digest;
  return id;
}

function identityOfUpstream(u: Exclude<Upstream, { kind: 'none' }>): Identity {
  if (u.kind === 'origin') return u;
  return { namespace: u.route.service.namespace, service: u.route.service.name, revision: u.route.revision, variant: u.route.variant, digest: u.route.digest };
}

function reply(res: ServerResponse, status: number, text: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
  res.end(text);
}


function sendMirrors(ctx: VsContext, route: CompiledRoute, mask: number, body: Buffer | null, path: string, method: string, headers: HeaderMap, requestId: string): void {
  for (let i = 0; i < route.mirrors.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const target = route.mirrors[i]!.target;
    const id = identityOf(target, route.namespace);
    const up = resolveTarget(target, ctx.ingress, ctx.domain, route.namespace, ctx.rng);
    // A shadow is never woken or waited for: no ready replica, no copy.
    const origin = up.kind === 'origin' ? up.origin : up.kind === 'revision' ? ctx.pickReady(up.route.key) : undefined;
    if (up.kind === 'none' || origin === undefined) {
      ctx.onMirrorDropped?.(id.namespace, id.service, 'unavailable');
      continue;
    }
    const who = identityOfUpstream(up);
    const sent = ctx.mirrors.send({
      origin, method, body,
      path: up.kind === 'revision' ? modelPathFor(path, up.route.service.name) : path,
      headers: { ...headers, host: shadowHost(typeof headers.host === 'string' ? headers.host : target.host) },
      record: { requestId, namespace: who.namespace, service: who.service, revision: who.revision, digest: who.digest, variant: who.variant, route: route.id, destination: target.host, status: 0, latencyMs: 0 },
    });
    if (!sent) ctx.onMirrorDropped?.(who.namespace, who.service, 'overloaded');
  }
}

/** A retry's endpoint: another than the one that failed when there is one (Envoy's previous_hosts predicate, 5 selection attempts). */
function anotherOrigin(failed: Extract<Upstream, { kind: 'origin' }>, target: Target, namespace: string, ctx: VsContext): Exclude<Upstream, { kind: 'none' }> {
  for (let i = 0; i < 5; i++) {
    const next = resolveTarget(target, ctx.ingress, ctx.domain, namespace, ctx.rng);
    if (next.kind === 'none') return failed;
    if (next.kind !== 'origin' || next.origin !== failed.origin) return next;
  }
  return failed;
}

export async function serveVirtualService(req: IncomingMessage, res: ServerResponse, match: CompiledMatch, view: RequestView, requestId: string, ctx: VsContext): Promise<void> {
  const started = performance.now();
  const route = match.route;
  const { rng } = ctx;
  // Filled in as the request goes; handed to onResponse as it is.
  const rec: ResponseRecord = {
    requestId, namespace: route.namespace, service: route.virtualService, revision: '', variant: '', route: route.id,
    status: 503, latencyMs: 0, buffered: false,
  };
  let bumped: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sampled = false;
  let outCopy: BodyCopy | undefined;
  let mask = 0;
  let deadline: AbortController | null = null;
  try {
    const delay = faultDelayMs(route, rng);
    if (delay > 0) await sleep(delay);
    const abort = faultAbortStatus(route, rng);
    if (abort > 0) {
      rec.status = abort;
      return reply(res, abort, 'fault filter abort', requestId);
    }
    const unit = route.unitKey !== null ? unitKeyOf(route, view) : undefined;
    if (unit) rec.unit = unit;
    const dest = chooseDestination(route, unit, rng);
    if (dest === null) return reply(res, 503, NO_HEALTHY_UPSTREAM, requestId);
    rec.destination = dest.target.host;
    if (route.allocation !== null) {
      // A bandit's assignment: the probability this arm had for the request, for off-policy estimates later.
      rec.allocation = route.allocation;
      rec.propensity = dest.weight / route.totalWeight;
    }
    setIdentity(rec, identityOf(dest.target, route.namespace));
    const first = resolveTarget(dest.target, ctx.ingress, ctx.domain, route.namespace, rng);
    if (first.kind === 'none') return reply(res, 503, NO_HEALTHY_UPSTREAM, requestId);
    const id = setIdentity(rec, identityOfUpstream(first));
    sampled = ctx.wantsOutput?.(rec) === true;
    // Counted in flight like any request (graceful close waits for it; the retry budget scales with it).
    bumped = first.kind === 'revision' ? first.route.key : `serviceentry/${first.service}`;
    ctx.bump(bumped, 1);

    const method = req.method ?? 'GET';
    const headers = forwardHeaders(req.headers, requestId);
    const authority = route.rewrite?.authority ?? req.headers.host;
    if (authority !== undefined) headers.host = authority;
    applyHeaderOps(headers, route.headers?.request);
    applyHeaderOps(headers, dest.headers?.request);
    const q = (req.url ?? '/').indexOf('?');
    const rewritten = rewritePath(match, view.path) + (q < 0 ? '' : req.url!.slice(q));
    const path = first.kind === 'revision' ? modelPathFor(rewritten, first.route.service.name) : rewritten;

    const hasBody = method !== 'GET' && method !== 'HEAD';
    mask = route.mirrors.length > 0 ? mirrorMask(route, rng) : 0;
    let body: Buffer | Readable | null = hasBody ? req : null;
    // Buffered (up to the limit) so it can be mirrored and retried; for small inference payloads it is also cheaper than streaming.
    if (hasBody) body = await bufferBody(req, ctx.bufferLimit);
    if (sampled && Buffer.isBuffer(body) && body.length <= ctx.outputCap) rec.input = body;
    if (mask !== 0) {
      if (body === null || Buffer.isBuffer(body)) {
        const copy = body;
        setImmediate(() => sendMirrors(ctx, route, mask, copy, rewritten, method, headers, requestId));
      } else {
        for (let i = 0; i < route.mirrors.length; i++) {
          if (mask & (1 << i)) {
            const m = identityOf(route.mirrors[i]!.target, route.namespace);
            ctx.onMirrorDropped?.(m.namespace, m.service, 'too_large');
          }
        }
      }
    }

    if (route.retries === null && route.timeoutMs === null) {
      // No retry or timeout policy: exchanges streamed straight into res (forward.ts), under Istio's
      // default policy (default-retry.ts), the body being buffered.
      const extra = ['x-request-id', requestId];
      if (id.revision) extra.push('x-switchyard-revision', id.revision);
      if (id.variant) extra.push('x-switchyard-variant', id.variant);
      extra.push('x-switchyard-route', route.id);
      const routeOps = route.headers?.response;
      const destOps = dest.headers?.response;
      let up = first;
      try {
        const r = await forwardWithDefaultRetries(res, {
          // A retry may pick another endpoint (Envoy's previous_hosts).
          origin: (attempt) => {
            if (attempt > 0 && up.kind === 'origin') up = anotherOrigin(up, dest.target, route.namespace, ctx);
            return up.kind === 'origin' ? up.origin : ctx.originFor(up.route, rec);
          },
          pools: ctx.pools, budget: ctx.budget, rng, path, method, headers, body, timeoutMs: ctx.headersTimeoutMs, extra,
          ops: routeOps || destOps ? [routeOps, destOps] : null,
          // Sampled requests keep the answer for output telemetry; mirrored ones so the prediction log can pair outputs.
          captureBytes: sampled || mask !== 0 ? ctx.outputCap : 0,
        });
        if (r === undefined) return; // the client left during a backoff
        rec.status = r.status;
        if (r.output !== undefined) rec.output = r.output;
        return;
      } catch (err) {
        if (err instanceof ForwardError) rec.status = err.status;
        throw err;
      }
    }

    deadline = route.timeoutMs !== null ? new AbortController() : null;
    if (deadline !== null) timer = setTimeout(() => deadline!.abort(), route.timeoutMs!);
    let attempt = 0;
    const ex = await exchange({
      pick: async () => {
        const up = attempt++ === 0 || first.kind === 'revision' ? first : anotherOrigin(first, dest.target, route.namespace, ctx);
        const origin = up.kind === 'origin' ? up.origin : await ctx.originFor(up.route, rec);
        return { dispatcher: ctx.pools.get(origin), origin };
      },
      path, method, headers, body, signal: deadline?.signal ?? null, retries: route.retries, budget: ctx.budget,
      headersTimeoutMs: route.timeoutMs ?? ctx.headersTimeoutMs, rng,
    });
    rec.status = ex.response.statusCode;
    const out = responseHeaders(ex.response.headers);
    out['x-request-id'] = requestId;
    if (id.revision) out['x-switchyard-revision'] = id.revision;
    if (id.variant) out['x-switchyard-variant'] = id.variant;
    out['x-switchyard-route'] = route.id;
    applyHeaderOps(out, route.headers?.response);
    applyHeaderOps(out, dest.headers?.response);
    res.writeHead(rec.status, out);
    // Sampled requests keep the answer for output telemetry; mirrored ones so the prediction log can pair outputs.
    if (sampled || mask !== 0) outCopy = new BodyCopy(ex.response.body, ctx.outputCap);
    await streamTo(ex.response.body, res);
    const output = outCopy?.take();
    if (output !== undefined) rec.output = output;
  } catch (err) {
    if ((req as GatewayRequest).bodyRefused) {
      // The client's body outgrew the limit: answered 413 (limits.ts), not the destination's failure.
      rec.status = 413;
    } else if (err instanceof ProxyError) {
      rec.status = err.status;
      rec.errorClass = err.errorClass;
      reply(res, err.status, err.message, requestId);
    } else if (!res.headersSent) {
      rec.status = 502;
      rec.errorClass = 'upstream';
      reply(res, 502, `upstream failed: ${(err as Error).message}`, requestId);
    } else {
      // Mid-body: the route timeout, or the upstream or client went away. Nothing can be retried now.
      rec.errorClass = deadline?.signal.aborted ? 'timeout' : 'upstream';
      res.destroy();
    }
  } finally {
    clearTimeout(timer);
    if (bumped !== undefined) ctx.bump(bumped, -1);
    if (sampled) rec.sampled = true;
    rec.latencyMs = performance.now() - started;
    ctx.onResponse?.(rec);
  }
}

