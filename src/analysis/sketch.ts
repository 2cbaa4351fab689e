// Mergeable quantile sketches (DDSketch, 1 % relative accuracy) for latency
// and numeric model scores. Windows keep one sketch per bucket and merge them
// on read, so any window length is answered from the same data.
import { DDSketch } from '@datadog/sketches-js';

export type { DDSketch };

/** Relative accuracy of every sketch Switchyard creates; sketches only merge when it matches. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

export function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}

/**
 * Adds `source` into `target`. DDSketch 2.1's own merge drops the negative
 * store when the target is non-empty (scores such as logits can be negative),
 * so that half is merged here.
 */
export function mergeInto(target: DDSketch, source: DDSketch): void {
  if (source.count === 0) return;
  const targetWasEmpty = target.count === 0;
  target.merge(source);
  if (!targetWasEmpty) target.negativeStore.merge(source.negativeStore);
}

/** A new sketch holding the union of `sketches` (inputs are not changed). */
export function mergeAll(sketches: Iterable<DDSketch>): DDSketch {
  const out = newSketch();
  for (const s of sketches) mergeInto(out, s);
  return out;
}

/** The value at quantile q (0..1), or undefined for an empty sketch. */
export function quantile(sketch: DDSketch, q: number): number | undefined {
  if (sketch.count === 0) return undefined;
  return sketch.getValueAtQuantile(q);
}

export interface Quantiles {
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
}

export function quantiles(sketch: DDSketch): Quantiles {
  return { p50: quantile(sketch, 0.5), p90: quantile(sketch, 0.9), p99: quantile(sketch, 0.99) };
}

/** One representative value with the weight of values the sketch mapped to it. */
export interface Atom {
  value: number;
  count: number;
}

/**
 * The sketch's contents as ascending (value, count) atoms. Every value in a
 * bucket is represented by the bucket's value, so two sketches with the same
 * accuracy produce comparable atoms (used to bin scores for PSI).
 */
export function atoms(sketch: DDSketch): Atom[] {
  const out: Atom[] = [];
  const neg = sketch.negativeStore;
  for (let i = neg.bins.length - 1; i >= 0; i--) {
    const c = neg.bins[i] ?? 0;
    if (c > 0) out.push({ value: -sketch.mapping.value(i + neg.offset), count: c });
  }
  if (sketch.zeroCount > 0) out.push({ value: 0, count: sketch.zeroCount });
  const pos = sketch.store;
  for (let i = 0; i < pos.bins.length; i++) {
    const c = pos.bins[i] ?? 0;
    if (c > 0) out.push({ value: sketch.mapping.value(i + pos.offset), count: c });
  }
  return out;
}
