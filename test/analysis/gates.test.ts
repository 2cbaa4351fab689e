import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  combineWindow, evaluateGate, evaluateWindow, newcombe, wilson, worstVerdict,
  type GateEvaluation, type GateSpec, type GateWindow, type Verdict,
} from '../../src/analysis/gates.ts';
import { newSketch } from '../../src/analysis/sketch.ts';

function win(o: { requests: number; errors?: number; labels?: Record<string, number>; invalid?: number; p99?: number }): GateWindow {
  return {
    requests: o.requests, errors: o.errors ?? 0, outputs: o.requests - (o.errors ?? 0), invalidOutputs: o.invalid ?? 0,
    labels: o.labels ?? {}, latency: { p50: undefined, p90: undefined, p99: o.p99 },
  };
}
const verdictOf = (gate: GateSpec, candidate: GateWindow, baseline: GateWindow) => evaluateGate(gate, { candidate, baseline }).verdict;

test('Wilson bounds match the published values for 0/10 and 5/10 (z = 1.96)', () => {
  const [lo0, hi0] = wilson(0, 10, 1.96);
  assert.equal(lo0, 0);
  assert.ok(Math.abs(hi0 - 0.2775) < 1e-4);
  const [lo5, hi5] = wilson(5, 10, 1.96);
  assert.ok(Math.abs(lo5 - 0.2366) < 1e-4 && Math.abs(hi5 - 0.7634) < 1e-4);
});

test("Newcombe's interval for 56/70 − 48/80 matches his paper (0.0524, 0.3339)", () => {
  const [lo, hi] = newcombe(56, 70, 48, 80, 1.96);
  assert.ok(Math.abs(lo - 0.0524) < 1e-3 && Math.abs(hi - 0.3339) < 1e-3, `${lo} ${hi}`);
});

test('errorRate: pass, fail and inconclusive depend on where the interval lies', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const base = win({ requests: 10_000, errors: 20 });
  const rows: Array<[number, number, Verdict]> = [
    [5000, 5, 'pass'], // 0.1 %: whole interval under 1 %
    [5000, 150, 'fail'], // 3 %: whole interval over 1 %
    [100, 0, 'inconclusive'], // 0/100: upper bound ≈ 2.6 % straddles 1 %
    [1000, 10, 'inconclusive'], // exactly at the threshold
    [0, 0, 'nodata'],
  ];
  for (const [n, e, want] of rows) assert.equal(verdictOf(gate, win({ requests: n, errors: e }), base), want, `${e}/${n}`);
});

test('errorRate maxDelta compares against the baseline; without baseline data it is nodata', () => {
  const gate: GateSpec = { metric: 'errorRate', maxDelta: 0.005 };
  assert.equal(verdictOf(gate, win({ requests: 20_000, errors: 400 }), win({ requests: 20_000, errors: 40 })), 'fail');
  assert.equal(verdictOf(gate, win({ requests: 20_000, errors: 40 }), win({ requests: 20_000, errors: 40 })), 'pass');
  assert.equal(verdictOf(gate, win({ requests: 20_000, errors: 40 }), win({ requests: 0 })), 'nodata');
});

test('invalidOutputRate is judged over analysed outputs', () => {
  const gate: GateSpec = { metric: 'invalidOutputRate', max: 0.01 };
  assert.equal(verdictOf(gate, win({ requests: 2000, invalid: 200 }), win({ requests: 2000 })), 'fail');
  assert.equal(verdictOf(gate, win({ requests: 2000, invalid: 0 }), win({ requests: 2000 })), 'pass');
});

test('latency quantile gates: point values without a sketch, nodata below 1/(1−q) requests', () => {
  const gate: GateSpec = { metric: 'latencyP99Ms', max: 500 };
  assert.equal(verdictOf(gate, win({ requests: 1000, p99: 800 }), win({ requests: 1000, p99: 100 })), 'fail');
  assert.equal(verdictOf(gate, win({ requests: 1000, p99: 120 }), win({ requests: 1000, p99: 100 })), 'pass');
  assert.equal(verdictOf(gate, win({ requests: 50, p99: 900 }), win({ requests: 1000, p99: 100 })), 'nodata');
});

test('latency with a sketch uses order-statistic bounds: a tail near the threshold is inconclusive', () => {
  const sketchOf = (values: number[]) => {
    const s = newSketch();
    for (const v of values) s.accept(v);
    return s;
  };
  // 1000 requests: 985 fast, 15 at 600 ms: p99 is 600 but rank 0.99 − 1.645·√(0.0099/1000) ≈ 0.985 is still fast.
  const values = [...Array.from({ length: 985 }, () => 50), ...Array.from({ length: 15 }, () => 600)];
  const s = sketchOf(values);
  const candidate: GateWindow = { ...win({ requests: 1000 }), latency: { p50: 50, p90: 50, p99: s.getValueAtQuantile(0.99) }, latencySketch: s };
  assert.equal(verdictOf({ metric: 'latencyP99Ms', max: 500 }, candidate, win({ requests: 1000, p99: 60 })), 'inconclusive');
  const slow = sketchOf(Array.from({ length: 1000 }, (_, i) => (i < 900 ? 50 : 700)));
  const c2: GateWindow = { ...win({ requests: 1000 }), latency: { p50: 50, p90: 50, p99: slow.getValueAtQuantile(0.99) }, latencySketch: slow };
  assert.equal(verdictOf({ metric: 'latencyP99Ms', max: 500 }, c2, win({ requests: 1000, p99: 60 })), 'fail');
});

test('outputPSI: needs 200 outputs per side, then fails on a large shift and passes on the same distribution', () => {
  const gate: GateSpec = { metric: 'outputPSI', max: 0.2 };
  const base = win({ requests: 1000, labels: { a: 500, b: 500 } });
  assert.equal(verdictOf(gate, win({ requests: 100, labels: { a: 90, b: 10 } }), base), 'nodata');
  assert.equal(verdictOf(gate, win({ requests: 400, labels: { a: 320, b: 80 } }), base), 'fail'); // PSI 0.416
  assert.equal(verdictOf(gate, win({ requests: 400, labels: { a: 200, b: 200 } }), base), 'pass');
});

test('outputPSI falls back to score sketches when there are no labels', () => {
  const sk = (f: (i: number) => number) => {
    const s = newSketch();
    for (let i = 0; i < 1000; i++) s.accept(f(i));
    return s;
  };
  const base = { ...win({ requests: 1000 }), scores: sk((i) => i / 1000) };
  const same = { ...win({ requests: 1000 }), scores: sk((i) => i / 1000) };
  const moved = { ...win({ requests: 1000 }), scores: sk((i) => 0.5 + i / 2000) };
  assert.equal(verdictOf({ metric: 'outputPSI', max: 0.2 }, same, base), 'pass');
  assert.equal(verdictOf({ metric: 'outputPSI', max: 0.2 }, moved, base), 'fail');
});

test('classRateDelta: the largest class-share difference as a fraction, judged on its interval', () => {
  const gate: GateSpec = { metric: 'classRateDelta', max: 0.05 };
  const base = win({ requests: 10_000, labels: { a: 6000, b: 3000, c: 1000 } });
  const r = evaluateGate(gate, { candidate: win({ requests: 2000, labels: { a: 1000, b: 800, c: 200 } }), baseline: base }).results[0]!;
  assert.equal(r.verdict, 'fail');
  assert.ok(Math.abs(r.value! - 0.1) < 1e-12, 'a 10-point shift reads 0.1');
  assert.equal(verdictOf(gate, win({ requests: 2000, labels: { a: 1200, b: 600, c: 200 } }), base), 'pass');
  assert.equal(verdictOf(gate, win({ requests: 100, labels: { a: 50, b: 40, c: 10 } }), base), 'inconclusive');
  assert.equal(verdictOf(gate, win({ requests: 20, labels: { a: 20 } }), base), 'nodata');
});

test('requests gate reads the candidate count; min fails a starved candidate', () => {
  assert.equal(verdictOf({ metric: 'requests', min: 100 }, win({ requests: 10 }), win({ requests: 1000 })), 'fail');
  assert.equal(verdictOf({ metric: 'requests', min: 100 }, win({ requests: 500 }), win({ requests: 1000 })), 'pass');
});

test('provider gates: a failed query is error, an empty answer nodata, a value is judged', () => {
  const gate: GateSpec = { metric: 'p95', name: 'prom-p95', max: 300, provider: { prometheus: { query: 'q' } } };
  const pair = { candidate: win({ requests: 100 }), baseline: win({ requests: 100 }) };
  assert.equal(evaluateGate(gate, { ...pair, providers: { 'prom-p95': { error: 'connection refused' } } }).verdict, 'error');
  assert.equal(evaluateGate(gate, { ...pair, providers: {} }).verdict, 'error');
  assert.equal(evaluateGate(gate, { ...pair, providers: { 'prom-p95': {} } }).verdict, 'nodata');
  assert.equal(evaluateGate(gate, { ...pair, providers: { 'prom-p95': { value: 400 } } }).verdict, 'fail');
  assert.equal(evaluateGate(gate, { ...pair, providers: { 'prom-p95': { value: 200 } } }).verdict, 'pass');
});

test('bySlice: any failing slice fails the gate; slices without data are skipped unless all lack data', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01, bySlice: 'tier' };
  const ok = { candidate: win({ requests: 5000, errors: 5 }), baseline: win({ requests: 5000, errors: 5 }) };
  const bad = { candidate: win({ requests: 5000, errors: 500 }), baseline: win({ requests: 5000, errors: 5 }) };
  const empty = { candidate: win({ requests: 0 }), baseline: win({ requests: 10 }) };
  const global = { candidate: win({ requests: 10_000, errors: 10 }), baseline: win({ requests: 10_000, errors: 10 }) };
  const failing = evaluateGate(gate, { ...global, slices: { tier: { free: ok, premium: bad } } });
  assert.equal(failing.verdict, 'fail');
  assert.deepEqual(failing.results.map((r) => [r.slice?.value, r.verdict]), [['free', 'pass'], ['premium', 'fail']]);
  assert.equal(evaluateGate(gate, { ...global, slices: { tier: { free: ok, rare: empty } } }).verdict, 'pass');
  assert.equal(evaluateGate(gate, { ...global, slices: { tier: { rare: empty } } }).verdict, 'nodata');
  assert.equal(evaluateGate(gate, global).verdict, 'nodata', 'no slice data at all');
});

const ev = (...vs: Verdict[]): GateEvaluation[] => vs.map((v, i) => ({ gate: `g${i}`, verdict: v, results: [] }));

test('Argo combination: failure wins, then error, inconclusive, nodata, pass', () => {
  const rows: Array<[Verdict[], Verdict]> = [
    [['pass', 'pass'], 'pass'],
    [['pass', 'fail', 'error'], 'fail'],
    [['pass', 'error', 'inconclusive'], 'error'],
    [['pass', 'inconclusive', 'nodata'], 'inconclusive'],
    [['pass', 'nodata'], 'nodata'],
    [[], 'pass'],
  ];
  for (const [vs, want] of rows) assert.equal(combineWindow(ev(...vs), 100, 0).verdict, want, vs.join(','));
  assert.equal(worstVerdict([]), 'nodata');
});

test('a window without candidate requests is nodata even with no gates', () => {
  assert.equal(combineWindow([], 0, 0).verdict, 'nodata');
  assert.equal(evaluateWindow([], { candidate: win({ requests: 0 }), baseline: win({ requests: 100 }) }, 0).verdict, 'nodata');
});

test('errors count toward the consecutive-error limit (4) and only then fail; a clean window resets the count', () => {
  let errors = 0;
  const seen: Verdict[] = [];
  for (let i = 0; i < 4; i++) {
    const v = combineWindow(ev('pass', 'error'), 100, errors);
    errors = v.consecutiveErrors;
    seen.push(v.verdict);
  }
  assert.deepEqual(seen, ['error', 'error', 'error', 'fail']);
  assert.equal(combineWindow(ev('pass', 'error'), 100, 3).errorLimitReached, true);
  assert.equal(combineWindow(ev('pass'), 100, 3).consecutiveErrors, 0);
  assert.equal(combineWindow(ev('error'), 100, 1, { z: 1.645, minPsiOutputs: 200, minClassOutputs: 30, consecutiveErrorLimit: 2 }).verdict, 'fail');
});
