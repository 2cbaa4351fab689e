import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binCounts, decileEdges, psiCategorical, psiNumeric, psiSketch, PSI_EPSILON } from '../../src/analysis/psi.ts';
import { newSketch } from '../../src/analysis/sketch.ts';

const close = (got: number | undefined, want: number, tol = 1e-9) => {
  assert.ok(got !== undefined);
  assert.ok(Math.abs(got - want) <= tol, `${got} != ${want}`);
};

test('identical label distributions have PSI 0, whatever the totals', () => {
  close(psiCategorical({ a: 30, b: 70 }, { a: 300, b: 700 }), 0);
});

test('a label shift from 50/50 to 80/20 gives the hand-computed PSI', () => {
  // (0.8-0.5)·ln(0.8/0.5) + (0.2-0.5)·ln(0.2/0.5) = 0.141001 + 0.274887
  close(psiCategorical({ a: 50, b: 50 }, { a: 80, b: 20 }), 0.415888, 1e-6);
});

test('a label missing on one side uses the epsilon share', () => {
  assert.equal(PSI_EPSILON, 1e-4);
  // baseline {a:1, b:ε}, candidate {a:.5, b:.5}: (0.5-1)·ln(0.5) + (0.5-1e-4)·ln(0.5/1e-4)
  close(psiCategorical({ a: 100 }, { a: 50, b: 50 }), 0.346574 + 0.4999 * Math.log(5000), 1e-6);
});

test('an empty side has no PSI (no data, not zero)', () => {
  assert.equal(psiCategorical({}, { a: 1 }), undefined);
  assert.equal(psiNumeric([1, 2, 3], []), undefined);
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('numeric scores are binned on the baseline deciles', () => {
  const baseline = range(1, 100);
  const edges = decileEdges(baseline.map((v) => ({ value: v, count: 1 })));
  assert.deepEqual(edges, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(binCounts(range(6, 105).map((v) => ({ value: v, count: 1 })), edges), [5, 10, 10, 10, 10, 10, 10, 10, 10, 15]);
  close(psiNumeric(baseline, baseline), 0);
  // shares 0.05 … 0.15 against 0.1 each: (0.05-0.1)·ln(0.5) + (0.15-0.1)·ln(1.5)
  close(psiNumeric(baseline, range(6, 105)), 0.05 * Math.log(2) + 0.05 * Math.log(1.5), 1e-12);
});

test('a constant baseline collapses to fewer bins', () => {
  assert.deepEqual(decileEdges([{ value: 0.5, count: 40 }]), [0.5]);
  // all mass moves across the single edge: (ε-1)·ln(ε) + (1-ε)·ln(1/ε)
  const psi = psiNumeric(new Array(40).fill(0.5), new Array(40).fill(0.9));
  close(psi, 2 * (1 - 1e-4) * Math.log(1e4), 1e-9);
});

test('score sketches give the same PSI as the raw scores when values sit in distinct buckets', () => {
  // 10 % apart, so every value has its own 1 % bucket; ×1.1^5 shifts by five ranks like the integer case.
  const base = range(0, 99).map((k) => 1.1 ** k);
  const cand = range(5, 104).map((k) => 1.1 ** k);
  const sb = newSketch();
  const sc = newSketch();
  for (const v of base) sb.accept(v);
  for (const v of cand) sc.accept(v);
  close(psiSketch(sb, sb), 0);
  close(psiSketch(sb, sc), 0.05 * Math.log(2) + 0.05 * Math.log(1.5), 1e-12);
  close(psiNumeric(base, cand), 0.05 * Math.log(2) + 0.05 * Math.log(1.5), 1e-12);
});
