import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecastGates, forecastPlan } from '../../src/analysis/forecast.ts';
import { evaluateGate, type GateAlpha, type GateSpec } from '../../src/analysis/gates.ts';
import { scaleSide } from '../../src/analysis/evidence.ts';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import { side } from './helpers.ts';

const A: GateAlpha = { step: 0.01, window: 0 };

test('an undecided gate says how many more candidate requests it needs, and that many do decide it', () => {
  const gate: GateSpec = { metric: 'errorRate', max: 0.01 };
  const step = { candidate: side({ requests: 200, errors: 0 }), baseline: side({ requests: 20_000, errors: 20 }) };
  const [f] = forecastGates([gate], step, A);
  assert.equal(f!.toward, 'pass');
  assert.ok(f!.moreRequests! > 0);
  // The same rates with that many more requests pass; with a tenth fewer they do not yet.
  const k = (200 + f!.moreRequests!) / 200;
  const at = (scale: number) => evaluateGate(gate, { step: { candidate: scaleSide(step.candidate, scale), baseline: scaleSide(step.baseline, scale) } }, A).verdict;
  assert.equal(at(k), 'pass');
  assert.equal(at(1 + (k - 1) * 0.9), 'inconclusive');
});

test('a value on its threshold never decides; a decided gate needs nothing more; no data says why', () => {
  const gates: GateSpec[] = [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }];
  const onThreshold = forecastGates(gates, { candidate: side({ requests: 1000, errors: 10 }), baseline: side({ requests: 1000 }) }, A);
  assert.equal(onThreshold[0]!.moreRequests, undefined);
  assert.match(onThreshold[0]!.reason, /sits on its threshold/);
  assert.match(onThreshold[1]!.reason, /needs output labels or scores/);
  const decided = forecastGates([gates[0]!], { candidate: side({ requests: 10_000, errors: 300 }), baseline: side({ requests: 1000 }) }, A);
  assert.deepEqual([decided[0]!.moreRequests, decided[0]!.toward], [0, 'fail']);
});

test('an outcome guardrail (refunds per unit, maxDelta) says how many more requests decide it, as a rate gate does', () => {
  const gate: GateSpec = { metric: 'refund', outcome: { aggregate: 'conversion', per: 'unit' }, maxDelta: 0.02 };
  const arm = (exposed: number, converted: number) => ({ exposed, converted, sum: converted, sumSq: converted, events: converted });
  // 2 % refunds on both arms: the delta is 0, its interval still wider than the 0.02 allowed.
  const step = { candidate: side({ requests: 900 }), baseline: side({ requests: 2100 }), outcomes: { refund: { candidate: arm(600, 12), baseline: arm(1400, 28) } } };
  assert.equal(evaluateGate(gate, { step }, A).verdict, 'inconclusive');
  const [f] = forecastGates([gate], step, A);
  assert.equal(f!.toward, 'pass', f!.reason);
  assert.ok(f!.moreRequests! > 0);
});

test('forecastPlan: a blue/green preview needs requests on its tag host, whose rate the live rate does not tell', () => {
  const spec = trafficPlanSpec.parse({
    target: { inferenceService: 's' }, candidate: { revision: 'r' }, owner: { team: 't' }, window: '2s', maxDuration: '30m',
    phases: [{ blueGreen: { hold: { minRequests: 100 } } }], gates: [{ metric: 'errorRate', max: 0.02 }],
  });
  const [preview] = forecastPlan(spec, { step: 0.05, window: 0 }, 100);
  assert.equal(preview!.label, 'preview');
  assert.ok(preview!.requests! > 0);
  assert.equal(preview!.seconds, undefined);
});

test('forecastPlan: per step, what a clean candidate needs; a 1 % step needs no more requests than a 50 % one', () => {
  const spec = trafficPlanSpec.parse({
    target: { inferenceService: 's' }, candidate: { revision: 'r' }, owner: { team: 't' }, window: '2s', maxDuration: '30m',
    phases: [{ canary: { steps: [10, 50, 100] } }], gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }],
  });
  const steps = forecastPlan(spec, { step: 0.05 / 6, window: 0 }, 100);
  assert.deepEqual(steps.map((s) => s.percent), [10, 50, 100]);
  // 1 % errors: a few hundred clean requests (the beta-binomial sequence), not tens of thousands.
  assert.ok(steps[0]!.requests! > 300 && steps[0]!.requests! < 1500, String(steps[0]!.requests));
  assert.equal(steps[0]!.slowest, 'errorRate');
  assert.ok(Math.abs(steps[0]!.seconds! - steps[0]!.requests! / 10) < 1e-9);
  assert.ok(steps[0]!.requests! <= steps[1]!.requests!);
});
