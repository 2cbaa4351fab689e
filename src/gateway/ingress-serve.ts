// One request on the InferenceService ingress, once routed to a revision:
// a replica (or the activator's wait for one), the body buffered for retries
// and shadows (or streamed when too large), a plan's shadow copy, the payload
// logger's copies, then the exchange under Istio's default retries, as
// KServe's ingress VirtualService has it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { bufferBody, tapStream } from './capture.ts';
import { answerFailure, errorFormat } from './error-reply.ts';
import { forwardHeaders } from './headers.ts';
import type { IngressRoute } from './ingress.ts';
import type { GatewayRequest } from './limits.ts';
import { CE_REQUEST, CE_RESPONSE } from './payload-logger.ts';
import type { Pipeline } from './pipeline.ts';
import type { ResponseRecord } from './response-record.ts';
import { forwardWithRetries } from './retry-policy.ts';
import { ISTIO_DEFAULT_RETRIES } from './routing/compile-route.ts';
import { isShadowed, sendShadow, type ShadowContext } from './shadow.ts';

/** Logged bodies are copied up to this size. */
const LOG_BODY_CAP = 4 * 1024 * 1024;

export async function serveIngress(p: Pipeline, shadows: ShadowContext, req: IncomingMessage, res: ServerResponse, route: IngressRoute, requestId: string): Promise<void> {
  const started = performance.now();
  const rec: ResponseRecord = {
    requestId, namespace: route.service.namespace, service: route.service.name, revision: route.revision, digest: route.digest,
    variant: route.variant, status: 502, latencyMs: 0, activatorMs: 0,
  };
  if (route.cohort) rec.cohort = route.cohort;
  if (route.unit) rec.unit = route.unit;
  if (route.propensity !== undefined) {
    // A bandit's assignment: the probability this arm had for the request, for off-policy estimates later.
    rec.allocation = route.allocation;
    rec.propensity = route.propensity;
  }
  const sampled = p.sampled(rec);
  const logged = route.service.logger !== undefined;
  p.bump(route.key, 1);
  let timer: NodeJS.Timeout | undefined;
  try {
    const method = req.method ?? 'GET';
    const origin = await p.originFor(route, rec);
    let body: Buffer | Readable | null = null;
    if (method !== 'GET' && method !== 'HEAD') {
      // Buffered up to the limit, as Envoy buffers for its retries: a refused connection or a 503
      // can be retried on another replica; sampled requests also count their instances.
      body = await bufferBody(req, p.bufferLimit);
      if (Buffer.isBuffer(body)) {
        if (sampled && body.length <= p.outputCap) rec.input = body;
        if (logged) p.logPayload(route, CE_REQUEST, requestId, body, req.headers['content-type']);
      } else if (logged) {
        body = tapStream(body, LOG_BODY_CAP, (copy) => p.logPayload(route, CE_REQUEST, requestId, copy, req.headers['content-type']));
      }
    }
    const path = route.path ?? req.url ?? '/';
    const headers = forwardHeaders(req.headers, requestId);
    // A plan's shadow phase: a copy of a buffered (or bodiless) request goes to the candidate, off the critical path.
    const shadowed = isShadowed(route.shadow, p.rng) && !isStream(body);
    if (shadowed) sendShadow(shadows, route, route.shadow!, { requestId, method, path, headers, body: body as Buffer | null });
    const extra = route.variant
      ? ['x-request-id', requestId, 'x-switchyard-revision', route.revision, 'x-switchyard-variant', route.variant]
      : ['x-request-id', requestId, 'x-switchyard-revision', route.revision];
    // Sampled requests keep the answer for output telemetry; shadowed ones so the prediction log can pair it with the shadow's.
    const keep = sampled || shadowed ? p.outputCap : 0;
    // The component's `timeout` bounds the answer's start as Knative's revision timeoutSeconds does (504).
    let deadline: AbortController | null = null;
    if (route.service.requestTimeoutMs !== undefined) {
      const d = (deadline = new AbortController());
      timer = setTimeout(() => d.abort(), route.service.requestTimeoutMs);
    }
    const r = await forwardWithRetries(res, {
      origin: (attempt, failed) => (attempt === 0 ? origin : p.revisionOrigin(route, rec, attempt, failed)),
      pools: p.pools, budget: p.budget, retries: ISTIO_DEFAULT_RETRIES, rng: p.rng, deadline: deadline?.signal ?? null,
      path, method, headers, body, timeoutMs: p.headersTimeoutMs, extra, ops: null,
      captureBytes: logged ? Math.max(keep, LOG_BODY_CAP) : keep,
    });
    if (r === undefined) return; // the client left during a backoff
    rec.status = r.status;
    if (logged) p.logPayload(route, CE_RESPONSE, requestId, r.output, r.contentType);
    if (keep > 0 && r.output !== undefined && r.output.length <= keep) rec.output = r.output;
  } catch (err) {
    answerFailure(res, errorFormat('ingress', req.url ?? '/'), rec, err, (req as GatewayRequest).bodyRefused, `upstream of revision ${route.revision} failed`);
  } finally {
    clearTimeout(timer);
    p.bump(route.key, -1);
    p.finish(rec, started, sampled);
  }
}

const isStream = (body: Buffer | Readable | null): boolean => body !== null && !Buffer.isBuffer(body);
