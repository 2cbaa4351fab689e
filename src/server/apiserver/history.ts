// GET endpoints that say how something changed over time (the dashboard's
// charts read them): a TrafficPlan's recent looks, an InferenceService's
// telemetry per revision.
//   /switchyard/v1/namespaces/NS/trafficplans/NAME/history
//   /switchyard/v1/namespaces/NS/telemetry/series?service=S&spanMs=&stepMs=
import type { ServerResponse } from 'node:http';
import { syError } from '../../core/errors.ts';
import { sendJson } from '../http/respond.ts';

export interface HistorySources {
  /** Recent points of one plan's status (src/server/plan-history.ts). */
  planHistory?: (namespace: string, name: string) => unknown;
  /** Telemetry per revision in consecutive windows (src/server/telemetry-series.ts). */
  telemetrySeries?: (q: { namespace: string; service: string; spanMs: number; stepMs: number }) => unknown;
}

const HOUR_MS = 3_600_000;

function whole(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw syError('SY_ERR_BAD_REQUEST', `query parameter ${name} must be a whole number of milliseconds from ${min} to ${max}, got "${raw}"`);
  return n;
}

/** Answers the request and returns true when the path is one of these endpoints. */
export function handleHistory(url: URL, path: string, sources: HistorySources, res: ServerResponse): boolean {
  const plan = /^\/switchyard\/v1\/namespaces\/([^/]+)\/trafficplans\/([^/]+)\/history$/.exec(path);
  if (plan) {
    if (!sources.planHistory) throw syError('SY_ERR_UNAVAILABLE', 'plan history is not kept by this server');
    sendJson(res, 200, { items: sources.planHistory(decodeURIComponent(plan[1]!), decodeURIComponent(plan[2]!)) });
    return true;
  }
  const series = /^\/switchyard\/v1\/namespaces\/([^/]+)\/telemetry\/series$/.exec(path);
  if (series) {
    if (!sources.telemetrySeries) throw syError('SY_ERR_UNAVAILABLE', 'telemetry is not recorded by this server');
    const service = url.searchParams.get('service');
    if (!service) throw syError('SY_ERR_BAD_REQUEST', 'query parameter service is required');
    const stepMs = whole(url, 'stepMs', 5000, 1000, HOUR_MS);
    if (stepMs % 1000 !== 0) throw syError('SY_ERR_BAD_REQUEST', `query parameter stepMs must be whole seconds (telemetry buckets are 1 s), got "${stepMs}"`);
    const spanMs = whole(url, 'spanMs', 300_000, stepMs, HOUR_MS);
    if (spanMs / stepMs > 720) throw syError('SY_ERR_BAD_REQUEST', `spanMs / stepMs must be at most 720 points, got ${Math.ceil(spanMs / stepMs)}`);
    sendJson(res, 200, sources.telemetrySeries({ namespace: decodeURIComponent(series[1]!), service, spanMs, stepMs }));
    return true;
  }
  return false;
}
