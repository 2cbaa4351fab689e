// A ring of fixed-width time buckets (default 10 s, one hour kept) holding
// what the gates read: requests, errors by class, a latency sketch, output
// label counts, a score sketch and invalid outputs. A window is answered by
// merging the buckets that overlap it, so its span is rounded out to bucket
// boundaries (at most one bucket more than asked). Pure: the time is passed in.
import { mergeInto, newSketch, quantiles, type DDSketch, type Quantiles } from './sketch.ts';

export const ERROR_CLASSES = ['4xx', '5xx', 'timeout', 'upstream'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];
/** Error classes that count toward errorRate: the server side failed, not the client. */
export const SERVER_ERROR_CLASSES: readonly ErrorClass[] = ['5xx', 'timeout', 'upstream'];

export interface Bucket {
  /** floor(time / bucketMs): identifies which interval this slot currently holds. */
  epoch: number;
  requests: number;
  errors: Record<ErrorClass, number>;
  latency: DDSketch | undefined;
  /** Outputs analysed (sampled responses with a 2xx status). */
  outputs: number;
  invalidOutputs: number;
  labels: Map<string, number> | undefined;
  scores: DDSketch | undefined;
}

/** What one analysed response contributed. */
export interface OutputObservation {
  invalid: boolean;
  labels?: readonly string[];
  scores?: readonly number[];
}

export interface WindowOptions {
  bucketMs?: number;
  retentionMs?: number;
}

function emptyBucket(epoch: number): Bucket {
  return { epoch, requests: 0, errors: { '4xx': 0, '5xx': 0, timeout: 0, upstream: 0 }, latency: undefined, outputs: 0, invalidOutputs: 0, labels: undefined, scores: undefined };
}

/** Start of the oldest bucket a ring with these options still holds at `nowMs`. */
export function retainedFromMs(bucketMs: number, retentionMs: number, nowMs: number): number {
  return (Math.floor(nowMs / bucketMs) - Math.ceil(retentionMs / bucketMs)) * bucketMs;
}

export class WindowRing {
  readonly bucketMs: number;
  /** Filled on first use: a quiet series (a rare cohort slice) costs little memory. */
  private readonly slots: Array<Bucket | undefined>;

  constructor(opts: WindowOptions = {}) {
    this.bucketMs = opts.bucketMs ?? 10_000;
    const retention = opts.retentionMs ?? 3_600_000;
    // One spare slot so a full retention span is readable while the current bucket fills.
    this.slots = new Array<Bucket | undefined>(Math.ceil(retention / this.bucketMs) + 1).fill(undefined);
  }

  /** The bucket for `nowMs`, recycling the slot if it still holds an older interval. */
  bucket(nowMs: number): Bucket {
    const epoch = Math.floor(nowMs / this.bucketMs);
    const i = epoch % this.slots.length;
    let b = this.slots[i];
    if (!b || b.epoch !== epoch) {
      b = emptyBucket(epoch);
      this.slots[i] = b;
    }
    return b;
  }

  recordRequest(nowMs: number, latencyMs: number, error: ErrorClass | undefined): void {
    const b = this.bucket(nowMs);
    b.requests++;
    if (error) b.errors[error]++;
    (b.latency ??= newSketch()).accept(latencyMs);
  }

  recordOutput(nowMs: number, o: OutputObservation): void {
    const b = this.bucket(nowMs);
    b.outputs++;
    if (o.invalid) b.invalidOutputs++;
    if (o.labels) {
      const m = (b.labels ??= new Map());
      for (const l of o.labels) m.set(l, (m.get(l) ?? 0) + 1);
    }
    if (o.scores && o.scores.length > 0) {
      const s = (b.scores ??= newSketch());
      for (const x of o.scores) s.accept(x);
    }
  }

  /** Feeds every bucket overlapping [fromMs, nowMs] into `acc`. */
  collect(fromMs: number, nowMs: number, acc: WindowAccumulator): void {
    const first = Math.max(Math.floor(fromMs / this.bucketMs), Math.floor(nowMs / this.bucketMs) - this.slots.length + 1);
    const last = Math.floor(nowMs / this.bucketMs);
    for (let e = first; e <= last; e++) {
      const b = this.slots[e % this.slots.length];
      if (b && b.epoch === e) acc.add(b);
    }
  }
}

export interface WindowStats {
  /** The span actually read, rounded out to bucket boundaries. */
  fromMs: number;
  toMs: number;
  /** True when part of the asked span is older than the ring keeps. */
  truncated: boolean;
  requests: number;
  /** Server-side errors (5xx, timeout, upstream); 4xx are client errors and only appear by class. */
  errors: number;
  errorsByClass: Record<ErrorClass, number>;
  /** errors / requests; undefined without requests (no data is not a pass). */
  errorRate: number | undefined;
  latency: Quantiles;
  latencySketch: DDSketch;
  outputs: number;
  invalidOutputs: number;
  /** invalidOutputs / outputs; undefined when no output was analysed. */
  invalidOutputRate: number | undefined;
  labels: Record<string, number>;
  scores: DDSketch | undefined;
}

/** Merges buckets (from one or many rings) into one window's statistics. */
export class WindowAccumulator {
  private requests = 0;
  private readonly errors: Record<ErrorClass, number> = { '4xx': 0, '5xx': 0, timeout: 0, upstream: 0 };
  private readonly latency = newSketch();
  private outputs = 0;
  private invalid = 0;
  private readonly labels = new Map<string, number>();
  private scores: DDSketch | undefined;

  add(b: Bucket): void {
    this.requests += b.requests;
    for (const c of ERROR_CLASSES) this.errors[c] += b.errors[c];
    if (b.latency) mergeInto(this.latency, b.latency);
    this.outputs += b.outputs;
    this.invalid += b.invalidOutputs;
    if (b.labels) for (const [l, n] of b.labels) this.labels.set(l, (this.labels.get(l) ?? 0) + n);
    if (b.scores) mergeInto((this.scores ??= newSketch()), b.scores);
  }

  result(span: { fromMs: number; toMs: number; truncated: boolean }): WindowStats {
    let errors = 0;
    for (const c of SERVER_ERROR_CLASSES) errors += this.errors[c];
    return {
      ...span,
      requests: this.requests,
      errors,
      errorsByClass: { ...this.errors },
      errorRate: this.requests > 0 ? errors / this.requests : undefined,
      latency: quantiles(this.latency),
      latencySketch: this.latency,
      outputs: this.outputs,
      invalidOutputs: this.invalid,
      invalidOutputRate: this.outputs > 0 ? this.invalid / this.outputs : undefined,
      labels: Object.fromEntries(this.labels),
      scores: this.scores,
    };
  }
}

/** The bucket-aligned span [fromMs, toMs) that reading [fromMs, nowMs] covers. */
export function windowSpan(bucketMs: number, fromMs: number, nowMs: number, oldestMs: number): { fromMs: number; toMs: number; truncated: boolean } {
  const alignedFrom = Math.floor(fromMs / bucketMs) * bucketMs;
  return { fromMs: Math.max(alignedFrom, oldestMs), toMs: (Math.floor(nowMs / bucketMs) + 1) * bucketMs, truncated: alignedFrom < oldestMs };
}
