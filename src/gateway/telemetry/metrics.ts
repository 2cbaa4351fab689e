// Prometheus exposition of the gateway's telemetry. prom-client's labelled
// inc/observe re-hash the label set on every call (≈0.7 µs each, measured),
// too much for three updates per proxied request; so requests update plain
// numbers on a per-(namespace, service, revision, role) record and the
// registry copies them into prom-client metrics when /metrics is scraped.
import { Counter, Registry } from 'prom-client';
import type { ErrorClass } from '../../analysis/windows.ts';

/** Seconds; dense below 100 ms where model-serving latency lives. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type Role = 'primary' | 'mirror';

export interface PromLabels {
  namespace: string;
  service: string;
  revision: string;
  role: Role;
}

/** The cumulative counts behind one (namespace, service, revision, role) label set. */
export class PromSeries {
  readonly codes = new Map<number, number>();
  readonly errors: Record<ErrorClass, number> = { '4xx': 0, '5xx': 0, timeout: 0, upstream: 0 };
  readonly invalid = new Map<string, number>();
  readonly outputLabels = new Map<string, number>();
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);
  durationSum = 0;
  durationCount = 0;
  /** Requests the activator held for a replica, and for how long in all (seconds). */
  heldCount = 0;
  heldSeconds = 0;

  constructor(readonly labels: PromLabels) {}

  request(status: number, latencyMs: number, error: ErrorClass | undefined): void {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    if (error) this.errors[error]++;
    const s = latencyMs / 1000;
    this.durationSum += s;
    this.durationCount++;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (s <= DURATION_BUCKETS[i]!) {
        this.buckets[i]!++;
        break;
      }
    }
  }

  held(ms: number): void {
    this.heldCount++;
    this.heldSeconds += ms / 1000;
  }
}

const BASE = ['namespace', 'service', 'revision', 'role'] as const;

export class TelemetryMetrics {
  readonly registry = new Registry();
  private readonly series: PromSeries[] = [];
  private readonly mirrorDrops = new Map<string, { labels: Record<string, string>; n: number }>();

  constructor(opts: { predictionsDropped?: () => number } = {}) {
    const series = this.series;
    const registers = [this.registry];
    const fromSeries = (name: string, help: string, extra: string[], each: (s: PromSeries, inc: (l: Record<string, string>, n: number) => void) => void) =>
      new Counter({
        name, help, registers, labelNames: [...BASE, ...extra],
        collect() {
          this.reset();
          for (const s of series) each(s, (l, n) => { if (n > 0) this.inc({ ...s.labels, ...l }, n); });
        },
      });
    fromSeries('switchyard_requests_total', 'Responses sent by the gateway, by HTTP status code.', ['code'], (s, inc) => {
      for (const [code, n] of s.codes) inc({ code: String(code) }, n);
    });
    fromSeries('switchyard_request_errors_total', 'Failed requests by class: 4xx, 5xx, timeout, upstream (unreachable or no ready replica).', ['class'], (s, inc) => {
      for (const [cls, n] of Object.entries(s.errors)) inc({ class: cls }, n);
    });
    fromSeries('switchyard_invalid_outputs_total', 'Sampled 2xx responses whose output was unusable, by reason (not_json, nan, no_outputs, shape).', ['reason'], (s, inc) => {
      for (const [reason, n] of s.invalid) inc({ reason }, n);
    });
    fromSeries('switchyard_output_label_total', 'Predicted class labels in sampled classifier outputs.', ['label'], (s, inc) => {
      for (const [label, n] of s.outputLabels) inc({ label }, n);
    });
    fromSeries('switchyard_activator_requests_total', 'Requests the activator held until a replica of the revision was ready (a cold start from zero).', [], (s, inc) => inc({}, s.heldCount));
    fromSeries('switchyard_activator_wait_seconds_total', 'Time requests spent held by the activator for a replica, seconds; not part of switchyard_request_duration_seconds.', [], (s, inc) => inc({}, s.heldSeconds));
    this.registry.registerMetric(new DurationHistogram(series) as never);
    const drops = this.mirrorDrops;
    new Counter({
      name: 'switchyard_mirror_dropped_total', help: 'Mirror copies not sent: body too large, too many in flight, or failed to send.',
      labelNames: ['namespace', 'service', 'reason'], registers,
      collect() {
        this.reset();
        for (const d of drops.values()) this.inc(d.labels, d.n);
      },
    });
    const predictionsDropped = opts.predictionsDropped;
    new Counter({
      name: 'switchyard_predictions_dropped_total', help: 'Prediction log entries dropped because the queue was full or a write failed.', registers,
      collect() {
        this.reset();
        const n = predictionsDropped?.() ?? 0;
        if (n > 0) this.inc(n);
      },
    });
  }

  seriesFor(labels: PromLabels): PromSeries {
    const s = new PromSeries(labels);
    this.series.push(s);
    return s;
  }

  mirrorDropped(namespace: string, service: string, reason: string): void {
    const key = `${namespace}\u0000${service}\u0000${reason}`;
    const d = this.mirrorDrops.get(key);
    if (d) d.n++;
    else this.mirrorDrops.set(key, { labels: { namespace, service, reason }, n: 1 });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }
}

interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** switchyard_request_duration_seconds, read from PromSeries' bucket counts at scrape time. */
class DurationHistogram {
  readonly name = 'switchyard_request_duration_seconds';
  readonly help = 'Time from request arrival to the end of the response, less any wait in the activator for a replica (as Knative\'s queue-proxy measures a revision), seconds.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(private readonly series: readonly PromSeries[]) {}

  get(): { name: string; help: string; type: string; aggregator: string; values: HistogramValue[] } {
    const values: HistogramValue[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: DURATION_BUCKETS[i]! }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.durationCount });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.durationSum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.durationCount });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}
