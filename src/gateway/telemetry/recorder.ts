// Per-variant telemetry: one series per (namespace, service, revision,
// variant, role, route, destination, cohort slice), each with a ring of time
// buckets for the plan controller's windows and a Prometheus record for
// /metrics. Recording a response is a few Map lookups and number updates;
// bodies are parsed only for sampled responses within a size bound.
import { retainedFromMs, WindowAccumulator, WindowRing, windowSpan, type ErrorClass, type WindowStats } from '../../analysis/windows.ts';
import { TelemetryMetrics, type PromSeries, type Role } from './metrics.ts';
import { analyseOutput, countInstances } from './outputs.ts';
import { OutputSampler } from './sampling.ts';
import { EXCLUDED_SLICE } from '../cohorts.ts';

export type { Role };

/** What identifies a series. Absent route/destination/cohort are their own series ('' keys). */
export interface SeriesAttrs {
  namespace: string;
  service: string;
  revision: string;
  variant: string;
  role?: Role;
  route?: string;
  destination?: string;
  /** Strata values of the request (e.g. {tier: 'gold'}). */
  cohort?: Readonly<Record<string, string>>;
}

/** The gateway's ResponseRecord plus what telemetry can use when the gateway has it. */
export interface TelemetryRecord extends SeriesAttrs {
  requestId?: string;
  status: number;
  /** As the client saw it. */
  latencyMs: number;
  /** Of latencyMs, the time the activator held the request for a replica (left out of the revision's latency). */
  activatorMs?: number;
  /** Set by the gateway when it knows why it failed (it answered 504/502 itself). */
  errorClass?: 'timeout' | 'upstream';
  /** The response body; analysed only when present, 2xx and within maxBodyBytes. Pass it only for sampled responses. */
  responseBody?: Uint8Array | string;
  /** The request body, to check the output's instance count. */
  requestBody?: Uint8Array | string;
  expectedInstances?: number;
}

export interface TelemetryOptions {
  bucketMs?: number;
  retentionMs?: number;
  /** Output analysis sampling: fraction (default 1) and per-series cap per second (default 200). */
  sampleRate?: number;
  maxSamplesPerSecond?: number;
  /** Larger bodies are not analysed (default 64 KiB). */
  maxBodyBytes?: number;
  /** Distinct cohort slices per series before the rest share one '__other__' slice (default 100). */
  maxSlices?: number;
  /** Distinct output labels per series before the rest count as '__other__' (default 64). */
  maxLabels?: number;
  now?: () => number;
  rng?: () => number;
  /** Read at scrape time for switchyard_predictions_dropped_total. */
  predictionsDropped?: () => number;
}

export interface WindowQuery {
  namespace: string;
  service: string;
  revision?: string;
  variant?: string;
  role?: Role;
  route?: string;
  destination?: string;
  /** Only series whose cohort has all these strata values. Excluded requests (EXCLUDED_SLICE) only when asked for by it. */
  slice?: Readonly<Record<string, string>>;
  /** Absolute start (epoch ms); otherwise the last windowMs (default 60 s). */
  sinceMs?: number;
  windowMs?: number;
}

export const OTHER = '__other__';

export class Series {
  readonly ring: WindowRing;
  readonly sampler: OutputSampler;
  private readonly labelsSeen = new Set<string>();

  constructor(
    readonly attrs: Required<Omit<SeriesAttrs, 'cohort'>> & { cohort: Readonly<Record<string, string>> | undefined },
    readonly prom: PromSeries,
    private readonly opts: Required<Pick<TelemetryOptions, 'bucketMs' | 'retentionMs' | 'maxLabels' | 'sampleRate' | 'maxSamplesPerSecond'>>,
    rng: () => number,
  ) {
    this.ring = new WindowRing({ bucketMs: opts.bucketMs, retentionMs: opts.retentionMs });
    this.sampler = new OutputSampler({ rate: opts.sampleRate, maxPerSecond: opts.maxSamplesPerSecond }, rng);
  }

  label(l: string): string {
    if (this.labelsSeen.has(l)) return l;
    if (this.labelsSeen.size >= this.opts.maxLabels) return OTHER;
    this.labelsSeen.add(l);
    return l;
  }
}

/** Error class of a response: the gateway's hint, else 504 timeout, 502/503 upstream, other ≥500 5xx, ≥400 4xx. */
export function errorClassOf(status: number, hint?: 'timeout' | 'upstream'): ErrorClass | undefined {
  if (hint) return hint;
  if (status < 400) return status > 0 ? undefined : 'upstream';
  if (status === 504) return 'timeout';
  if (status === 502 || status === 503) return 'upstream';
  return status >= 500 ? '5xx' : '4xx';
}

function cohortKey(cohort: Readonly<Record<string, string>> | undefined): string {
  if (!cohort) return '';
  const keys = Object.keys(cohort);
  if (keys.length === 0) return '';
  if (keys.length === 1) return `${keys[0]}=${cohort[keys[0]!]}`;
  return keys.sort().map((k) => `${k}=${cohort[k]}`).join('\u0000');
}

type Tree = Map<string, Tree | Series>;

function child(m: Tree, key: string): Tree {
  let c = m.get(key) as Tree | undefined;
  if (!c) m.set(key, (c = new Map()));
  return c;
}

export class TelemetryRecorder {
  readonly metrics: TelemetryMetrics;
  private readonly root: Tree = new Map();
  private readonly all: Series[] = [];
  private readonly prom = new Map<string, PromSeries>();
  private readonly cfg: Required<Omit<TelemetryOptions, 'predictionsDropped'>>;

  constructor(opts: TelemetryOptions = {}) {
    this.cfg = {
      bucketMs: opts.bucketMs ?? 10_000, retentionMs: opts.retentionMs ?? 3_600_000, sampleRate: opts.sampleRate ?? 1,
      maxSamplesPerSecond: opts.maxSamplesPerSecond ?? 200, maxBodyBytes: opts.maxBodyBytes ?? 65_536, maxSlices: opts.maxSlices ?? 100,
      maxLabels: opts.maxLabels ?? 64, now: opts.now ?? Date.now, rng: opts.rng ?? Math.random,
    };
    this.metrics = new TelemetryMetrics({ predictionsDropped: opts.predictionsDropped });
  }

  get maxBodyBytes(): number {
    return this.cfg.maxBodyBytes;
  }

  /** The series for `a`, created on first use. The handle may be kept (e.g. per compiled route) to skip the lookup. */
  series(a: SeriesAttrs): Series {
    const role = a.role ?? 'primary';
    const slices = child(child(child(child(child(child(child(this.root, a.namespace), a.service), a.revision), a.variant), role), a.route ?? ''), a.destination ?? '');
    let key = cohortKey(a.cohort);
    let s = slices.get(key) as Series | undefined;
    if (s) return s;
    let cohort = a.cohort && key !== '' ? { ...a.cohort } : undefined;
    if (key !== '' && slices.size >= this.cfg.maxSlices) {
      key = OTHER;
      cohort = { [OTHER]: OTHER };
      s = slices.get(key) as Series | undefined;
      if (s) return s;
    }
    const attrs = { namespace: a.namespace, service: a.service, revision: a.revision, variant: a.variant, role, route: a.route ?? '', destination: a.destination ?? '', cohort };
    s = new Series(attrs, this.promFor(a.namespace, a.service, a.revision, role), this.cfg, this.cfg.rng);
    slices.set(key, s);
    this.all.push(s);
    return s;
  }

  private promFor(namespace: string, service: string, revision: string, role: Role): PromSeries {
    const key = `${namespace}\u0000${service}\u0000${revision}\u0000${role}`;
    let p = this.prom.get(key);
    if (!p) this.prom.set(key, (p = this.metrics.seriesFor({ namespace, service, revision, role })));
    return p;
  }

  /** Whether the gateway should capture this response's body for output analysis (consumes a sample). */
  wantsOutput(a: SeriesAttrs | Series, nowMs = this.cfg.now()): boolean {
    return (a instanceof Series ? a : this.series(a)).sampler.take(nowMs);
  }

  record(r: TelemetryRecord, nowMs = this.cfg.now()): void {
    this.recordTo(this.series(r), r, nowMs);
  }

  recordTo(s: Series, r: Omit<TelemetryRecord, keyof SeriesAttrs>, nowMs = this.cfg.now()): void {
    const error = errorClassOf(r.status, r.errorClass);
    // The revision's latency starts when a replica has the request (Knative's queue-proxy): a cold
    // start's wait in the activator is the scaler's, and would fail latency gates of an identical
    // candidate that happened to be at zero. Errors still count, held or not.
    const latencyMs = r.activatorMs ? Math.max(0, r.latencyMs - r.activatorMs) : r.latencyMs;
    s.ring.recordRequest(nowMs, latencyMs, error);
    s.prom.request(r.status, latencyMs, error);
    if (r.activatorMs) s.prom.held(r.activatorMs);
    const body = r.responseBody;
    if (body === undefined || r.status < 200 || r.status >= 300) return;
    if ((typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) > this.cfg.maxBodyBytes) return;
    const expected = r.expectedInstances ?? (r.requestBody !== undefined ? countInstances(r.requestBody) : undefined);
    const out = analyseOutput(body, expected);
    const labels = out.labels?.map((l) => s.label(l));
    s.ring.recordOutput(nowMs, { invalid: out.invalid, labels, scores: out.scores });
    if (out.reason) s.prom.invalid.set(out.reason, (s.prom.invalid.get(out.reason) ?? 0) + 1);
    if (labels) for (const l of labels) s.prom.outputLabels.set(l, (s.prom.outputLabels.get(l) ?? 0) + 1);
  }

  mirrorDropped(namespace: string, service: string, reason: string): void {
    this.metrics.mirrorDropped(namespace, service, reason);
  }

  private matching(q: Omit<WindowQuery, 'sinceMs' | 'windowMs'>): Series[] {
    const role = q.role ?? 'primary';
    return this.all.filter((s) => {
      const a = s.attrs;
      if (a.namespace !== q.namespace || a.service !== q.service || a.role !== role) return false;
      if ((q.revision !== undefined && a.revision !== q.revision) || (q.variant !== undefined && a.variant !== q.variant)) return false;
      if ((q.route !== undefined && a.route !== q.route) || (q.destination !== undefined && a.destination !== q.destination)) return false;
      if (q.slice) for (const k in q.slice) if (a.cohort?.[k] !== q.slice[k]) return false;
      // Requests a plan's cohorts exclude are not part of the experiment: left out unless asked for.
      if (a.cohort?.[EXCLUDED_SLICE] !== undefined && q.slice?.[EXCLUDED_SLICE] === undefined) return false;
      return true;
    });
  }

  /** Merged statistics of every matching series over the window. Pure read. */
  window(q: WindowQuery, nowMs = this.cfg.now()): WindowStats {
    const fromMs = q.sinceMs ?? nowMs - (q.windowMs ?? 60_000);
    const acc = new WindowAccumulator();
    const series = this.matching(q);
    for (const s of series) s.ring.collect(fromMs, nowMs, acc);
    const oldest = retainedFromMs(this.cfg.bucketMs, this.cfg.retentionMs, nowMs);
    return acc.result(windowSpan(this.cfg.bucketMs, fromMs, nowMs, oldest));
  }

  /** Distinct values of one stratum seen for a service (to run a gate per slice). */
  sliceValues(q: { namespace: string; service: string; role?: Role; stratum: string }): string[] {
    const values = new Set<string>();
    for (const s of this.matching(q)) {
      const v = s.attrs.cohort?.[q.stratum];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /** Every series' identity (for the API and debugging). */
  listSeries(): Array<Series['attrs']> {
    return this.all.map((s) => s.attrs);
  }

  metricsText(): Promise<string> {
    return this.metrics.metricsText();
  }

  get contentType(): string {
    return this.metrics.contentType;
  }
}
