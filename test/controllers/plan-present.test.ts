// The plan's status as users read it: the step's evidence, each gate's interval and last window,
// what undecided gates need, and the Decidable condition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import { forecastGates } from '../../src/analysis/forecast.ts';
import { alphaShares } from '../../src/analysis/gates.ts';
import { presentStatus } from '../../src/controllers/plan/present.ts';
import { initialState, type PlanState } from '../../src/controllers/plan/state.ts';
import { step } from '../../src/controllers/plan/step.ts';
import { side } from '../analysis/helpers.ts';

const MIN = 60_000;
const spec = (maxDuration: string) => trafficPlanSpec.parse({
  target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' },
  phases: [{ canary: { steps: [10, 100], hold: { minRequests: 100 } } }], gates: [{ metric: 'errorRate', max: 0.01 }],
  window: '1m', maxDuration,
});

function after(s: ReturnType<typeof spec>, windows: number, requests: number, errors = 0): PlanState {
  let state = step(s, initialState(), {}, 0).state;
  for (let w = 1; w <= windows; w++) {
    state = step(s, state, { window: { fromMs: (w - 1) * MIN, toMs: w * MIN, candidate: side({ requests, errors }), baseline: side({ requests: requests * 9 }) } }, w * MIN).state;
  }
  return state;
}

const present = (s: ReturnType<typeof spec>, state: PlanState, now: number) =>
  presentStatus(s, { plan: state, target: {}, forecast: forecastGates(s.gates!, state.evidence!, alphaShares(s)) }, undefined, undefined, 1, [], now);

test('an undecided gate shows its interval, last window and what it needs; Decidable estimates when', () => {
  const s = spec('2h');
  const state = after(s, 2, 100);
  const st = present(s, state, 2 * MIN);
  const g = st.gates![0]!;
  assert.equal(g.verdict, 'inconclusive');
  assert.deepEqual(g.samples, { candidate: 200, baseline: 1800 });
  assert.equal(g.interval![0], 0);
  assert.ok(g.interval![1]! > 0.01);
  assert.deepEqual(g.lastWindow, { value: 0, samples: 100 });
  assert.ok(g.needs!.requests! > 0);
  // 200 candidate requests in 2 minutes: the step's own rate.
  assert.ok(Math.abs(g.needs!.seconds! - Math.ceil(g.needs!.requests! / (200 / 120))) <= 1);
  assert.deepEqual(st.evidence, { since: new Date(0).toISOString(), windows: 2, candidateRequests: 200, baselineRequests: 1800 });
  assert.equal(st.step, 'canary 1/2', 'kubectl get tp counts steps from 1');
  const d = st.conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(d.status, 'True');
  assert.equal(d.reason, 'Estimated');
  assert.match(d.message!, /gate errorRate decides last, in about \d+m/);
});

test('an ended plan shows no gate as needing more evidence, whatever its last forecast said', () => {
  const s = spec('2h');
  const undecided = after(s, 2, 100);
  // The last look rolled back (here by a command): the forecast stored at the look before still lists needs.
  const ended = step(s, undecided, { commands: [{ type: 'abort', by: 'sre' }] }, 2 * MIN + 1).state;
  assert.equal(present(s, undecided, 2 * MIN).gates![0]!.needs !== undefined, true);
  const stored = { plan: ended, target: {}, forecast: forecastGates(s.gates!, undecided.evidence!, alphaShares(s)) };
  const st = presentStatus(s, stored, undefined, undefined, 1, [], 2 * MIN + 1);
  assert.equal(st.gates![0]!.verdict, 'inconclusive');
  assert.equal(st.gates![0]!.needs, undefined);
});

test('a gate heading for a fail decides the step: the Decision names it, not the slowest gate to pass', () => {
  // errorRate max 0.01 with 3 % errors heads for a fail; latency (50 ms against max 500) would take longer to pass.
  const s = trafficPlanSpec.parse({ ...spec('2h'), gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'latencyP99Ms', max: 500 }] });
  const state = after(s, 2, 100, 3);
  const st = present(s, state, 2 * MIN);
  const [errors, latency] = st.gates!;
  assert.equal(errors!.verdict, 'inconclusive');
  assert.ok(latency!.needs!.requests! > errors!.needs!.requests!, 'latency needs more evidence to pass than errors to fail');
  const d = st.conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(d.reason, 'Estimated');
  assert.match(d.message!, new RegExp(`gate errorRate fails first, in about \\S+ \\(${errors!.needs!.requests} more candidate requests\\)`));
});

test('Decidable is False long before the end when the gates need more time than maxDuration leaves', () => {
  const s = spec('10m');
  const st = present(s, after(s, 2, 20), 2 * MIN);
  const d = st.conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(d.status, 'False');
  assert.equal(d.reason, 'BeyondMaxDuration');
  assert.match(d.message!, /maxDuration 10m ends in 8m/);
});

test('Decidable is False when a value sits on its threshold: this step cannot advance without a change', () => {
  const s = spec('2h');
  const st = present(s, after(s, 2, 1000, 10), 2 * MIN);
  const d = st.conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(d.status, 'False');
  assert.equal(d.reason, 'NoDecisionAtObservedRates');
});

test('a gate with no data on one side (no live baseline traffic) waits for it: Decidable says so instead of calling the step stuck', () => {
  const s = trafficPlanSpec.parse({
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' },
    phases: [{ canary: { steps: [10, 100] } }], gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.2 }], window: '1m', maxDuration: '2h',
  });
  let state = step(s, initialState(), {}, 0).state;
  state = step(s, state, { window: { fromMs: 0, toMs: MIN, candidate: side({ requests: 200, labels: { a: 120, b: 80 } }), baseline: side({ requests: 0 }) } }, MIN).state;
  const d = present(s, state, MIN).conditions!.find((c) => c.type === 'Decidable')!;
  assert.deepEqual([d.status, d.reason], ['Unknown', 'NoEstimate']);
  assert.equal(d.message, 'waiting for data: gate outputPSI: outputPSI needs output labels or scores on both sides; the baseline has no requests yet');
});

test('a bandit whose gates have decided says what its stop rule still waits for, not that everything has decided', () => {
  const s = trafficPlanSpec.parse({
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' }, window: '1m',
    phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, rewardFreshness: '10m', stop: { minRewards: 200 } } }],
    gates: [{ metric: 'errorRate', max: 0.05 }],
  });
  let state = step(s, initialState(), {}, 0).state;
  const arm = (name: string, fallback: boolean, assigned: number, clicks: number) => ({
    name, fallback, window: side({ requests: 1000 }), reading: { assigned, rewarded: assigned, sum: clicks, sumSq: clicks, outOfRange: 0, lastRewardMs: MIN },
  });
  state = step(s, state, { window: { fromMs: 0, toMs: MIN, candidate: side({ requests: 1000 }), baseline: side({ requests: 1000 }), arms: [arm('a', true, 120, 12), arm('b', false, 150, 15)] } }, MIN).state;
  const d = presentStatus(s, { plan: state, target: {} }, undefined, undefined, 1, [], MIN).conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(state.phase, 'Progressing');
  assert.deepEqual([d.reason, d.message], ['ExperimentRunning', 'every gate has decided; the stop rule waits for 200 rewards on every arm (a has 120, b has 150)']);
});

test("status.target names what the plan moves, for kubectl get tp's TARGET column: the InferenceService, or vs/NAME:ROUTE", () => {
  const onService = spec('1h');
  assert.equal(present(onService, after(onService, 1, 10), MIN).target, 'iris');
  const onRoute = trafficPlanSpec.parse({ ...onService, target: { virtualService: { name: 'banner', route: 'main' } }, candidate: { revision: 'b' } });
  const st = presentStatus(onRoute, { plan: initialState(), target: {} }, undefined, undefined, 1, [], 0);
  assert.equal(st.target, 'vs/banner:main');
});

test('after a shadow passes, the canary status keeps its verdict and pairs; paired gates show skipped and nothing waits for them', () => {
  const s = trafficPlanSpec.parse({
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' },
    phases: [{ shadow: { percent: 30, exit: { pairedRequests: 200 } } }, { canary: { steps: [20, 100], hold: { passingWindows: 2 } } }],
    gates: [{ metric: 'agreement', min: 0.9 }, { metric: 'errorRate', max: 0.05 }], window: '1m',
  });
  const pair = { baseline: { status: 200, latencyMs: 10, output: { predictions: [1] } }, candidate: { status: 200, latencyMs: 11, output: { predictions: [1] } } };
  let state = step(s, initialState(), {}, 0).state;
  state = step(s, state, { window: { fromMs: 0, toMs: MIN, candidate: side({ requests: 300 }), baseline: side({ requests: 1000 }), shadowPairs: Array(300).fill(pair), pairsCursor: 300 } }, MIN).state;
  assert.equal(state.phaseIndex, 1, 'the shadow passed and the canary runs');
  state = step(s, state, { window: { fromMs: MIN, toMs: 2 * MIN, candidate: side({ requests: 400 }), baseline: side({ requests: 1600 }) } }, 2 * MIN).state;
  const st = presentStatus(s, { plan: state, target: {}, forecast: forecastGates(s.gates!, state.evidence!, alphaShares(s)) }, undefined, undefined, 1, [], 2 * MIN);
  assert.deepEqual({ verdict: st.shadow?.verdict, phase: st.shadow?.phase, pairs: st.shadow?.pairs, agreement: st.shadow?.agreement }, { verdict: 'passed', phase: 1, pairs: 300, agreement: 1 });
  const agreement = st.gates!.find((g) => g.metric === 'agreement')!;
  assert.equal(agreement.skipped, true);
  assert.equal(agreement.reason, 'passed in the shadow (phase 1, 300 pairs); judged only where shadow pairs exist, so not in this phase');
  assert.equal(st.step, 'canary 1/2');
  const d = st.conditions!.find((c) => c.type === 'Decidable')!;
  assert.equal(st.gates!.find((g) => g.metric === 'errorRate')!.verdict, 'pass');
  assert.deepEqual([d.status, d.reason], ['True', 'GatesDecided'], d.message);
});

test('a rolled-back InferenceService plan says in status.restore that its spec still names the candidate at 0 %, and the patch that restores what serves', () => {
  const s = spec('2h');
  // The candidate fails its error gate: rolled back.
  const state = after(s, 1, 500, 100);
  assert.equal(state.phase, 'RolledBack');
  const memo = { applied: true, baselineRevision: 'iris-predictor-00001', candidateRevision: 'iris-predictor-00002', replaced: { block: 'sklearn', storageUri: 'pvc://m/1' } };
  const view = { memo, split: { 'iris-predictor-00001': 100, 'iris-predictor-00002': 0 } };
  const st = presentStatus(s, { plan: state, target: memo }, view, undefined, 1, [], MIN, undefined, 'models');
  assert.equal(st.message, state.message, 'the message stays the decision');
  assert.match(st.restore!, /^the rollback left InferenceService iris naming the candidate's storageUri, pinned at canaryTrafficPercent 0 \(revision iris-predictor-00001 serving everything\)/);
  assert.ok(st.restore!.endsWith(`kubectl -n models patch isvc iris --type merge -p '{"spec":{"predictor":{"canaryTrafficPercent":null,"sklearn":{"storageUri":"pvc://m/1"}}}}'`), st.restore);
  // Without what it replaced (the spec was parked by an earlier rollback), the hint names no command.
  const parked = presentStatus(s, { plan: state, target: { ...memo, replaced: undefined } }, view, undefined, 1, [], MIN);
  assert.match(parked.restore!, /apply its previous predictor again to make the spec name what serves$/);
  // Nothing was written to the target, the target is gone, or it is still running: no hint.
  assert.equal(presentStatus(s, { plan: state, target: {} }, view, undefined, 1, [], MIN).restore, undefined);
  assert.equal(presentStatus(s, { plan: state, target: memo }, { ...view, missing: true }, undefined, 1, [], MIN).restore, undefined);
  assert.equal(present(s, after(s, 1, 100), MIN).restore, undefined);
});
