import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retainedFromMs, WindowAccumulator, WindowRing, windowSpan } from '../../src/analysis/windows.ts';

function read(ring: WindowRing, fromMs: number, nowMs: number, retentionMs: number) {
  const acc = new WindowAccumulator();
  ring.collect(fromMs, nowMs, acc);
  return acc.result(windowSpan(ring.bucketMs, fromMs, nowMs, retainedFromMs(ring.bucketMs, retentionMs, nowMs)));
}

test('a window merges exactly the buckets that overlap it', () => {
  const ring = new WindowRing({ bucketMs: 10_000, retentionMs: 60_000 });
  // One request per second for 60 s; every 10th is a 5xx, every 20th a timeout.
  for (let t = 0; t < 60; t++) ring.recordRequest(t * 1000, 10 + t, t % 10 === 0 ? '5xx' : t % 20 === 5 ? 'timeout' : undefined);
  const last20 = read(ring, 45_000, 59_999, 60_000); // buckets 40–50 s and 50–60 s
  assert.equal(last20.fromMs, 40_000);
  assert.equal(last20.toMs, 60_000);
  assert.equal(last20.requests, 20);
  assert.equal(last20.errorsByClass['5xx'], 2);
  assert.equal(last20.errorsByClass.timeout, 1); // t = 45
  assert.equal(last20.errors, 3);
  assert.equal(last20.errorRate, 3 / 20);
  assert.equal(last20.truncated, false);
  const all = read(ring, 0, 59_999, 60_000);
  assert.equal(all.requests, 60);
  assert.ok(Math.abs(all.latency.p50! - 39) <= 0.4, `p50 ${all.latency.p50}`);
});

test('old buckets are recycled, and asking past retention says so', () => {
  const ring = new WindowRing({ bucketMs: 1000, retentionMs: 5000 });
  ring.recordRequest(500, 1, undefined);
  ring.recordRequest(10_500, 1, '4xx');
  const w = read(ring, 0, 10_900, 5000);
  assert.equal(w.requests, 1);
  assert.equal(w.truncated, true);
  assert.equal(w.fromMs, 5000);
  // 4xx are client errors: listed by class, not in errorRate.
  assert.equal(w.errorsByClass['4xx'], 1);
  assert.equal(w.errorRate, 0);
});

test('no requests means no rate, not a zero rate', () => {
  const ring = new WindowRing();
  const w = read(ring, 0, 1000, 3_600_000);
  assert.equal(w.requests, 0);
  assert.equal(w.errorRate, undefined);
  assert.equal(w.invalidOutputRate, undefined);
  assert.equal(w.latency.p99, undefined);
});

test('outputs: label counts, scores and invalid rate add up across buckets', () => {
  const ring = new WindowRing({ bucketMs: 1000 });
  ring.recordOutput(100, { invalid: false, labels: ['cat', 'dog', 'cat'] });
  ring.recordOutput(1100, { invalid: false, labels: ['dog'] });
  ring.recordOutput(2100, { invalid: true });
  ring.recordOutput(2200, { invalid: false, scores: [0.25, 0.75] });
  const w = read(ring, 0, 2999, 3_600_000);
  assert.deepEqual(w.labels, { cat: 2, dog: 2 });
  assert.equal(w.outputs, 4);
  assert.equal(w.invalidOutputs, 1);
  assert.equal(w.invalidOutputRate, 0.25);
  assert.equal(w.scores?.count, 2);
});
