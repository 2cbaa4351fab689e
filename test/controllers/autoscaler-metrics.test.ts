// The windowed aggregator: Knative's WindowAverage semantics, bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBuckets, isEmpty, recordInBuckets, windowAverage, type TimedBuckets } from '../../src/controllers/autoscaler/metrics.ts';

const T0 = 1_700_000_000_000; // a whole second
const at = (s: number): number => T0 + s * 1000;

function fill(tb: TimedBuckets, values: Array<[second: number, value: number]>): TimedBuckets {
  return values.reduce((acc, [s, v]) => recordInBuckets(acc, { at: at(s), value: v }), tb);
}

test('a full window averages every second in it', () => {
  const values: Array<[number, number]> = Array.from({ length: 60 }, (_, i) => [i, i < 30 ? 10 : 20]);
  const tb = fill(emptyBuckets(60), values);
  assert.equal(windowAverage(tb, at(59)), 15);
  assert.equal(windowAverage(tb, at(59) + 999), 15, 'time inside the same second reads the same bucket');
});

test('a run younger than the window is averaged over its own length', () => {
  const tb = fill(emptyBuckets(60), [[0, 30], [1, 30], [2, 60]]);
  assert.equal(windowAverage(tb, at(2)), 40);
});

test('seconds without a sample inside a run count as zero', () => {
  const tb = fill(emptyBuckets(60), [[0, 12], [3, 12]]); // seconds 1 and 2 missing
  assert.equal(windowAverage(tb, at(3)), 6);
});

test('seconds after the last write are left out, and a window later the value is gone', () => {
  const values: Array<[number, number]> = Array.from({ length: 60 }, (_, i) => [i, i < 50 ? 0 : 60]);
  const tb = fill(emptyBuckets(60), values);
  assert.equal(windowAverage(tb, at(59)), 10); // 10 s of 60 over 60 s
  // 5 s late: seconds 0..4 dropped from the front, the divisor shrinks to 55.
  assert.equal(windowAverage(tb, at(64)), 600 / 55);
  assert.equal(isEmpty(tb, at(119)), false);
  assert.equal(windowAverage(tb, at(119)), 0);
  assert.equal(isEmpty(tb, at(120)), true);
});

test('a write after a whole idle window starts a new run', () => {
  let tb = fill(emptyBuckets(6), [[0, 100], [1, 100]]);
  tb = fill(tb, [[20, 3]]);
  assert.equal(windowAverage(tb, at(20)), 3, 'old data does not dilute or inflate the new run');
  assert.equal(tb.firstWrite, T0 / 1000 + 20);
});

test('several samples in one second are averaged, not summed', () => {
  const tb = fill(emptyBuckets(6), [[0, 2], [0, 4]]);
  assert.equal(windowAverage(tb, at(0)), 3);
});

test('samples older than the window, negative or non-finite values are ignored', () => {
  let tb = fill(emptyBuckets(6), [[10, 6]]);
  const before = tb;
  tb = fill(tb, [[4, 1000], [10, -5], [10, Number.NaN]]);
  assert.deepEqual(tb, before);
  assert.equal(windowAverage(tb, at(10)), 6);
});

test('memory is bounded by the window length, whatever the history', () => {
  let tb = emptyBuckets(60);
  for (let s = 0; s < 5000; s++) tb = recordInBuckets(tb, { at: at(s), value: s % 7 });
  assert.ok(tb.buckets.length <= 60, `kept ${tb.buckets.length} buckets`);
  const expected = Array.from({ length: 60 }, (_, i) => (4940 + i) % 7).reduce((a, b) => a + b, 0) / 60;
  assert.ok(Math.abs(windowAverage(tb, at(4999)) - expected) < 1e-9);
});

test('recording returns a new value and leaves the old one untouched', () => {
  const tb = fill(emptyBuckets(6), [[0, 1]]);
  const copy = structuredClone(tb);
  recordInBuckets(tb, { at: at(1), value: 9 });
  recordInBuckets(tb, { at: at(0), value: 9 });
  assert.deepEqual(tb, copy);
});
