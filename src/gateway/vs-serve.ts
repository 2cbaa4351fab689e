// Serves one request a VirtualService route matched: fault injection, the
// destination choice (weighted or sticky), rewrite and header rules, mirror
// copies sent beside the primary on their own pools, then the exchange under
// the route's timeout and retries (retry-policy.ts) with the request id,
// revision, variant and route stamped on the answer. Errors in Envoy's text.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { bufferBody } from './capture.ts';
import { answerFailure, errorFormat, NO_HEALTHY_UPSTREAM, replyError } from './error-reply.ts';
import { forwardHeaders } from './headers.ts';
import type { IngressTable } from './ingress.ts';
import type { GatewayRequest } from './limits.ts';
import type { Pipeline } from './pipeline.ts';
import type { ResponseRecord } from './response-record.ts';
import { forwardWithRetries } from './retry-policy.ts';
import { ISTIO_DEFAULT_RETRIES } from './routing/compile-route.ts';
import { chooseDestination, faultAbortStatus, faultDelayMs, mirrorMask, rewritePath, unitKeyOf } from './routing/select.ts';
import type { CompiledMatch, CompiledRoute, RequestView, Target } from './routing/types.ts';
import { applyHeaderOps, modelPathFor, resolveTarget, shadowHost, type HeaderMap, type Upstream } from './vs-route.ts';
import { sleep } from '../core/sleep.ts';

/** The pipeline plus the snapshot a request was matched in. */
export interface VsContext {
  p: Pipeline;
  ingress: IngressTable;
  domain: string;
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

function sendMirrors(ctx: VsContext, route: CompiledRoute, mask: number, body: Buffer | null, path: string, method: string, headers: HeaderMap, requestId: string): void {
  for (let i = 0; i < route.mirrors.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const target = route.mirrors[i]!.target;
    const id = identityOf(target, route.namespace);
    const up = resolveTarget(target, ctx.ingress, ctx.domain, route.namespace, ctx.p.rng);
    // A shadow is never woken or waited for: no ready replica, no copy.
    const origin = up.kind === 'origin' ? up.origin : up.kind === 'revision' ? ctx.p.opts.endpoints.pick(up.route.key) : undefined;
    if (up.kind === 'none' || origin === undefined) {
      ctx.p.opts.onMirrorDropped?.(id.namespace, id.service, 'unavailable');
      continue;
    }
    const who = identityOfUpstream(up);
    const sent = ctx.p.mirrors.send({
      origin, method, body,
      path: up.kind === 'revision' ? modelPathFor(path, up.route.service.name) : path,
      headers: { ...headers, host: shadowHost(typeof headers.host === 'string' ? headers.host : target.host) },
      record: { requestId, namespace: who.namespace, service: who.service, revision: who.revision, digest: who.digest, variant: who.variant, route: route.id, destination: target.host, status: 0, latencyMs: 0 },
    });
    if (!sent) ctx.p.opts.onMirrorDropped?.(who.namespace, who.service, 'overloaded');
  }
}


export async function serveVirtualService(req: IncomingMessage, res: ServerResponse, match: CompiledMatch, view: RequestView, requestId: string, ctx: VsContext): Promise<void> {
  const started = performance.now();
  const route = match.route;
  const { p } = ctx;
  const rng = p.rng;
  // Filled in as the request goes; handed to onResponse as it is.
  const rec: ResponseRecord = {
    requestId, namespace: route.namespace, service: route.virtualService, revision: '', variant: '', route: route.id,
    status: 503, latencyMs: 0, activatorMs: 0,
  };
  let bumped: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sampled = false;
  try {
    const delay = faultDelayMs(route, rng);
    if (delay > 0) await sleep(delay);
    const abort = faultAbortStatus(route, rng);
    if (abort > 0) {
      rec.status = abort;
      return replyError(res, errorFormat('virtualService', view.path), abort, 'fault filter abort', requestId);
    }
    const unit = route.unitKey !== null ? unitKeyOf(route, view) : undefined;
    if (unit) rec.unit = unit;
    const dest = chooseDestination(route, unit, rng);
    if (dest === null) return replyError(res, errorFormat('virtualService', view.path), 503, NO_HEALTHY_UPSTREAM, requestId);
    rec.destination = dest.target.host;
    if (route.allocation !== null) {
      // A bandit's assignment: the probability this arm had for the request, for off-policy estimates later.
      rec.allocation = route.allocation;
      rec.propensity = dest.weight / route.totalWeight;
    }
    setIdentity(rec, identityOf(dest.target, route.namespace));
    const first = resolveTarget(dest.target, ctx.ingress, ctx.domain, route.namespace, rng);
    if (first.kind === 'none') return replyError(res, errorFormat('virtualService', view.path), 503, NO_HEALTHY_UPSTREAM, requestId);
    const id = setIdentity(rec, identityOfUpstream(first));
    sampled = p.sampled(rec);
    // Counted in flight like any request (graceful close waits for it; the retry budget scales with it).
    bumped = first.kind === 'revision' ? first.route.key : `serviceentry/${first.service}`;
    p.bump(bumped, 1);

    const method = req.method ?? 'GET';
    const headers = forwardHeaders(req.headers, requestId);
    const authority = route.rewrite?.authority ?? req.headers.host;
    if (authority !== undefined) headers.host = authority;
    applyHeaderOps(headers, route.headers?.request);
    applyHeaderOps(headers, dest.headers?.request);
    const q = (req.url ?? '/').indexOf('?');
    const rewritten = rewritePath(match, view.path) + (q < 0 ? '' : req.url!.slice(q));
    const path = first.kind === 'revision' ? modelPathFor(rewritten, first.route.service.name) : rewritten;

    const mask = route.mirrors.length > 0 ? mirrorMask(route, rng) : 0;
    // Buffered (up to the limit) so it can be mirrored and retried; for small inference payloads it is also cheaper than streaming.
    const body: Buffer | Readable | null = method !== 'GET' && method !== 'HEAD' ? await bufferBody(req, p.bufferLimit) : null;
    if (sampled && Buffer.isBuffer(body) && body.length <= p.outputCap) rec.input = body;
    if (mask !== 0) mirror(ctx, route, mask, body, rewritten, method, headers, requestId);

    const extra = ['x-request-id', requestId];
    if (id.revision) extra.push('x-switchyard-revision', id.revision);
    if (id.variant) extra.push('x-switchyard-variant', id.variant);
    extra.push('x-switchyard-route', route.id);
    const routeOps = route.headers?.response;
    const destOps = dest.headers?.response;
    let deadline: AbortController | null = null;
    if (route.timeoutMs !== null) {
      const d = (deadline = new AbortController());
      timer = setTimeout(() => d.abort(), route.timeoutMs);
    }
    const r = await forwardWithRetries(res, {
      // A retry picks another endpoint than the one that failed (Envoy's previous_hosts).
      origin: (attempt, failed) => (first.kind === 'revision' ? p.revisionOrigin(first.route, rec, attempt, failed) : attempt === 0 ? first.origin : (endpointOf(ctx, dest.target, route.namespace, failed) ?? failed)),
      pools: p.pools, budget: p.budget, retries: route.retries ?? ISTIO_DEFAULT_RETRIES, rng, deadline: deadline?.signal ?? null,
      path, method, headers, body, timeoutMs: p.headersTimeoutMs, extra,
      ops: routeOps || destOps ? [routeOps, destOps] : null,
      // Sampled requests keep the answer for output telemetry; mirrored ones so the prediction log can pair outputs.
      captureBytes: sampled || mask !== 0 ? p.outputCap : 0,
    });
    if (r === undefined) return; // the client left during a backoff
    rec.status = r.status;
    if (r.output !== undefined) rec.output = r.output;
  } catch (err) {
    answerFailure(res, errorFormat('virtualService', view.path), rec, err, (req as GatewayRequest).bodyRefused, 'upstream failed');
  } finally {
    clearTimeout(timer);
    if (bumped !== undefined) p.bump(bumped, -1);
    p.finish(rec, started, sampled);
  }
}

/** A ServiceEntry endpoint of the target other than `failed` when it has one, chosen by weight; undefined when it has none now. */
function endpointOf(ctx: VsContext, target: Target, namespace: string, failed: string): string | undefined {
  const up = resolveTarget(target, ctx.ingress, ctx.domain, namespace, ctx.p.rng, failed);
  return up.kind === 'origin' ? up.origin : undefined;
}

/** Mirror copies of a buffered (or bodiless) request, sent after this turn; a streamed body cannot be copied. */
function mirror(ctx: VsContext, route: CompiledRoute, mask: number, body: Buffer | Readable | null, path: string, method: string, headers: HeaderMap, requestId: string): void {
  if (body === null || Buffer.isBuffer(body)) {
    setImmediate(() => sendMirrors(ctx, route, mask, body, path, method, headers, requestId));
    return;
  }
  for (let i = 0; i < route.mirrors.length; i++) {
    if (mask & (1 << i)) {
      const m = identityOf(route.mirrors[i]!.target, route.namespace);
      ctx.p.opts.onMirrorDropped?.(m.namespace, m.service, 'too_large');
    }
  }
}
