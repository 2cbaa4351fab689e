import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atoms, mergeAll, mergeInto, newSketch, quantile, quantiles } from '../../src/analysis/sketch.ts';

const within1pct = (got: number | undefined, want: number) => {
  assert.ok(got !== undefined, 'quantile of a non-empty sketch');
  assert.ok(Math.abs(got - want) <= 0.0101 * Math.abs(want), `${got} not within 1 % of ${want}`);
};

/** The order statistics around rank q·(n−1): DDSketch's answer is within 1 % of one of them. */
function nearRank(got: number | undefined, sorted: number[], q: number): void {
  const r = q * (sorted.length - 1);
  const lo = sorted[Math.floor(r)]!;
  const hi = sorted[Math.ceil(r)]!;
  assert.ok(got !== undefined);
  const ok = [lo, hi].some((want) => Math.abs(got - want) <= 0.0101 * Math.abs(want));
  assert.ok(ok, `${got} not within 1 % of ${lo} or ${hi}`);
}

test('quantiles are within 1 % relative accuracy of the exact order statistics', () => {
  const values: number[] = [];
  // A skewed latency-like sample: mostly 2–20 ms with a tail to 2 s.
  for (let i = 0; i < 20_000; i++) values.push(i % 100 === 0 ? 200 + (i % 1800) : 2 + ((i * 7919) % 1800) / 100);
  const s = newSketch();
  for (const v of values) s.accept(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) nearRank(quantile(s, q), sorted, q);
  const qs = quantiles(s);
  nearRank(qs.p99, sorted, 0.99);
});

test('merging sketches answers like one sketch over all values, negatives included', () => {
  const parts = [newSketch(), newSketch(), newSketch()];
  const all: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const v = (i % 2 === 0 ? -1 : 1) * (1 + (i % 500));
    parts[i % 3]!.accept(v);
    all.push(v);
  }
  const merged = mergeAll(parts);
  assert.equal(merged.count, 3000);
  const sorted = all.sort((a, b) => a - b);
  for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) nearRank(quantile(merged, q), sorted, q);
  // mergeInto into a non-empty sketch keeps both halves (DDSketch's own merge drops negatives).
  const target = newSketch();
  target.accept(5);
  const neg = newSketch();
  neg.accept(-5);
  neg.accept(-7);
  mergeInto(target, neg);
  assert.equal(atoms(target).reduce((n, a) => n + a.count, 0), 3);
  within1pct(quantile(target, 0), -7);
  // Inputs are not changed.
  assert.equal(parts[0]!.count, 1000);
});

test('an empty sketch has no quantiles', () => {
  assert.equal(quantile(newSketch(), 0.5), undefined);
  assert.deepEqual(quantiles(newSketch()), { p50: undefined, p90: undefined, p99: undefined });
});
