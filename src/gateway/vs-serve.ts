// Serves one request a VirtualService route matched: fault injection, the
// destination choice (weighted or sticky), rewrite and header rules, the
// exchange under the route's timeout and retries, the response back with the
// request id, revision and variant stamped on it, and mirror copies sent
// beside the primary on their own pools.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { forwardHeaders, responseHeaders } from './headers.ts';
import { streamTo } from './pipe.ts';
import type { IngressRoute, IngressTable } from './ingress.ts';
import type { MirrorSender } from './mirror.ts';
import { exchange, NO_HEALTHY_UPSTREAM, ProxyError, type RetryBudget } from './proxy.ts';
import { chooseDestination, faultAbortStatus, faultDelayMs, mirrorMask, rewritePath, unitKeyOf } from './routing/select.ts';
import type { CompiledMatch, CompiledRoute, RequestView, Target } from './routing/types.ts';
import type { ResponseRecord } from './server.ts';
import type { UpstreamPools } from './upstreams.ts';
import { applyHeaderOps, modelPathFor, resolveTarget, shadowHost, type HeaderMap, type Upstream } from './vs-route.ts';

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
  originFor(route: IngressRoute): Promise<{ origin: string; buffered: boolean }>;
  /** A ready replica without waiting: mirrors never wake a revision or hold for the activator. */
  pickReady(revision: string): string | undefined;
  bump(revision: string, by: number): void;
  onResponse?: (r: ResponseRecord) => void;
  onMirrorDropped?: (namespace: string, service: string, reason: string) => void;
}

interface Identity {
  namespace: string;
  service: string;
  revision: string;
  variant: string;
}

/** Telemetry identity of a target before (or without) picking an upstream. */
function identityOf(t: Target, vsNamespace: string): Identity {
  if (t.kind === 'inferenceService') return { namespace: t.namespace, service: t.name, revision: '', variant: t.subset ?? t.tag ?? '' };
  return { namespace: vsNamespace, service: t.host, revision: '', variant: t.kind === 'serviceEntry' ? (t.subset ?? '') : '' };
}

function identityOfUpstream(u: Exclude<Upstream, { kind: 'none' }>): Identity {
  if (u.kind === 'origin') return u;
  return { namespace: u.route.service.namespace, service: u.route.service.name, revision: u.route.revision, variant: u.route.variant };
}

/** Reads the body into one Buffer up to `limit`; beyond it, a stream of what was read and the rest. */
function bufferBody(req: IncomingMessage, limit: number): Promise<Buffer | Readable> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      chunks.push(c);
      if (size <= limit) return;
      cleanup();
      req.pause();
      const rest = new PassThrough();
      for (const ch of chunks) rest.write(ch);
      req.pipe(rest);
      resolve(rest);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => {
      if (!req.complete) onError(new Error('the client closed the request'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function reply(res: ServerResponse, status: number, text: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
  res.end(text);
}

/** Primary answers kept for pairing with mirror answers. */
const OUTPUT_CAP = 65_536;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sendMirrors(ctx: VsContext, route: CompiledRoute, mask: number, body: Buffer | null, path: string, method: string, headers: HeaderMap, requestId: string): void {
  for (let i = 0; i < route.mirrors.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const target = route.mirrors[i]!.target;
    const id = identityOf(target, route.namespace);
    const up = resolveTarget(target, ctx.ingress, ctx.domain, route.namespace, ctx.rng);
    // A shadow is never woken or waited for: no ready replica, no copy.
    const origin = up.kind === 'origin' ? up.origin : up.kind === 'revision' ? ctx.pickReady(up.route.revision) : undefined;
    if (up.kind === 'none' || origin === undefined) {
      ctx.onMirrorDropped?.(id.namespace, id.service, 'unavailable');
      continue;
    }
    const who = identityOfUpstream(up);
    const sent = ctx.mirrors.send({
      origin, method, body,
      path: up.kind === 'revision' ? modelPathFor(path, up.route.service.name) : path,
      headers: { ...headers, host: shadowHost(typeof headers.host === 'string' ? headers.host : target.host) },
      record: { requestId, ...who, route: route.id, destination: target.host },
    });
    if (!sent) ctx.onMirrorDropped?.(who.namespace, who.service, 'overloaded');
  }
}

export async function serveVirtualService(req: IncomingMessage, res: ServerResponse, match: CompiledMatch, view: RequestView, requestId: string, ctx: VsContext): Promise<void> {
  const started = performance.now();
  const route = match.route;
  const { rng } = ctx;
  let id: Identity = { namespace: route.namespace, service: route.virtualService, revision: '', variant: '' };
  let destination: string | undefined;
  let status = 503;
  let errorClass: ResponseRecord['errorClass'];
  let buffered = false;
  let bumped: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let output: Buffer | undefined;
  let mask = 0;
  let deadline: AbortController | null = null;
  try {
    const delay = faultDelayMs(route, rng);
    if (delay > 0) await sleep(delay);
    const abort = faultAbortStatus(route, rng);
    if (abort > 0) {
      status = abort;
      return reply(res, abort, 'fault filter abort', requestId);
    }
    const dest = chooseDestination(route, route.unitKey !== null ? unitKeyOf(route, view) : undefined, rng);
    if (dest === null) return reply(res, 503, NO_HEALTHY_UPSTREAM, requestId);
    destination = dest.target.host;
    id = identityOf(dest.target, route.namespace);
    const first = resolveTarget(dest.target, ctx.ingress, ctx.domain, route.namespace, rng);
    if (first.kind === 'none') return reply(res, 503, NO_HEALTHY_UPSTREAM, requestId);
    id = identityOfUpstream(first);
    // Counted in flight like any request (graceful close waits for it; the retry budget scales with it).
    bumped = first.kind === 'revision' ? first.route.revision : `serviceentry/${first.service}`;
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

    deadline = route.timeoutMs !== null ? new AbortController() : null;
    if (deadline !== null) timer = setTimeout(() => deadline!.abort(), route.timeoutMs!);
    let attempt = 0;
    const ex = await exchange({
      pick: async () => {
        const up = attempt++ === 0 || first.kind === 'revision' ? first : resolveTarget(dest.target, ctx.ingress, ctx.domain, route.namespace, rng);
        if (up.kind === 'none') throw new ProxyError(503, NO_HEALTHY_UPSTREAM, 'upstream');
        if (up.kind === 'origin') return { dispatcher: ctx.pools.get(up.origin), origin: up.origin };
        try {
          const picked = await ctx.originFor(up.route);
          buffered ||= picked.buffered;
          return { dispatcher: ctx.pools.get(picked.origin), origin: picked.origin };
        } catch (err) {
          throw new ProxyError(503, (err as Error).message, 'upstream');
        }
      },
      path, method, headers, body, signal: deadline?.signal ?? null, retries: route.retries, budget: ctx.budget,
      headersTimeoutMs: route.timeoutMs ?? ctx.headersTimeoutMs, rng,
    });
    status = ex.response.statusCode;
    const out = responseHeaders(ex.response.headers);
    out['x-request-id'] = requestId;
    if (id.revision) out['x-switchyard-revision'] = id.revision;
    if (id.variant) out['x-switchyard-variant'] = id.variant;
    out['x-switchyard-route'] = route.id;
    applyHeaderOps(out, route.headers?.response);
    applyHeaderOps(out, dest.headers?.response);
    res.writeHead(status, out);
    if (mask !== 0) {
      // Mirrored requests keep the primary's answer too (bounded), so the prediction log can pair outputs.
      const chunks: Buffer[] = [];
      let size = 0;
      ex.response.body.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= OUTPUT_CAP) chunks.push(c);
      });
      await streamTo(ex.response.body, res);
      if (size <= OUTPUT_CAP) output = Buffer.concat(chunks, size);
    } else {
      await streamTo(ex.response.body, res);
    }
  } catch (err) {
    if (err instanceof ProxyError) {
      status = err.status;
      errorClass = err.errorClass;
      reply(res, err.status, err.message, requestId);
    } else if (!res.headersSent) {
      status = 502;
      errorClass = 'upstream';
      reply(res, 502, `upstream failed: ${(err as Error).message}`, requestId);
    } else {
      // Mid-body: the route timeout, or the upstream or client went away. Nothing can be retried now.
      errorClass = deadline?.signal.aborted ? 'timeout' : 'upstream';
      res.destroy();
    }
  } finally {
    clearTimeout(timer);
    if (bumped !== undefined) ctx.bump(bumped, -1);
    ctx.onResponse?.({
      requestId, ...id, route: route.id, ...(destination ? { destination } : {}), status,
      latencyMs: performance.now() - started, buffered, ...(errorClass ? { errorClass } : {}), ...(output ? { output } : {}),
    });
  }
}

