import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { trafficPlanSpec, type TrafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import type { SideEvidence } from '../../src/analysis/evidence.ts';
import { initialState, type Observation, type PlanState, type WindowObservation } from '../../src/controllers/plan/state.ts';
import { step } from '../../src/controllers/plan/step.ts';
import { desiredOf } from '../../src/controllers/plan/controller.ts';
import { side as evidence } from '../analysis/helpers.ts';
import type { PairInput } from '../../src/analysis/pairs.ts';

const MIN = 60_000;

function plan(over: Record<string, unknown> = {}): TrafficPlanSpec {
  return trafficPlanSpec.parse({
    target: { inferenceService: 'fraud-score' },
    candidate: { storageUri: 'pvc://models/v2/' },
    owner: { team: 'risk' },
    phases: [{ canary: { steps: [10, 50, 100], hold: { minRequests: 1000, passingWindows: 2, minDuration: '5m' } } }],
    gates: [{ metric: 'errorRate', max: 0.01 }],
    maxDuration: '2h',
    rollback: { keepWarm: '1h' },
    ...over,
  });
}

function side(requests: number, errors = 0): SideEvidence {
  return evidence({ requests, errors });
}
/** What the controller makes the target look like for a state. */
const target = (spec: TrafficPlanSpec, state: PlanState) => desiredOf({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'p', namespace: 'ns' }, spec } as never, state);
/** A window ending at `endMin` minutes; 1000 clean candidate requests unless told otherwise. */
function win(endMin: number, candidate = side(1000), baseline = side(9000)): WindowObservation {
  return { fromMs: (endMin - 1) * MIN, toMs: endMin * MIN, candidate, baseline };
}

function started(spec = plan()): PlanState {
  return step(spec, initialState(), {}, 0).state;
}

/** Feeds observations at their window end (or the given time) and returns the last result. */
function feed(spec: TrafficPlanSpec, state: PlanState, obs: Array<[number, Observation]>) {
  let r = { state, transitions: [] as unknown[] } as ReturnType<typeof step>;
  for (const [at, o] of obs) r = step(spec, r.state, o, at * MIN);
  return r;
}

test('a Pending plan starts at the first step and sets the canary', () => {
  const r = step(plan(), initialState(), {}, 0);
  assert.equal(r.state.phase, 'Progressing');
  assert.equal(r.state.canaryPercent, 10);
  assert.deepEqual(target(plan(), r.state), { percent: 10, promoted: false, running: true });
  assert.equal(r.transitions[0]?.cause, 'started');
});

test('a step advances when minRequests, passingWindows and minDuration all hold', () => {
  const spec = plan();
  const r = feed(spec, started(spec), [[4, { window: win(4) }], [5, { window: win(5) }]]);
  assert.equal(r.state.canaryPercent, 50);
  assert.equal(r.state.stepIndex, 1);
  assert.equal(r.state.requestsInStep, 0);
  assert.equal(r.state.evidence?.candidate.requests, 0, 'the new split starts with fresh evidence');
  assert.equal(r.state.evidence?.sinceMs, 5 * MIN);
  const t = r.transitions[0]!;
  assert.equal(t.cause, 'advanced');
  assert.equal(t.evidence.requestsInStep, 2000);
  assert.equal(t.evidence.consecutivePassingWindows, 2);
  assert.equal(t.evidence.gates[0]?.threshold, 'max 0.01');
  assert.deepEqual(t.evidence.window, { fromMs: 4 * MIN, toMs: 5 * MIN });
});

test('each hold condition alone keeps the step', () => {
  const spec = plan();
  const rows: Array<[string, Array<[number, Observation]>]> = [
    ['minRequests (2 × 400 < 1000)', [[5, { window: win(5, side(400)) }], [6, { window: win(6, side(400)) }], [9, {}]]],
    ['passingWindows (one window of 3000)', [[6, { window: win(6, side(3000)) }], [9, {}]]],
    ['minDuration (two windows in 2 minutes)', [[1, { window: win(1) }], [2, { window: win(2) }], [4, {}]]],
  ];
  for (const [name, obs] of rows) {
    const r = feed(spec, started(spec), obs);
    assert.equal(r.state.stepIndex, 0, name);
    assert.equal(r.state.canaryPercent, 10, name);
  }
  // The minDuration case advances on its own once time passes, with no new window.
  const waited = feed(spec, started(spec), [[1, { window: win(1) }], [2, { window: win(2) }], [5, {}]]);
  assert.equal(waited.state.stepIndex, 1);
});

test('a failing gate rolls back to 0 % and keeps the candidate warm, with the evidence', () => {
  const spec = plan();
  const r = feed(spec, started(spec), [[3, { window: win(3, side(1000, 100)) }]]);
  assert.equal(r.state.phase, 'RolledBack');
  assert.equal(r.state.canaryPercent, 0);
  assert.equal(r.state.finishedAt, 3 * MIN, 'keep-warm is counted from here (controller.ts desiredOf)');
  const t = r.transitions[0]!;
  assert.equal(t.cause, 'gate-failed');
  assert.equal(t.step.percent, 10, 'the step it failed in');
  assert.equal(t.evidence.verdict, 'fail');
  assert.equal(t.evidence.gates[0]?.value, 0.1);
  assert.deepEqual(t.evidence.gates[0]?.samples, { candidate: 1000, baseline: 9000 });
  assert.match(t.reason, /errorRate/);
});

test('with onGateFailure false a failure pauses instead of rolling back', () => {
  const spec = plan({ rollback: { onGateFailure: false, keepWarm: '1h' } });
  const r = feed(spec, started(spec), [[3, { window: win(3, side(1000, 100)) }]]);
  assert.equal(r.state.phase, 'Paused');
  assert.equal(r.state.canaryPercent, 10, 'traffic stays where it was');
});

test('passing the last step promotes and keeps the previous revision warm', () => {
  const spec = plan({ phases: [{ canary: { steps: [50, 100], hold: { passingWindows: 1 } } }] });
  const r1 = feed(spec, started(spec), [[1, { window: win(1) }]]);
  assert.equal(r1.state.canaryPercent, 100);
  const r2 = feed(spec, r1.state, [[2, { window: win(2) }]]);
  assert.equal(r2.state.phase, 'Promoted');
  assert.equal(target(spec, r2.state).promoted, true);
  assert.equal(r2.transitions[0]?.cause, 'promoted');
});

test('maxDuration aborts the plan and moves traffic back', () => {
  const spec = plan();
  const r = feed(spec, started(spec), [[60, { window: win(60, side(10)) }], [120, {}]]);
  assert.equal(r.state.phase, 'Aborted');
  assert.equal(r.state.canaryPercent, 0);
  assert.equal(r.transitions[0]?.cause, 'max-duration');
});

test('nodata never promotes, even with no gates and the hold otherwise met in time', () => {
  for (const gates of [[{ metric: 'errorRate', max: 0.01 }], []]) {
    const spec = plan({ gates, phases: [{ canary: { steps: [100] } }] });
    const obs: Array<[number, Observation]> = Array.from({ length: 30 }, (_, i) => [i + 1, { window: win(i + 1, side(0)) }]);
    const r = feed(spec, started(spec), obs);
    assert.equal(r.state.phase, 'Progressing');
    assert.equal(r.state.lastVerdict, 'nodata');
  }
});

test('an inconclusive look holds the step and restarts the passing streak', () => {
  const spec = plan({ phases: [{ canary: { steps: [10, 100], hold: { passingWindows: 2 } } }] });
  // 1000 clean requests pass; 20 errors in the next 1000 put the step's rate at exactly 1 %: undecided.
  const r = feed(spec, started(spec), [[1, { window: win(1) }], [2, { window: win(2, side(1000, 20)) }]]);
  assert.equal(r.state.lastVerdict, 'inconclusive');
  assert.equal(r.state.consecutivePassingWindows, 0);
  assert.equal(r.state.stepIndex, 0);
});

test('evidence accumulates over the step: windows too small to decide alone add up to a pass', () => {
  const spec = plan({ phases: [{ canary: { steps: [10, 100], hold: { passingWindows: 1 } } }] });
  const obs: Array<[number, Observation]> = Array.from({ length: 4 }, (_, i) => [i + 1, { window: win(i + 1, side(200)) }]);
  const early = feed(spec, started(spec), obs.slice(0, 3));
  assert.equal(early.state.lastVerdict, 'inconclusive', '600 clean requests are not yet enough');
  assert.equal(early.state.evidence?.windows, 3);
  const later = feed(spec, started(spec), obs);
  assert.equal(later.state.stepIndex, 1, '800 clean requests over four windows are');
  const t = later.transitions.find((x) => x.cause === 'advanced')!;
  assert.equal(t.evidence.gates[0]?.samples.candidate, 800);
  assert.equal(t.evidence.gates[0]?.window?.samples, 200);
  assert.ok(t.evidence.alpha!.step > 0);
});

test('at 100 % the baseline serves nothing: the previous step\'s baseline is kept as the reference', () => {
  const spec = plan({ phases: [{ canary: { steps: [50, 100], hold: { passingWindows: 1 } } }], gates: [{ metric: 'errorRate', maxDelta: 0.01 }] });
  const at100 = feed(spec, started(spec), [[1, { window: win(1, side(5000), side(5000)) }]]);
  assert.equal(at100.state.canaryPercent, 100);
  assert.equal(at100.state.evidence?.baseline.requests, 5000);
  assert.equal(at100.state.evidence?.reference, true);
  const r = feed(spec, at100.state, [[2, { window: win(2, side(10_000), side(0)) }]]);
  assert.equal(r.state.phase, 'Promoted');
});

test('replaying the same window is a no-op', () => {
  const spec = plan();
  const once = feed(spec, started(spec), [[3, { window: win(3) }]]);
  const again = step(spec, once.state, { window: win(3) }, 4 * MIN);
  assert.deepEqual(again.state, once.state);
  assert.deepEqual(again.transitions, []);
  const older = step(spec, once.state, { window: win(2) }, 4 * MIN);
  assert.equal(older.state.requestsInStep, 1000);
});

test('kill works with no observation, from Progressing, Paused or Pending; a finished plan ignores it', () => {
  const spec = plan();
  const paused = step(spec, started(spec), { commands: [{ type: 'pause', by: 'alice' }] }, MIN).state;
  for (const s of [started(spec), paused, initialState()]) {
    const r = step(spec, s, { commands: [{ type: 'kill', by: 'sre-bob' }] }, 2 * MIN);
    assert.equal(r.state.phase, 'Aborted', 'an operator stopped it: no verdict on the candidate');
    assert.equal(r.state.canaryPercent, 0);
    assert.equal(r.transitions[0]?.cause, 'kill');
    assert.equal(r.transitions[0]?.by, 'sre-bob');
    const again = step(spec, r.state, { commands: [{ type: 'kill' }] }, 3 * MIN);
    assert.deepEqual(again.transitions, []);
    assert.equal(again.state, r.state);
  }
});

test('a candidate whose revision failed to load ends the plan at once (RolledBack, cause candidate-failed), or pauses it with automatic rollback off', () => {
  const why = 'revision fraud-score-predictor-00002: ModelLoadFailed: storage-initializer failed';
  const r = step(plan(), started(), { candidateFailed: why, window: win(1, side(0)) }, MIN);
  assert.deepEqual([r.state.phase, r.state.canaryPercent, r.transitions.at(-1)?.cause], ['RolledBack', 0, 'candidate-failed']);
  assert.equal(r.state.message, `the candidate failed: ${why}`);
  const manual = plan({ rollback: { onGateFailure: false } });
  const held = step(manual, started(manual), { candidateFailed: why }, MIN);
  assert.deepEqual([held.state.phase, held.state.canaryPercent], ['Paused', 10]);
  assert.match(held.state.message ?? '', /automatic rollback is off$/);
  assert.deepEqual(step(manual, held.state, { candidateFailed: why }, 2 * MIN).transitions, [], 'said once');
});

test('kill wins over a passing window in the same call', () => {
  const spec = plan({ phases: [{ canary: { steps: [100] } }] });
  const r = step(spec, started(spec), { commands: [{ type: 'kill' }], window: win(1) }, MIN);
  assert.equal(r.state.phase, 'Aborted');
});

test('pause holds the step; a failure while paused still rolls back; resume continues', () => {
  const spec = plan({ phases: [{ canary: { steps: [10, 100] } }] });
  const paused = feed(spec, started(spec), [[1, { commands: [{ type: 'pause' }] }], [2, { window: win(2) }], [3, { window: win(3) }]]);
  assert.equal(paused.state.phase, 'Paused');
  assert.equal(paused.state.stepIndex, 0);
  const failed = step(spec, paused.state, { window: win(4, side(1000, 200)) }, 4 * MIN);
  assert.equal(failed.state.phase, 'RolledBack');
  const resumed = feed(spec, paused.state, [[4, { commands: [{ type: 'resume' }] }], [5, { window: win(5) }]]);
  assert.equal(resumed.state.phase, 'Progressing');
  assert.equal(resumed.state.stepIndex, 1);
});

test('provider errors: three in a row hold, the fourth consecutive rolls back', () => {
  const spec = plan({ gates: [{ metric: 'p95', name: 'prom', max: 300, provider: { prometheus: { query: 'q' } } }] });
  const errWin = (m: number) => ({ window: { ...win(m), providers: { prom: { error: 'timeout' } } } });
  const three = feed(spec, started(spec), [[1, errWin(1)], [2, errWin(2)], [3, errWin(3)]]);
  assert.equal(three.state.phase, 'Progressing');
  assert.equal(three.state.consecutiveErrors, 3);
  const four = step(spec, three.state, errWin(4), 4 * MIN);
  assert.equal(four.state.phase, 'RolledBack');
  assert.equal(four.transitions[0]?.cause, 'errors-exceeded');
  const recovered = feed(spec, three.state, [[4, { window: { ...win(4), providers: { prom: { value: 100 } } } }], [5, errWin(5)]]);
  assert.equal(recovered.state.phase, 'Progressing', 'a clean window resets the count');
});

test('operator promote and abort end the plan', () => {
  const spec = plan();
  const p = step(spec, started(spec), { commands: [{ type: 'promote', by: 'alice' }] }, MIN);
  assert.equal(p.state.phase, 'Promoted');
  assert.deepEqual(target(spec, p.state), { percent: 100, promoted: true, keepWarm: { role: 'baseline', untilMs: MIN + 3_600_000 } });
  const a = step(spec, started(spec), { commands: [{ type: 'abort' }] }, MIN);
  assert.equal(a.state.phase, 'Aborted');
  assert.deepEqual(target(spec, a.state), { percent: 0, promoted: false, keepWarm: { role: 'candidate', untilMs: MIN + 3_600_000 } });
});

test('a window that began before the step started counts for failure but not toward the hold', () => {
  const spec = plan({ phases: [{ canary: { steps: [10, 50, 100], hold: { passingWindows: 1 } } }] });
  const advanced = feed(spec, started(spec), [[1, { window: win(1) }]]);
  assert.equal(advanced.state.stepIndex, 1);
  const straddle: WindowObservation = { fromMs: 0.5 * MIN, toMs: 1.5 * MIN, candidate: side(1000), baseline: side(9000) };
  const r = step(spec, advanced.state, { window: straddle }, 1.5 * MIN);
  assert.equal(r.state.stepIndex, 1);
  assert.equal(r.state.requestsInStep, 0);
  const bad = step(spec, advanced.state, { window: { ...straddle, candidate: side(1000, 300) } }, 1.5 * MIN);
  assert.equal(bad.state.phase, 'RolledBack');
});

test('blueGreen: preview by tag at 0 %, then switch to 100 % and keep the old revision warm', () => {
  const spec = plan({ phases: [{ blueGreen: { preview: { tag: 'latest' }, hold: { minRequests: 500, passingWindows: 2 } } }] });
  const s = step(spec, initialState(), {}, 0);
  assert.deepEqual(target(spec, s.state), { percent: 0, promoted: false, running: true, previewTag: 'latest' });
  assert.equal(s.state.message, 'blueGreen phase 1, previewing the candidate on the "latest" tag host, 0% of live traffic until its hold passes');
  const r = feed(spec, s.state, [[1, { window: win(1, side(700)) }], [2, { window: win(2, side(700)) }]]);
  assert.equal(r.state.phase, 'Promoted');
  assert.equal(r.state.canaryPercent, 100);
  assert.equal(target(spec, r.state).promoted, true);
});

describe('bandit phase', () => {
  const banditPlan = (b: Record<string, unknown> = {}, gates: unknown[] = [{ metric: 'errorRate', max: 0.01 }]) => trafficPlanSpec.parse({
    target: { virtualService: { name: 'picker' } }, candidate: { revision: 'b' }, owner: { team: 't' }, gates,
    phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, minPercent: 5, cadence: '1m', stop: { probabilityBest: 0.95, minRewards: 200 }, ...b } }],
  });
  /** One look: each arm's window (requests, errors) and its rewards so far (assigned, clicks). */
  const arms = (endMin: number, rows: Array<[number, number, number, number]>) => ({
    window: { ...win(endMin), arms: rows.map(([requests, errors, assigned, clicks], i) => ({
      name: ['a', 'b', 'c'][i]!, fallback: i === 0, window: side(requests, errors),
      reading: { assigned, rewarded: assigned, sum: clicks, sumSq: clicks, outOfRange: 0, lastRewardMs: endMin * MIN },
    })) },
  }) as Observation;

  test('the allocation moves to the arm that earns most and the stopping rule promotes it', () => {
    const spec = banditPlan();
    let r = step(spec, initialState(), {}, 0);
    assert.equal(r.state.phase, 'Progressing');
    r = step(spec, r.state, arms(1, [[300, 0, 100, 5], [300, 0, 100, 5], [300, 0, 100, 15]]), MIN);
    assert.equal(r.state.phase, 'Progressing', 'fewer than stop.minRewards per arm: no end yet');
    const w = target(spec, r.state).armWeights!;
    assert.equal(w.a! + w.b! + w.c!, 100);
    assert.ok(w.c! > w.a! && w.c! > w.b!, `c earns most: ${JSON.stringify(w)}`);
    assert.equal(r.state.canaryPercent, 100 - w.a!, 'the candidates\' share is the traffic off the fallback arm');
    r = step(spec, r.state, arms(2, [[600, 0, 1500, 75], [600, 0, 1500, 75], [600, 0, 3000, 300]]), 2 * MIN);
    assert.equal(r.state.phase, 'Promoted');
    assert.equal(r.transitions.at(-1)?.cause, 'bandit-best-arm');
    assert.deepEqual(target(spec, r.state).armWeights, { a: 0, b: 0, c: 100 });
  });

  test('an arm best by its rewards waits for its gates: too few requests to show its error rate under max, it is not promoted yet', () => {
    const spec = banditPlan({}, [{ metric: 'errorRate', max: 0.02 }]);
    let r = step(spec, initialState(), {}, 0);
    // Rewards decide early (c earns 4× more); 150 error-free requests cannot yet show c's error rate below 2 %.
    r = step(spec, r.state, arms(1, [[150, 0, 1500, 75], [150, 0, 1500, 75], [150, 0, 3000, 300]]), MIN);
    assert.equal(r.state.phase, 'Progressing', 'not promoted on rewards alone');
    assert.match(r.transitions.at(-1)?.reason ?? '', /arm c is best with probability .*; promoting it waits for its gates to pass: errorRate/);
    assert.equal(r.state.bandit?.awaiting?.arm, 2);
    r = step(spec, r.state, arms(2, [[900, 0, 1600, 80], [900, 0, 1600, 80], [900, 0, 3200, 320]]), 2 * MIN);
    assert.equal(r.state.phase, 'Promoted', `its gates passed: ${r.state.message}`);
    assert.deepEqual(target(spec, r.state).armWeights, { a: 0, b: 0, c: 100 });
  });

  test("an arm failing its guardrail against the fallback is frozen at 0 and says why", () => {
    const spec = banditPlan();
    let r = step(spec, initialState(), {}, 0);
    const look = arms(1, [[1000, 0, 100, 5], [1000, 200, 100, 5], [1000, 0, 100, 5]]);
    // The plan's candidate.revision is arm b: its plan-wide comparison fails too, and must not end the phase.
    look.window!.candidate = side(1000, 200);
    r = step(spec, r.state, look, MIN);
    assert.equal(target(spec, r.state).armWeights!.b, 0);
    assert.equal(r.state.phase, 'Progressing', 'the other arms keep learning');
    const t = r.transitions.find((x) => x.cause === 'bandit-guardrail');
    assert.match(t?.reason ?? '', /arm b frozen at 0: errorRate/);
  });

  test('kill sends everything to the fallback arm; learning-off keeps the allocation', () => {
    const spec = banditPlan();
    let r = step(spec, initialState(), {}, 0);
    r = step(spec, r.state, arms(1, [[300, 0, 100, 5], [300, 0, 100, 5], [300, 0, 100, 15]]), MIN);
    const before = target(spec, r.state).armWeights;
    const off = step(spec, r.state, { commands: [{ type: 'learning-off' }], ...arms(2, [[300, 0, 150, 7], [300, 0, 150, 60], [300, 0, 150, 20]]) }, 2 * MIN);
    assert.deepEqual(target(spec, off.state).armWeights, before, 'no learning: the allocation stays');
    assert.equal(off.state.bandit?.learning, false);
    const killed = step(spec, off.state, { commands: [{ type: 'kill' }] }, 3 * MIN);
    assert.equal(killed.state.phase, 'Aborted');
    assert.deepEqual(target(spec, killed.state).armWeights, { a: 100, b: 0, c: 0 });
  });
});

test('the state is plain JSON and survives a store round trip mid-step', () => {
  const spec = plan();
  const mid = feed(spec, started(spec), [[4, { window: win(4) }]]).state;
  const restored = JSON.parse(JSON.stringify(mid)) as PlanState;
  const a = step(spec, mid, { window: win(5) }, 5 * MIN);
  const b = step(spec, restored, { window: win(5) }, 5 * MIN);
  assert.deepEqual(JSON.parse(JSON.stringify(b)), JSON.parse(JSON.stringify(a)));
  assert.equal(b.state.stepIndex, 1);
});

test('budget: a step that would exceed maxCostPerHour pauses the plan instead of moving traffic', () => {
  const spec = trafficPlanSpec.parse({ target: { inferenceService: 'x' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' }, phases: [{ canary: { steps: [10, 50] } }] });
  const over = (_p: number, s: number) => (s === 1 ? 'step 1 would cost 50/h, budget 40/h' : undefined);
  let r = step(spec, initialState(), {}, 0, undefined, { overBudget: over });
  assert.equal(r.state.phase, 'Progressing');
  assert.equal(r.state.canaryPercent, 10);
  // The hold is met (one passing window); moving on would break the budget.
  r = step(spec, { ...r.state, consecutivePassingWindows: 1 }, {}, 2000, undefined, { overBudget: over });
  assert.equal(r.state.phase, 'Paused');
  assert.equal(r.state.canaryPercent, 10, 'traffic does not move past the budget');
  assert.equal(r.transitions[0]?.cause, 'budget');
});

test('budget: a plan whose first step is over budget never moves traffic, and resume retries that step', () => {
  const spec = trafficPlanSpec.parse({ target: { inferenceService: 'x' }, candidate: { storageUri: 'pvc://m/2' }, owner: { team: 't' }, phases: [{ canary: { steps: [10] } }] });
  let r = step(spec, initialState(), {}, 0, undefined, { overBudget: () => 'too expensive' });
  assert.equal(r.state.phase, 'Paused');
  assert.equal(r.state.canaryPercent, 0);
  assert.equal(r.state.stepStartedAt, undefined, 'the first step never took traffic');
  r = step(spec, r.state, { commands: [{ type: 'resume', by: 'alice' }] }, 10, undefined, { overBudget: () => undefined });
  assert.equal(r.state.phase, 'Progressing');
  assert.equal(r.state.canaryPercent, 10);
});

test('budget.maxRequests: a plan that used up its candidate requests without a decision ends Aborted, traffic back', () => {
  const spec = plan({ budget: { maxRequests: 2500 }, phases: [{ canary: { steps: [10, 50], hold: { minRequests: 100000 } } }] });
  const r = feed(spec, started(spec), [[1, { window: win(1) }], [2, { window: win(2) }], [3, { window: win(3) }]]);
  assert.equal(r.state.phase, 'Aborted');
  assert.equal(r.state.requestsTotal, 3000);
  assert.equal(r.transitions[0]?.cause, 'request-budget');
  assert.equal(r.state.canaryPercent, 0);
});

test('a reshaped running plan is held paused at its split: gates still judge it, and stops still work', () => {
  const spec = plan();
  const reshaped = ['spec.phases[0].canary.steps'];
  const held = step(spec, started(spec), { reshaped, window: win(1) }, MIN);
  assert.equal(held.state.phase, 'Paused');
  assert.equal(held.transitions[0]?.cause, 'spec-reshaped');
  assert.equal(held.state.canaryPercent, 10);
  const failing = step(spec, held.state, { reshaped, window: win(2, side(1000, 200)) }, 2 * MIN);
  assert.equal(failing.state.phase, 'RolledBack', 'a failing gate still rolls back a held plan');
  const aborted = step(spec, held.state, { reshaped, commands: [{ type: 'abort', by: 'sre' }] }, 2 * MIN);
  assert.equal(aborted.state.phase, 'Aborted');
  assert.equal(step(spec, held.state, { reshaped, commands: [{ type: 'resume' }] }, 2 * MIN).state.phase, 'Paused');
  assert.equal(step(spec, held.state, { commands: [{ type: 'resume' }] }, 2 * MIN).state.phase, 'Progressing', 'restored: resume goes on');
});

describe('shadow phase', () => {
  const shadowPlan = (over: Record<string, unknown> = {}) => plan({
    phases: [{ shadow: { percent: 25, exit: { pairedRequests: 500, maxDuration: '30m' } } }, { canary: { steps: [10, 100], hold: { passingWindows: 1 } } }],
    gates: [{ metric: 'agreement', min: 0.98 }, { metric: 'errorRate', max: 0.01 }],
    ...over,
  });
  const agree = (n: number, label = 1): PairInput[] => Array.from({ length: n }, () => ({ baseline: { status: 200, latencyMs: 10, output: { predictions: [1] } }, candidate: { status: 200, latencyMs: 12, output: { predictions: [label] } } }));
  const shadowWin = (endMin: number, pairs: PairInput[], cursor = endMin * 1000): WindowObservation => ({ ...win(endMin, side(1500)), shadowPairs: pairs, pairsCursor: cursor });

  test('starts with no live traffic on the candidate and copies to it; passes after pairedRequests pairs, then enters the canary', () => {
    const spec = shadowPlan();
    const s = step(spec, initialState(), {}, 0).state;
    assert.equal(s.canaryPercent, 0);
    assert.deepEqual(target(spec, s), { percent: 0, promoted: false, running: true, shadowPercent: 25 });
    const early = feed(spec, s, [[1, { window: shadowWin(1, agree(300)) }]]);
    assert.equal(early.state.phaseIndex, 0, '300 pairs: fewer than exit.pairedRequests');
    assert.equal(early.state.pairsCursor, 1000);
    const r = feed(spec, early.state, [[2, { window: shadowWin(2, agree(300)) }]]);
    assert.equal(r.state.phaseIndex, 1);
    assert.equal(r.state.canaryPercent, 10);
    assert.equal(target(spec, r.state).shadowPercent, undefined, 'no copies once the canary runs');
    const t = r.transitions.find((x) => x.cause === 'shadow-passed')!;
    assert.equal(t.evidence.pairs?.pairs, 600);
    assert.equal(t.evidence.pairs?.agreement, 1);
  });

  test('a disagreeing candidate is rolled back in shadow by agreement', () => {
    const spec = shadowPlan();
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: shadowWin(1, [...agree(450), ...agree(50, 2)]) }]]);
    assert.equal(r.state.phase, 'RolledBack');
    assert.match(r.state.message ?? '', /agreement/);
    assert.equal(target(spec, r.state).shadowPercent, undefined);
    assert.deepEqual(r.transitions[0]?.evidence.pairs?.confusion, { 1: { 1: 450, 2: 50 } });
  });

  test('outputs that cannot be compared pause the plan with what differs', () => {
    const spec = shadowPlan();
    const odd = agree(10).map((p) => ({ ...p, candidate: { ...p.candidate, output: { outputs: [{ name: 'score', datatype: 'FP32', shape: [1], data: [0.3] }] } } }));
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: shadowWin(1, odd) }]]);
    assert.equal(r.state.phase, 'Paused');
    assert.match(r.state.message ?? '', /cannot be compared.*outputs \[predictions\].*\[score\]/);
  });

  test('exit.maxDuration ends an undecided shadow: Aborted, traffic untouched', () => {
    const spec = shadowPlan();
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: shadowWin(1, agree(100)) }], [31, {}]]);
    assert.equal(r.state.phase, 'Aborted');
    assert.equal(r.transitions[0]?.cause, 'shadow-max-duration');
    assert.match(r.state.message ?? '', /100 pairs judged of 500/);
    assert.equal(r.state.canaryPercent, 0);
  });

  test('a shadow-only plan that passes is Validated, not Promoted: nothing moved traffic', () => {
    const spec = shadowPlan({ phases: [{ shadow: { percent: 50, exit: { pairedRequests: 200 } } }] });
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: shadowWin(1, agree(600)) }]]);
    assert.equal(r.state.phase, 'Validated');
    assert.equal(r.transitions[0]?.cause, 'shadow-passed');
    assert.deepEqual(target(spec, r.state), { percent: 0, promoted: false, keepWarm: { role: 'candidate', untilMs: MIN + 3_600_000 } });
  });

  test('paired gates are skipped outside shadow phases: they neither pass nor block the canary', () => {
    const spec = shadowPlan();
    const inCanary = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: shadowWin(1, agree(600)) }]]).state;
    assert.equal(inCanary.phaseIndex, 1);
    const r = feed(spec, inCanary, [[3, { window: win(3) }]]);
    assert.equal(r.state.stepIndex, 1, 'advanced on errorRate alone');
    const g = r.transitions[0]!.evidence.gates.find((x) => x.metric === 'agreement')!;
    assert.equal(g.skipped, true);
    assert.match(g.reason, /neither passes nor blocks/);
  });
});

describe('abTest phase', () => {
  const abPlan = (ab: Record<string, unknown> = {}) => plan({
    cohorts: { unit: { header: 'x-user-id' } },
    phases: [{ abTest: { percent: 50, primary: { metric: 'purchase' }, minRequestsPerArm: 3000, maxDuration: '1h', ...ab } }],
    gates: [{ metric: 'errorRate', max: 0.01 }],
  });
  const arm = (exposed: number, converted: number) => ({ exposed, converted, sum: converted, sumSq: converted, events: converted });
  const abWin = (endMin: number, b: [number, number], c: [number, number]): WindowObservation => ({ ...win(endMin, side(2000), side(2000)), outcomes: { '@primary': { baseline: arm(...b), candidate: arm(...c) } } });

  test('assigns units at the fixed split and decides at the horizon: a winner is promoted, with the report', () => {
    const spec = abPlan();
    const s = step(spec, initialState(), {}, 0).state;
    assert.equal(s.canaryPercent, 50);
    const running = feed(spec, s, [[1, { window: abWin(1, [1500, 150], [1500, 200]) }]]);
    assert.equal(running.state.phase, 'Progressing', 'before the horizon nothing is decided');
    assert.match(running.state.experiment!.reason, /running/);
    const r = feed(spec, running.state, [[2, { window: abWin(2, [3000, 300], [3000, 390]) }]]);
    assert.equal(r.state.phase, 'Promoted');
    assert.equal(r.transitions[0]?.cause, 'ab-won');
    assert.equal(r.transitions[0]?.evidence.experiment?.decision, 'win');
  });

  test('a winner whose gates are still undecided waits for them; past maxDuration the baseline is kept', () => {
    const spec = abPlan({ maxDuration: '5m' });
    // 150 error-free candidate requests cannot yet show an error rate under 1 %: the win waits.
    const few = (endMin: number) => ({ ...abWin(endMin, [3000, 300], [3000, 390]), candidate: side(150) });
    const waiting = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: few(1) }]]);
    assert.equal(waiting.state.phase, 'Progressing');
    assert.deepEqual(waiting.transitions.map((t) => t.cause), ['ab-awaiting-gates']);
    assert.match(waiting.state.message ?? '', /promoting it waits for its gates to pass: errorRate/);
    const again = feed(spec, waiting.state, [[2, { window: few(2) }]]);
    assert.deepEqual(again.transitions, [], 'said once');
    // The message follows the lift as it moves, without a new transition.
    const moved = feed(spec, waiting.state, [[2, { window: { ...abWin(2, [3000, 300], [3000, 450]), candidate: side(150) } }]]);
    assert.deepEqual(moved.transitions, []);
    assert.notEqual(moved.state.message, waiting.state.message);
    assert.equal(moved.state.message, `${moved.state.experiment!.reason}; promoting it waits for its gates to pass: ${moved.state.message!.split('gates to pass: ')[1]}`);
    assert.match(moved.state.message ?? '', /relative lift 50\.00 %/);
    const passed = feed(spec, waiting.state, [[2, { window: abWin(2, [3000, 300], [3000, 390]) }]]);
    assert.equal(passed.state.phase, 'Promoted', 'promoted once its gates pass');
    const late = feed(spec, again.state, [[6, { window: few(6) }]]);
    assert.deepEqual([late.state.phase, late.transitions.at(-1)?.cause], ['RolledBack', 'ab-inconclusive']);
    assert.match(late.state.message ?? '', /gates have not passed by maxDuration 5m .*the baseline is kept/);
  });

  test('a loser and an inconclusive test keep the baseline', () => {
    const spec = abPlan();
    const lost = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: abWin(1, [3000, 390], [3000, 300]) }]]);
    assert.deepEqual([lost.state.phase, lost.transitions[0]?.cause, lost.state.canaryPercent], ['RolledBack', 'ab-lost', 0]);
    const flat = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: abWin(1, [3000, 300], [3000, 305]) }]]);
    assert.deepEqual([flat.state.phase, flat.transitions[0]?.cause], ['RolledBack', 'ab-inconclusive']);
    assert.match(flat.state.message ?? '', /inconclusive.*the baseline is kept/);
  });

  test('a sample ratio mismatch pauses the experiment with the counts', () => {
    const spec = abPlan();
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: abWin(1, [1600, 160], [1300, 130]) }]]);
    assert.equal(r.state.phase, 'Paused');
    assert.equal(r.transitions[0]?.cause, 'sample-ratio-mismatch');
    assert.match(r.state.message ?? '', /1600 baseline and 1300 candidate units against a 50\/50 split/);
  });

  test('a failing guardrail rolls back even when the candidate is winning', () => {
    const spec = abPlan();
    const w = abWin(1, [3000, 300], [3000, 390]);
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: { ...w, candidate: side(2000, 200) } }]]);
    assert.deepEqual([r.state.phase, r.transitions[0]?.cause], ['RolledBack', 'gate-failed']);
  });

  test('past maxDuration an undecided experiment ends inconclusive', () => {
    const spec = abPlan({ maxDuration: '5m' });
    const r = feed(spec, step(spec, initialState(), {}, 0).state, [[1, { window: abWin(1, [1000, 100], [1000, 130]) }], [6, {}]]);
    assert.deepEqual([r.state.phase, r.transitions[0]?.cause], ['RolledBack', 'ab-inconclusive']);
  });
});
