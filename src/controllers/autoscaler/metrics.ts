// Windowed averages of a per-second metric, as Knative's autoscaler keeps them
// (pkg/autoscaler/aggregation TimedFloat64Buckets): one bucket per second, at
// most one window of buckets kept, so memory is bounded by the window length.
// Everything is a plain, JSON-serialisable value and every function returns a
// new value: the caller owns the state and the clock.

export const BUCKET_MS = 1000;

export interface Bucket {
  /** Whole seconds since the epoch (time truncated to the bucket). */
  second: number;
  sum: number;
  count: number;
}

/** The buckets of one window (Knative keeps one of these per window). */
export interface TimedBuckets {
  windowSeconds: number;
  /** Ascending by second; only seconds inside the window ending at lastWrite. */
  buckets: Bucket[];
  /** Start of the current run of data; reset when a whole window passes without a write. */
  firstWrite: number | null;
  lastWrite: number | null;
}

/** The two windows the KPA reads: the stable window and the (shorter) panic window. */
export interface MetricWindows {
  stable: TimedBuckets;
  panic: TimedBuckets;
}

export interface Sample {
  /** Epoch milliseconds the value was observed at. */
  at: number;
  /** Revision-wide value: average in-flight requests (concurrency) or requests per second (rps). */
  value: number;
}

export function emptyBuckets(windowSeconds: number): TimedBuckets {
  return { windowSeconds, buckets: [], firstWrite: null, lastWrite: null };
}

export function emptyWindows(stableSeconds: number, panicSeconds: number): MetricWindows {
  return { stable: emptyBuckets(stableSeconds), panic: emptyBuckets(panicSeconds) };
}

const toSecond = (ms: number): number => Math.floor(ms / BUCKET_MS);

// Several samples in one second are averaged rather than summed (Knative sums
// one scrape per second): a poke and a tick in the same second must not double
// the observed load.
const bucketValue = (b: Bucket): number => b.sum / b.count;

export function recordInBuckets(tb: TimedBuckets, sample: Sample): TimedBuckets {
  if (!Number.isFinite(sample.value) || sample.value < 0 || !Number.isFinite(sample.at)) return tb;
  const s = toSecond(sample.at);
  const w = tb.windowSeconds;
  let { firstWrite, lastWrite, buckets } = tb;
  // Older than the window that ends at the last write: it can no longer count.
  if (lastWrite !== null && s <= lastWrite - w) return tb;
  if (firstWrite === null || s < firstWrite) firstWrite = s;
  if (lastWrite === null || s > lastWrite) {
    if (lastWrite !== null && s - lastWrite >= w) {
      // A whole window without data: start a new run, as Knative does.
      firstWrite = s;
      buckets = [];
    }
    lastWrite = s;
    buckets = buckets.filter((b) => b.second > s - w);
  }
  const i = buckets.findIndex((b) => b.second === s);
  const next = buckets.slice();
  if (i >= 0) {
    const b = next[i]!;
    next[i] = { second: s, sum: b.sum + sample.value, count: b.count + 1 };
  } else {
    next.push({ second: s, sum: sample.value, count: 1 });
    next.sort((a, b) => a.second - b.second);
  }
  return { windowSeconds: w, buckets: next, firstWrite, lastWrite };
}

export function recordSample(windows: MetricWindows, sample: Sample): MetricWindows {
  return { stable: recordInBuckets(windows.stable, sample), panic: recordInBuckets(windows.panic, sample) };
}

/** Knative's IsEmpty: nothing was written during the last window. */
export function isEmpty(tb: TimedBuckets, now: number): boolean {
  return tb.lastWrite === null || toSecond(now) - tb.lastWrite > tb.windowSeconds;
}

/**
 * Knative's WindowAverage. Seconds inside a run without a sample count as 0;
 * a run younger than the window is averaged over its own length; seconds after
 * the last write are left out (the data is late, not zero). A caller that knows
 * a second was idle records 0 for it, as Knative's scraper does.
 */
export function windowAverage(tb: TimedBuckets, now: number): number {
  const { lastWrite, firstWrite, windowSeconds: w } = tb;
  if (lastWrite === null || firstWrite === null) return 0;
  const late = Math.max(0, toSecond(now) - lastWrite);
  if (late >= w) return 0;
  const from = lastWrite + late - w; // exclusive
  let total = 0;
  for (const b of tb.buckets) if (b.second > from && b.second <= lastWrite) total += bucketValue(b);
  const valid = Math.min(lastWrite - firstWrite + 1, w - late);
  return total / valid;
}

/**
 * The same data seen through windows of other lengths (after the stable window
 * or panic percentage changed). Only what the old stable window held survives.
 */
export function resizeWindows(windows: MetricWindows, stableSeconds: number, panicSeconds: number): MetricWindows {
  if (windows.stable.windowSeconds === stableSeconds && windows.panic.windowSeconds === panicSeconds) return windows;
  let out = emptyWindows(stableSeconds, panicSeconds);
  for (const b of windows.stable.buckets) out = recordSample(out, { at: b.second * BUCKET_MS, value: bucketValue(b) });
  return out;
}
