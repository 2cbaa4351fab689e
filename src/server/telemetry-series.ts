// Request rate, error rate and latency per revision over time, for the
// dashboard's InferenceService charts: consecutive fixed windows read from the
// gateway's telemetry ring (1 s buckets, one hour kept).
import type { TelemetryRecorder } from '../gateway/telemetry/recorder.ts';

export interface TelemetrySeriesQuery {
  namespace: string;
  service: string;
  /** How far back (ms); at most the ring's retention. */
  spanMs: number;
  /** Width of each point (ms), a multiple of the recorder's bucket. */
  stepMs: number;
}

export interface SeriesPoint {
  /** Epoch ms: the start of the point's window. */
  t: number;
  requests: number;
  /** Requests per second over the window. */
  rps: number;
  /** Server-side errors / requests; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface TelemetrySeries {
  stepMs: number;
  fromMs: number;
  toMs: number;
  /** Primary (client-facing) traffic only, by revision. */
  revisions: Record<string, SeriesPoint[]>;
}

const finite = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

/** Complete windows only: the last one ends at the latest step boundary before now. */
export function telemetrySeries(telemetry: TelemetryRecorder, q: TelemetrySeriesQuery, nowMs = Date.now()): TelemetrySeries {
  const toMs = Math.floor(nowMs / q.stepMs) * q.stepMs;
  const fromMs = toMs - Math.ceil(q.spanMs / q.stepMs) * q.stepMs;
  const revisions = new Set(
    telemetry.listSeries().filter((a) => a.namespace === q.namespace && a.service === q.service && a.role === 'primary').map((a) => a.revision),
  );
  const out: Record<string, SeriesPoint[]> = {};
  for (const revision of [...revisions].sort()) {
    const points: SeriesPoint[] = [];
    for (let t = fromMs; t < toMs; t += q.stepMs) {
      // The recorder reads every bucket overlapping [sinceMs, now]: stop just before the next window.
      const w = telemetry.window({ namespace: q.namespace, service: q.service, revision, sinceMs: t }, t + q.stepMs - 1);
      points.push({
        t, requests: w.requests, rps: w.requests / (q.stepMs / 1000), errorRate: finite(w.errorRate),
        p50Ms: w.requests > 0 ? finite(w.latency.p50) : null, p99Ms: w.requests > 0 ? finite(w.latency.p99) : null,
      });
    }
    out[revision] = points;
  }
  return { stepMs: q.stepMs, fromMs, toMs, revisions: out };
}
