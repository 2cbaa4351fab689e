import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPairs, addTallies, emptyTally, readOutputs, type PairInput, type PairSide } from '../../src/analysis/pairs.ts';
import { pairedEstimate } from '../../src/analysis/gate-pairs.ts';

const ok = (output: unknown, latencyMs = 10): PairSide => ({ status: 200, latencyMs, output });
const v1 = (...predictions: unknown[]) => ({ predictions });
const pair = (baseline: PairSide | undefined, candidate: PairSide, cohort?: Record<string, string>): PairInput => ({ ...(baseline ? { baseline } : {}), candidate, ...(cohort ? { cohort } : {}) });

test('V1 labels: agreement, the confusion matrix and per-output counts', () => {
  const t = addPairs(emptyTally(), [pair(ok(v1(1)), ok(v1(1))), pair(ok(v1(1)), ok(v1(2))), pair(ok(v1(0)), ok(v1(0))), pair(ok(v1(2)), ok(v1(2)))]);
  assert.deepEqual([t.pairs, t.compared, t.labelled, t.agree], [4, 4, 4, 3]);
  assert.deepEqual(t.confusion, { 1: { 1: 1, 2: 1 }, 0: { 0: 1 }, 2: { 2: 1 } });
  assert.deepEqual(t.byOutput, { predictions: { compared: 4, agree: 3 } });
});

test('probability vectors: the argmax is the label, every element adds a score difference', () => {
  const t = addPairs(emptyTally(), [pair(ok(v1([0.7, 0.2, 0.1])), ok(v1([0.6, 0.3, 0.1])))], (x) => Math.round(x * 1000) / 1000);
  assert.equal(t.agree, 1);
  assert.deepEqual(t.scoreDeltas, [[0, 1], [0.1, 2]]);
  // A regression value: scores only, no labels to agree on.
  const r = addPairs(emptyTally(), [pair(ok(v1(1.25)), ok(v1(1.5)))], (x) => x);
  assert.deepEqual([r.compared, r.labelled, r.scoreDeltas], [1, 0, [[0.25, 1]]]);
});

test('V2 outputs are compared by name; a request agrees only when every label output agrees', () => {
  const body = (label: number, p: number[]) => ({ outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [label] }, { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: p }] });
  const t = addPairs(emptyTally(), [pair(ok(body(1, [0.1, 0.8, 0.1])), ok(body(1, [0.2, 0.7, 0.1]))), pair(ok(body(1, [0.1, 0.8, 0.1])), ok(body(2, [0.1, 0.8, 0.1])))]);
  assert.deepEqual([t.compared, t.labelled, t.agree], [2, 2, 1]);
  assert.deepEqual(t.byOutput, { label: { compared: 2, agree: 1 }, probabilities: { compared: 2, agree: 2 } });
  assert.deepEqual(t.confusion, { 1: { 1: 1, 2: 1 } }, 'one count per instance, from the first labelled output only');
});

test('the confusion matrix counts every instance of a batch', () => {
  const body = (...labels: number[]) => ({ outputs: [{ name: 'predict', datatype: 'FP32', shape: [labels.length, 3], data: labels.flatMap((l) => [0, 1, 2].map((k) => (k === l ? 0.9 : 0.05))) }] });
  const t = addPairs(emptyTally(), [pair(ok(body(0, 1, 2)), ok(body(0, 2, 2))), pair(ok(body(1)), ok(body(1)))]);
  assert.deepEqual([t.pairs, t.agree], [2, 1]);
  assert.deepEqual(t.confusion, { 0: { 0: 1 }, 1: { 1: 1, 2: 1 }, 2: { 2: 1 } });
});

test('outputs that cannot be compared are counted with what differs, never as disagreement', () => {
  const t = addPairs(emptyTally(), [
    pair(ok({ outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }] }), ok({ outputs: [{ name: 'class', datatype: 'INT64', shape: [1], data: [1] }] })),
    pair(ok(v1([0.5, 0.5])), ok(v1([0.2, 0.3, 0.5]))),
  ]);
  assert.deepEqual([t.compared, t.incomparable, t.agree], [0, 2, 0]);
  assert.match(t.incomparableReason!, /3 per instance|2 per instance/);
  const names = addPairs(emptyTally(), [pair(ok({ outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }] }), ok({ outputs: [{ name: 'class', datatype: 'INT64', shape: [1], data: [1] }] }))]);
  assert.equal(names.incomparableReason, 'the baseline answers outputs [label], the candidate [class]');
});

test('failures, invalid answers and missing baselines are counted apart', () => {
  const t = addPairs(emptyTally(), [
    pair(ok(v1(1)), { status: 500, latencyMs: 3, output: null }),
    pair(ok(v1(1)), { status: 504, latencyMs: 10_000, output: null }),
    pair({ status: 503, latencyMs: 1, output: null }, ok(v1(1))),
    pair(ok(v1(1)), ok({ predictions: [Number.NaN] })),
    pair(undefined, ok(v1(1))),
  ]);
  assert.deepEqual([t.pairs, t.candidateErrors, t.baselineErrors, t.invalid, t.unpaired, t.compared], [4, 2, 1, 1, 1, 0]);
  assert.equal(readOutputs('not json'), 'not a JSON object');
});

test('latency deltas: candidate minus baseline on the same request, negative when faster', () => {
  const t = addPairs(emptyTally(), [pair(ok(v1(1), 10), ok(v1(1), 30)), pair(ok(v1(1), 40), ok(v1(1), 30))], (x) => x);
  assert.deepEqual(t.latencyDeltas, [[-10, 1], [20, 1]]);
});

test('tallies add up whatever way the pairs were split', () => {
  const ps = [pair(ok(v1(1)), ok(v1(2))), pair(ok(v1(0)), ok(v1(0))), pair(ok(v1(1)), { status: 500, latencyMs: 1, output: null })];
  const whole = addPairs(emptyTally(), ps);
  const parts = addTallies(addPairs(emptyTally(), ps.slice(0, 1)), addPairs(emptyTally(), ps.slice(1)));
  assert.deepEqual(parts, whole);
});

test('paired metrics: agreement and candidate errors are rates with always-valid intervals', () => {
  const agreeing = Array.from({ length: 2000 }, () => pair(ok(v1(1)), ok(v1(1))));
  const t = addPairs(emptyTally(), agreeing);
  const a = pairedEstimate('agreement', t);
  assert.equal(a.kind, 'ok');
  if (a.kind !== 'ok') return;
  assert.equal(a.judge({ kind: 'min', fail: 0.98, pass: 0.98 }, 0.01).verdict, 'pass');
  const some = addPairs(emptyTally(), [...agreeing.slice(0, 1800), ...Array.from({ length: 200 }, () => pair(ok(v1(1)), ok(v1(2))))]);
  const b = pairedEstimate('agreement', some);
  assert.equal(b.kind === 'ok' && b.judge({ kind: 'min', fail: 0.98, pass: 0.98 }, 0.01).verdict, 'fail');
  const errs = pairedEstimate('candidateErrorRate', addPairs(emptyTally(), Array.from({ length: 300 }, () => pair(ok(v1(1)), { status: 502, latencyMs: 1, output: null }))));
  assert.equal(errs.kind === 'ok' && errs.judge({ kind: 'max', fail: 0.01, pass: 0.01 }, 0.01).verdict, 'fail');
  assert.equal(pairedEstimate('agreement', emptyTally()).kind, 'nodata');
});
