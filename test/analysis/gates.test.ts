import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alphaShares, combineLook, evaluateGate, evaluateLook, thresholdText, worstVerdict,
  type GateAlpha, type GateEvaluation, type GateInput, type GateSpec, type Verdict,
} from '../../src/analysis/gates.ts';
import { addSides, sideFromWindow, type SideEvidence } from '../../src/analysis/evidence.ts';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import { seededRandom, binomial } from '../../src/core/random.ts';
import { side } from './helpers.ts';
import { newSketch } from '../../src/analysis/sketch.ts';

const A: GateAlpha = { step: 0.01, window: 0.001 };
const verdictOf = (gate: GateSpec, candidate: SideEvidence, baseline: SideEvidence, alpha = A) => evaluateGate(gate, { step: { candidate, baseline } }, alpha).verdict;
const resultOf = (gate: GateSpec, input: GateInput, alpha = A) => evaluateGate(gate, input, alpha).results[0]!;

test('errorRate: pass, fail and inconclusive depend on where the step\'s sequence lies', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const base = side({ requests: 10_000, errors: 20 });
  const rows: Array<[number, number, Verdict]> = [
    [5000, 5, 'pass'], // 0.1 %
    [5000, 150, 'fail'], // 3 %
    [100, 0, 'inconclusive'], // too few to tell
    [5000, 50, 'inconclusive'], // exactly at the threshold
    [0, 0, 'nodata'],
  ];
  for (const [n, e, want] of rows) assert.equal(verdictOf(gate, side({ requests: n, errors: e }), base), want, `${e}/${n}`);
});

test('evidence accumulates: clean requests a window at a time never pass one window, but the step passes', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const window = side({ requests: 200 });
  assert.equal(verdictOf(gate, window, side({ requests: 20_000 })), 'inconclusive');
  // Nine such windows added up: 1,800 clean requests prove the rate is under 1 %.
  const r = resultOf(gate, { step: { candidate: side({ requests: 1800 }), baseline: side({ requests: 180_000 }) }, window: { candidate: window, baseline: side({ requests: 20_000 }) } });
  assert.equal(r.verdict, 'pass');
  assert.deepEqual(r.samples, { candidate: 1800, baseline: 180_000 });
  assert.equal(r.window?.samples, 200);
  assert.ok(r.interval![1] < 0.01 && r.interval![0] === 0);
});

test('a pass band: between the pass and the fail threshold the step holds', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01, pass: { max: 0.005 } };
  const base = side({ requests: 100_000, errors: 100 });
  assert.equal(verdictOf(gate, side({ requests: 50_000, errors: 100 }), base), 'pass'); // 0.2 %
  assert.equal(verdictOf(gate, side({ requests: 50_000, errors: 350 }), base), 'inconclusive'); // 0.7 %: surely over 0.5 %, surely under 1 %
  assert.equal(verdictOf(gate, side({ requests: 50_000, errors: 800 }), base), 'fail'); // 1.6 %
  assert.equal(thresholdText(gate), 'max 0.01 (pass 0.005)');
});

test('deltas: absolute and relative against the baseline; nodata without baseline data', () => {
  const abs: GateSpec = { metric: 'errorRate', maxDelta: 0.005 };
  assert.equal(verdictOf(abs, side({ requests: 20_000, errors: 400 }), side({ requests: 20_000, errors: 40 })), 'fail');
  assert.equal(verdictOf(abs, side({ requests: 20_000, errors: 40 }), side({ requests: 20_000, errors: 40 })), 'pass');
  assert.equal(verdictOf(abs, side({ requests: 20_000, errors: 40 }), side({ requests: 0 })), 'nodata');
  const rel: GateSpec = { metric: 'errorRate', maxRelativeDelta: 0.5 };
  assert.equal(verdictOf(rel, side({ requests: 50_000, errors: 1500 }), side({ requests: 50_000, errors: 500 })), 'fail'); // 3 % vs 1 %: +200 %
  assert.equal(verdictOf(rel, side({ requests: 50_000, errors: 500 }), side({ requests: 50_000, errors: 500 })), 'pass');
});

test('invalidOutputRate is judged over analysed outputs', () => {
  const gate: GateSpec = { metric: 'invalidOutputRate', max: 0.01 };
  assert.equal(verdictOf(gate, side({ requests: 2000, invalid: 200 }), side({ requests: 2000 })), 'fail');
  assert.equal(verdictOf(gate, side({ requests: 2000, invalid: 0 }), side({ requests: 2000 })), 'pass');
});

test('latency quantiles are exceedance rates: p99 ≤ T means at most 1 % of requests slower than T', () => {
  const gate: GateSpec = { metric: 'latencyP99Ms', max: 500 };
  const fast = (n: number) => side({ requests: n, latency: [[40, n * 0.995], [120, n * 0.005]] });
  const slow = (n: number) => side({ requests: n, latency: [[40, n * 0.95], [800, n * 0.05]] }); // 5 % over 500 ms
  assert.equal(verdictOf(gate, fast(2000), fast(20_000)), 'pass');
  assert.equal(verdictOf(gate, slow(2000), fast(20_000)), 'fail');
  assert.equal(verdictOf(gate, fast(50), fast(20_000)), 'inconclusive');
  // Too few requests above the quantile to bound it: the interval's upper end reads ∞.
  assert.match(resultOf(gate, { step: { candidate: fast(50), baseline: fast(20_000) } }).reason, /^\[[\d.]+, ∞\] straddles max 500/);
  const r = resultOf(gate, { step: { candidate: slow(2000), baseline: fast(20_000) } });
  assert.equal(r.value, 800);
  assert.match(r.reason, /5 % \[.*\] of candidate requests slower than 500 ms \(p99 needs under 1 %\)/);
});

test('a relative latency gate catches a doubled p99 that is still under the absolute limit', () => {
  const gate: GateSpec = { metric: 'latencyP99Ms', max: 500, maxRelativeDelta: 0.5 };
  const shape = (n: number, f: number) => side({ requests: n, latency: [[40 * f, n * 0.9], [80 * f, n * 0.095], [120 * f, n * 0.005]] });
  assert.equal(verdictOf(gate, shape(3000, 2), shape(30_000, 1)), 'fail');
  assert.equal(verdictOf(gate, shape(3000, 1), shape(30_000, 1)), 'pass');
});

test('outputPSI and classRateDelta: identical distributions pass with enough outputs, shifted ones fail', () => {
  const psi: GateSpec = { metric: 'outputPSI', max: 0.2 };
  const crd: GateSpec = { metric: 'classRateDelta', max: 0.05 };
  const dist = (n: number, shares: number[]) => side({ requests: n, labels: Object.fromEntries(shares.map((s, i) => [`c${i}`, Math.round(n * s)])) });
  const base = dist(100_000, [0.6, 0.3, 0.1]);
  assert.equal(verdictOf(psi, dist(3000, [0.6, 0.3, 0.1]), base), 'pass');
  assert.equal(verdictOf(psi, dist(3000, [0.3, 0.3, 0.4]), base), 'fail');
  assert.equal(verdictOf(psi, dist(30, [0.6, 0.3, 0.1]), base), 'inconclusive');
  assert.equal(verdictOf(crd, dist(6000, [0.6, 0.3, 0.1]), base), 'pass');
  assert.equal(verdictOf(crd, dist(6000, [0.5, 0.4, 0.1]), base), 'fail');
  assert.equal(verdictOf(crd, dist(300, [0.6, 0.3, 0.1]), base), 'inconclusive');
  assert.equal(verdictOf(psi, side({ requests: 100 }), base), 'nodata');
});

test('outputPSI on scores bins them on the baseline deciles', () => {
  const gate: GateSpec = { metric: 'outputPSI', max: 0.2 };
  const scores = (n: number, shift: number) => Array.from({ length: 50 }, (_, i): [number, number] => [i / 50 + shift, n / 50]);
  assert.equal(verdictOf(gate, side({ requests: 5000, scores: scores(5000, 0) }), side({ requests: 50_000, scores: scores(50_000, 0) })), 'pass');
  assert.equal(verdictOf(gate, side({ requests: 5000, scores: scores(5000, 0.5) }), side({ requests: 50_000, scores: scores(50_000, 0) })), 'fail');
});

test('fail-fast: a sudden failure in the latest window fails although the step\'s evidence is clean', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const step = { candidate: side({ requests: 10_000, errors: 10 }), baseline: side({ requests: 90_000, errors: 90 }) };
  const burst = { candidate: side({ requests: 200, errors: 60 }), baseline: side({ requests: 1800, errors: 2 }) };
  const r = resultOf(gate, { step, window: burst });
  assert.equal(r.verdict, 'fail');
  assert.match(r.reason, /^last window alone:/);
  // Output metrics are not judged on single windows.
  const psi = resultOf({ metric: 'outputPSI', max: 0.2 }, { step, window: burst });
  assert.notEqual(psi.verdict, 'fail');
});

test('bySlice: each slice judged on its own evidence; a failing slice fails the gate; empty slices are skipped', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01, bySlice: 'tier' };
  const good = { candidate: side({ requests: 5000 }), baseline: side({ requests: 5000 }) };
  const bad = { candidate: side({ requests: 5000, errors: 300 }), baseline: side({ requests: 5000 }) };
  const empty = { candidate: side({ requests: 0 }), baseline: side({ requests: 10 }) };
  const e = evaluateGate(gate, { step: { ...good, slices: { tier: { free: good, gold: bad, rare: empty } } } }, A);
  assert.equal(e.verdict, 'fail');
  assert.deepEqual(e.results.map((r) => `${r.slice?.value}:${r.verdict}`), ['free:pass', 'gold:fail', 'rare:nodata']);
  // Three slices share the gate's α.
  assert.ok(Math.abs(e.results[0]!.alpha! - A.step / 3) < 1e-15);
});

test('provider counts are a rate over the step; provider values a sequential mean over windows', () => {
  const counts: GateSpec = { metric: 'promErrors', max: 0.01, provider: { prometheus: { events: 'e', total: 't' } } };
  const ok = { kind: 'counts' as const, candidate: { events: 2, total: 5000 }, baseline: { events: 20, total: 50_000 } };
  const input = (providers: Record<string, never> | object, result: object = { counts: {} }): GateInput => ({
    step: { candidate: side({ requests: 1 }), baseline: side({ requests: 1 }), providers: providers as never },
    window: { candidate: side({ requests: 1 }), baseline: side({ requests: 1 }), providers: { promErrors: result as never, p99: result as never } },
  });
  assert.equal(resultOf(counts, input({ promErrors: ok })).verdict, 'pass');
  assert.equal(resultOf(counts, input({ promErrors: { ...ok, candidate: { events: 200, total: 5000 } } })).verdict, 'fail');
  // A provider error in the window is an error, whatever the step's evidence says.
  assert.equal(resultOf(counts, input({ promErrors: ok }, { error: 'down' })).verdict, 'error');

  const values: GateSpec = { metric: 'p99', max: 0.5, provider: { prometheus: { query: 'q' } } };
  const m = (n: number, mean: number, sd: number) => ({ n, mean, m2: sd * sd * (n - 1) });
  const ev = (n: number, mean: number, sd: number) => ({ p99: { kind: 'values', value: m(n, mean, sd), delta: m(0, 0, 0), relative: m(0, 0, 0) } });
  assert.equal(resultOf(values, input(ev(2, 0.1, 0.01), { value: 0.1 })).verdict, 'inconclusive'); // fewer than 3 windows
  assert.equal(resultOf(values, input(ev(10, 0.1, 0.01), { value: 0.1 })).verdict, 'pass');
  assert.equal(resultOf(values, input(ev(10, 0.9, 0.01), { value: 0.9 })).verdict, 'fail');
  // +Inf (histogram_quantile past the last bucket) fails an upper threshold at once.
  const inf = resultOf(values, input(ev(10, 0.1, 0.01), { value: Infinity }));
  assert.equal(inf.verdict, 'fail');
  assert.match(inf.reason, /Infinity/);
});

test('alphaShares: Bonferroni over steps × gates, and over windows for fail-fast gates', () => {
  const spec = trafficPlanSpec.parse({
    target: { inferenceService: 's' }, candidate: { revision: 'r' }, owner: { team: 't' },
    phases: [{ canary: { steps: [10, 50, 100] } }], window: '1m', maxDuration: '2h',
    gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }],
  });
  const a = alphaShares(spec);
  assert.ok(Math.abs(a.step - (0.8 * 0.05) / (3 * 2)) < 1e-15);
  assert.ok(Math.abs(a.window - (0.2 * 0.05) / (120 * 1)) < 1e-15);
  const noFast = alphaShares({ ...spec, gates: [{ metric: 'outputPSI', max: 0.2 }], alpha: 0.01 });
  assert.deepEqual(noFast, { step: 0.01 / 3, window: 0 });
});

test('A/A at the fail threshold: looking every window, a gate falsely fails at most α of the time', () => {
  // The hardest null: the true rate equals the fail threshold. 400 steps of 60 windows, 300 requests each.
  const rand = seededRandom(21);
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const alpha: GateAlpha = { step: 0.05, window: 0 };
  const runs = 400;
  let failed = 0;
  for (let r = 0; r < runs; r++) {
    let errors = 0;
    for (let w = 1; w <= 60; w++) {
      errors += binomial(rand, 300, 0.01);
      if (verdictOf(gate, side({ requests: 300 * w, errors }), side({ requests: 1 }), alpha) === 'fail') {
        failed++;
        break;
      }
    }
  }
  assert.ok(failed / runs <= 0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs), `${failed}/${runs}`);
});

test('verdicts combine with Argo\'s rules: failure wins, errors count to a limit, silence never passes', () => {
  const ev = (...vs: Verdict[]): GateEvaluation[] => vs.map((v, i) => ({ gate: `g${i}`, verdict: v, results: [] }));
  assert.equal(worstVerdict(['pass', 'nodata', 'inconclusive']), 'inconclusive');
  assert.equal(combineLook(ev('pass', 'fail', 'error'), 100, 0).verdict, 'fail');
  assert.equal(combineLook(ev('pass', 'error'), 100, 0).verdict, 'error');
  const limit = combineLook(ev('error'), 100, 3);
  assert.equal(limit.verdict, 'fail');
  assert.ok(limit.errorLimitReached);
  assert.equal(combineLook(ev('pass'), 0, 0).verdict, 'nodata');
  assert.equal(combineLook([], 10, 0).verdict, 'pass');
  const look = evaluateLook([{ metric: 'errorRate', max: 0.01 }], { step: { candidate: side({ requests: 9000 }), baseline: side({ requests: 9000 }) }, window: { candidate: side({ requests: 0 }), baseline: side({ requests: 100 }) } }, A, 0);
  assert.equal(look.verdict, 'nodata');
});

test('an output gate without outputs on one side says which side, and whether it had requests (4xx answers carry none)', () => {
  const labelled = side({ requests: 500, labels: { a: 300, b: 200 } });
  const rejecting = { ...side({ requests: 200 }), outputs: 0 };
  assert.equal(resultOf({ metric: 'outputPSI', max: 0.2 }, { step: { candidate: rejecting, baseline: labelled } }).reason,
    'outputPSI needs output labels or scores on both sides; the candidate has 200 requests, none answered with output labels or scores (server errors and 4xx answers have none)');
  assert.equal(resultOf({ metric: 'classRateDelta', max: 0.1 }, { step: { candidate: labelled, baseline: side({ requests: 0 }) } }).reason,
    'classRateDelta needs labelled outputs on both sides; the baseline has no requests yet');
});

test('clientErrorRate: a candidate rejecting what the baseline answers (4xx) fails it, while errorRate (server errors) passes', () => {
  const rejecting = { ...side({ requests: 1000 }), clientErrors: 300 };
  const answering = { ...side({ requests: 9000 }), clientErrors: 9 };
  assert.equal(verdictOf({ metric: 'clientErrorRate', max: 0.02 }, rejecting, answering), 'fail');
  assert.equal(verdictOf({ metric: 'errorRate', max: 0.02 }, rejecting, answering), 'pass');
  assert.equal(verdictOf({ metric: 'clientErrorRate', max: 0.02 }, { ...side({ requests: 2000 }), clientErrors: 2 }, answering), 'pass');
  // Relative to the baseline: both sides reject the same share of bad client input.
  assert.equal(verdictOf({ metric: 'clientErrorRate', maxDelta: 0.01 }, { ...side({ requests: 40_000 }), clientErrors: 2000 }, { ...side({ requests: 360_000 }), clientErrors: 18_000 }), 'pass');
});

test('4xx answers become evidence: counted from the window, added over windows, absent in older stored evidence', () => {
  const w = sideFromWindow({ requests: 100, errors: 2, outputs: 70, invalidOutputs: 0, labels: {}, latencySketch: newSketch(), scores: undefined, errorsByClass: { '4xx': 28, '5xx': 2, timeout: 0, upstream: 0 } });
  assert.equal(w.clientErrors, 28);
  assert.equal(addSides(w, side({ requests: 50 })).clientErrors, 28);
  assert.equal(addSides(w, w).clientErrors, 56);
  assert.equal(side({ requests: 50 }).clientErrors, undefined);
});
