// An InferenceGraph's calls out of the graph router (graph/): a step naming
// an InferenceService is routed, counted and recorded exactly like a client
// request; a step with a serviceUrl is a plain POST, as KServe's router makes
// it. Both read the answer whole through the gateway's upstream client.
import type { StepTarget } from './graph/compile.ts';
import type { StepResult } from './graph/execute.ts';
import { routeIngress } from './ingress.ts';
import { CE_REQUEST, CE_RESPONSE } from './payload-logger.ts';
import type { Pipeline } from './pipeline.ts';
import type { ResponseRecord } from './response-record.ts';
import { requestWhole } from './whole-answer.ts';

function jsonResult(status: number, body: unknown): StepResult {
  return { status, body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
}

function stepResult(status: number, body: Buffer, contentType: string | undefined): StepResult {
  return { status, body, ...(contentType ? { contentType } : {}) };
}

/** A graph step that names an InferenceService. */
export async function callService(p: Pipeline, target: Extract<StepTarget, { kind: 'service' }>, body: Buffer, requestId: string, signal: AbortSignal | undefined): Promise<StepResult> {
  const result = routeIngress(p.opts.ingress(), target.host, target.path, p.rng);
  if (result.kind === 'notFound') return jsonResult(404, { error: result.message });
  if (result.kind === 'noTraffic') return jsonResult(503, { error: `InferenceService ${target.namespace}/${target.name} has no ready revision to route to` });
  const { route } = result;
  const started = performance.now();
  const rec: ResponseRecord = {
    requestId, namespace: route.service.namespace, service: route.service.name, revision: route.revision, digest: route.digest,
    variant: route.variant, status: 502, latencyMs: 0, activatorMs: 0,
  };
  // Graph steps hold both bodies whole anyway: a sampled step only keeps them.
  const sampled = p.sampled(rec);
  if (sampled && body.length <= p.outputCap) rec.input = body;
  p.bump(route.key, 1);
  try {
    const origin = await p.originFor(route, rec);
    p.logPayload(route, CE_REQUEST, requestId, body, 'application/json');
    const answer = await requestWhole(p.pools.get(origin), {
      path: target.path, method: 'POST', body, headersTimeout: p.headersTimeoutMs, bodyTimeout: p.headersTimeoutMs,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    }, signal);
    rec.status = answer.status;
    if (sampled && answer.body.length <= p.outputCap) rec.output = answer.body;
    p.logPayload(route, CE_RESPONSE, requestId, answer.body, answer.contentType);
    return stepResult(answer.status, answer.body, answer.contentType);
  } catch (err) {
    if (signal?.aborted) throw err;
    rec.status = (err as { status?: number }).status ?? 502;
    return jsonResult(rec.status, { error: rec.status === 503 ? (err as Error).message : `upstream of revision ${route.revision} failed: ${(err as Error).message}` });
  } finally {
    p.bump(route.key, -1);
    p.finish(rec, started, sampled);
  }
}

/** A graph step with serviceUrl: a plain POST. */
export async function callUrl(p: Pipeline, url: string, body: Buffer, requestId: string, signal: AbortSignal | undefined): Promise<StepResult> {
  const u = new URL(url);
  const answer = await requestWhole(p.pools.get(u.origin), {
    path: `${u.pathname}${u.search}`, method: 'POST', body, headersTimeout: p.headersTimeoutMs, bodyTimeout: p.headersTimeoutMs,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, host: u.host },
  }, signal);
  return stepResult(answer.status, answer.body, answer.contentType);
}
