// A plan window in a cluster: health from Prometheus (requests, 5xx and the
// latency histogram of the side's revision or destination, by the ready-made
// queries of metric-templates.ts), model output from the logger sink
// (analysed outputs, invalid outputs, labels and scores of the revision's
// logged responses). Together they are the same WindowStats the embedded
// gateway's telemetry gives, so the gates judge a cluster exactly as they
// judge `switchyard up`.
//
// Counts are Prometheus's increase() over the window evaluated at its end,
// rounded to whole requests. A latency bucket's requests are placed at its
// upper bound (never faster than they were); those beyond the largest bound
// at twice it. A failed read is an empty window (nodata): it holds the step
// and never promotes, and it never blocks a command.
import { newSketch, quantiles, type DDSketch } from '../analysis/sketch.ts';
import type { WindowStats } from '../analysis/windows.ts';
import { promDuration } from './promql.ts';
import { queryPrometheus, queryPrometheusVector, type VectorSample } from './prometheus.ts';
import { windowQueries, type MetricSource, type SeriesRef } from './metric-templates.ts';
import type { SinkOutputs, SinkReader } from './sink-client.ts';

export interface ClusterWindowOptions {
  prometheusUrl?: string;
  source: MetricSource;
  sink?: SinkReader;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface WindowQuery extends SeriesRef {
  service: string;
  role?: 'primary' | 'mirror';
  fromMs: number;
  toMs: number;
}

/** Latency atoms from cumulative histogram buckets: each bucket's count at its upper bound. */
export function sketchFromBuckets(samples: readonly VectorSample[]): DDSketch {
  const buckets = samples
    .map((s) => ({ le: s.metric.le === '+Inf' ? Infinity : Number(s.metric.le), cumulative: Math.max(0, s.value ?? 0) }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const sketch = newSketch();
  const largest = buckets.filter((b) => Number.isFinite(b.le)).at(-1)?.le ?? 1;
  let below = 0;
  for (const b of buckets) {
    const n = Math.round(Math.max(0, b.cumulative - below));
    below = Math.max(below, b.cumulative);
    if (n > 0) sketch.accept(Number.isFinite(b.le) ? Math.max(b.le, 1e-3) : largest * 2, n);
  }
  return sketch;
}

function emptyStats(q: WindowQuery): WindowStats {
  const latency = newSketch();
  return {
    fromMs: q.fromMs, toMs: q.toMs, truncated: false, requests: 0, errors: 0, errorsByClass: { '4xx': 0, '5xx': 0, timeout: 0, upstream: 0 },
    errorRate: undefined, latency: quantiles(latency), latencySketch: latency, outputs: 0, invalidOutputs: 0, invalidOutputRate: undefined, labels: {}, scores: undefined,
  };
}

function withOutputs(stats: WindowStats, o: SinkOutputs): WindowStats {
  let scores: DDSketch | undefined;
  if (o.scores.length > 0) {
    scores = newSketch();
    for (const [value, count] of o.scores) scores.accept(value, count);
  }
  return { ...stats, outputs: o.outputs, invalidOutputs: o.invalidOutputs, invalidOutputRate: o.outputs > 0 ? o.invalidOutputs / o.outputs : undefined, labels: o.labels, scores };
}

/** Reads one side's window; never throws (a failed read is logged and reads as empty). */
export async function readClusterWindow(opts: ClusterWindowOptions, q: WindowQuery): Promise<WindowStats> {
  let stats = emptyStats(q);
  const range = promDuration(q.toMs - q.fromMs);
  const side = q.revision ?? `${q.destination ?? '?'}${q.variant ? `/${q.variant}` : ''}`;
  // A shadow's copies are not served in cluster mode (they are refused at admission): nothing to read for them.
  if (q.role === 'mirror' || !range) return stats;
  if (opts.prometheusUrl) {
    const queries = windowQueries(opts.source, q, range);
    const qo = { timeoutMs: opts.timeoutMs ?? 5000, now: () => q.toMs };
    const [requests, errors, clientErrors, buckets] = await Promise.all([
      queryPrometheus(opts.prometheusUrl, queries.requests, qo),
      queryPrometheus(opts.prometheusUrl, queries.errors, qo),
      queryPrometheus(opts.prometheusUrl, queries.clientErrors, qo),
      queryPrometheusVector(opts.prometheusUrl, queries.buckets, qo),
    ]);
    const failed = requests.error ?? errors.error ?? clientErrors.error ?? ('error' in buckets ? buckets.error : undefined);
    if (failed !== undefined) opts.log?.(`window ${q.namespace}/${side}: ${failed}`);
    else {
      const n = Math.round(requests.value ?? 0);
      const e = Math.min(n, Math.round(errors.value ?? 0));
      const ce = Math.min(n - e, Math.round(clientErrors.value ?? 0));
      const latency = sketchFromBuckets('samples' in buckets ? buckets.samples : []);
      stats = { ...stats, requests: n, errors: e, errorsByClass: { ...stats.errorsByClass, '5xx': e, '4xx': ce }, errorRate: n > 0 ? e / n : undefined, latencySketch: latency, latency: quantiles(latency) };
    }
  }
  if (opts.sink && q.revision) {
    try {
      stats = withOutputs(stats, await opts.sink.outputs({ namespace: q.namespace, service: q.service, revision: q.revision, fromMs: q.fromMs, toMs: q.toMs }));
    } catch (err) {
      opts.log?.(`window ${q.namespace}/${side}: sink: ${(err as Error).message}`);
    }
  }
  return stats;
}
