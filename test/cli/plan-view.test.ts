import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatNumber, isTerminal, progressBar, redrawPrefix, renderPlanStatus, screenRows, stepDescription, type PlanObject } from '../../src/cli/plan-view.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const spec = {
  target: { inferenceService: 'fraud-score' },
  owner: { team: 'risk' },
  phases: [{ canary: { steps: [1, 10, 50, 100], hold: { minRequests: 5000, passingWindows: 2, minDuration: '10m' } } }],
  maxDuration: '24h',
};

const progressing: PlanObject = {
  metadata: { name: 'fraud-v2', namespace: 'risk' },
  spec,
  status: {
    phase: 'Progressing', phaseIndex: 0, currentStep: 1, steps: [1, 10, 50, 100], canaryPercent: 10,
    split: { 'fraud-score-predictor-00001': 90, 'fraud-score-predictor-00002': 10 },
    stepRequests: 2600, stepMinRequests: 5000, passingWindows: 1, requiredPassingWindows: 2,
    stepStartedAt: '2026-11-22T09:55:48Z', startedAt: '2026-11-22T09:29:00Z',
    candidateRevision: 'fraud-score-predictor-00002', baselineRevision: 'fraud-score-predictor-00001',
    lastWindow: { from: '2026-11-22T09:58:00Z', to: '2026-11-22T09:59:00Z', verdict: 'pass' },
    gates: [
      { metric: 'errorRate', value: 0.0021, interval: [0.001, 0.004], baseline: 0.0019, threshold: 'max 0.01', verdict: 'pass', reason: '[0.001, 0.004] within max 0.01', lastWindow: { value: 0.002, samples: 480 } },
      { metric: 'outputPSI', name: 'psi-gold', slice: 'tier=gold', value: 0.31234567, baseline: null, threshold: 'max 0.2', verdict: 'fail', reason: 'above max 0.2' },
      { metric: 'classRateDelta', value: 0.01, interval: [0, 0.07], threshold: 'max 0.05', verdict: 'inconclusive', reason: '[0, 0.07] straddles max 0.05', needs: { requests: 1800, seconds: 225, message: '1800 more candidate requests to pass (about 4m at 8 candidate requests/s)' } },
    ],
    evidence: { since: '2026-11-22T09:55:48Z', windows: 4, candidateRequests: 2600, baselineRequests: 23400 },
    message: 'canary phase 1, step 2/4 at 10%',
    conditions: [
      { type: 'Progressing', status: 'True', reason: 'Advanced', lastTransitionTime: '2026-11-22T09:55:48Z' },
      { type: 'Decidable', status: 'True', reason: 'Estimated', message: 'gate classRateDelta decides last, in about 4m (1800 more candidate requests)', lastTransitionTime: '2026-11-22T09:55:48Z' },
    ],
  },
};

test('a progressing canary shows its step, split, request budget, windows, time and gates', () => {
  const text = renderPlanStatus(progressing, { now: NOW });
  const line = (label: string) => text.split('\n').find((l) => l.startsWith(`${label}:`)) ?? '';
  assert.equal(line('Phase'), 'Phase:      Progressing, canary step 2/4 at 10%');
  assert.equal(line('Target'), 'Target:     InferenceService fraud-score');
  assert.equal(line('Split'), 'Split:      fraud-score-predictor-00001 (baseline) 90%, fraud-score-predictor-00002 (candidate) 10%');
  assert.equal(line('Requests'), `Requests:   [${'#'.repeat(16)}${'-'.repeat(14)}]  2600/5000 (52%)`);
  assert.equal(line('Windows'), 'Windows:    1/2 consecutive passing; last 09:58:00-09:59:00: pass');
  assert.equal(line('Time'), 'Time:       4m12s in step (minDuration 10m), 31m since start (maxDuration 24h)');
  assert.equal(line('Evidence'), 'Evidence:   2600 candidate and 23400 baseline requests in 4 windows since 09:55:48');
  assert.equal(line('Decision'), 'Decision:   gate classRateDelta decides last, in about 4m (1800 more candidate requests)');
  const gates = text.slice(text.indexOf('Gates:')).split('\n');
  assert.match(gates[1]!, /^ {2}GATE\s+STEP \[INTERVAL\]\s+BASELINE\s+LAST WINDOW\s+THRESHOLD\s+VERDICT\s+NEEDS$/);
  assert.match(gates[2]!, /^ {2}errorRate\s+0\.0021 \[0\.001, 0\.004\]\s+0\.0019\s+0\.002\s+max 0\.01\s+pass$/);
  assert.match(gates[3]!, /^ {2}psi-gold \(outputPSI\) \[tier=gold\]\s+0\.3123\s+-\s+-\s+max 0\.2\s+fail$/);
  assert.match(gates[4]!, /^ {2}classRateDelta\s+0\.01 \[0, 0\.07\]\s+-\s+-\s+max 0\.05\s+inconclusive\s+1800 more candidate requests to pass \(about 4m at 8 candidate requests\/s\)$/);
  assert.match(text, /^ {4}psi-gold \[tier=gold\]: above max 0\.2$/m);
  assert.match(text, /Progressing\s+True\s+Advanced\s+4m12s ago/);
  assert.match(text, /Decidable\s+True\s+Estimated/);
  assert.doesNotMatch(text, /\x1b\[/, 'no ANSI codes without colour');
});

test('colour is only added on request, and failing gates are red', () => {
  const text = renderPlanStatus(progressing, { now: NOW, color: true });
  assert.match(text, /\x1b\[31m {0}psi-gold.*fail.*\x1b\[0m/);
  assert.match(text, /\x1b\[32merrorRate.*pass.*\x1b\[0m/);
});

test('the minDuration is marked met once the step has lasted it', () => {
  assert.match(renderPlanStatus(progressing, { now: NOW + 5 * 60_000 }), /9m12s in step \(minDuration 10m\),/);
  assert.match(renderPlanStatus(progressing, { now: NOW + 6 * 60_000 }), /10m in step \(minDuration 10m, met\),/);
});

test('a finished plan drops progress lines and says where it ended', () => {
  const done: PlanObject = { ...progressing, status: { ...progressing.status, phase: 'RolledBack', canaryPercent: 0, message: 'kill switch: traffic moved back to the baseline regardless of gates: INC-1' } };
  const text = renderPlanStatus(done, { now: NOW });
  assert.match(text, /^Phase: {6}RolledBack \(ended in canary step 2\/4\), candidate now at 0%$/m);
  assert.doesNotMatch(text, /^(Requests|Windows|Time):/m);
  assert.match(text, /^Message: {4}kill switch: .*INC-1$/m);
  assert.equal(isTerminal(done), true);
  assert.equal(isTerminal(progressing), false);
});

test('a plan the controller has not seen yet, and a pending command, are said plainly', () => {
  const fresh: PlanObject = { metadata: { name: 'p', annotations: { 'switchyard.dev/command': 'kill', 'switchyard.dev/command-by': 'alice', 'switchyard.dev/command-reason': 'PSI alarm' } }, spec };
  const text = renderPlanStatus(fresh, { now: NOW });
  assert.match(text, /^Phase: {6}Pending \(the controller has not reported on this plan yet\)$/m);
  assert.match(text, /^Command: {4}kill by alice \(PSI alarm\), not yet acted on by the controller$/m);
  assert.match(text, /<no gate evaluated yet>/);
  assert.match(text, /^Requests: {3}0 requests \(no request budget in this step\)$/m);
});

test('step descriptions name the phase kind, and the phase when there are several', () => {
  const multi: PlanObject = { spec: { phases: [{ shadow: { percent: 25 } }, { canary: { steps: [5, 50, 100] } }] }, status: { phaseIndex: 1, currentStep: 0, canaryPercent: 5 } };
  assert.equal(stepDescription(multi), 'phase 2/2: canary step 1/3 at 5%');
  assert.equal(stepDescription({ ...multi, status: { phaseIndex: 0 } }), 'phase 1/2: shadow copying 25% to the candidate');
  assert.equal(stepDescription({ spec: { phases: [{ blueGreen: {} }] }, status: { canaryPercent: 0 } }), 'blueGreen preview (0% live)');
  const preview = renderPlanStatus({ metadata: { name: 'p' }, spec: { phases: [{ blueGreen: {} }] }, status: { phase: 'Progressing', canaryPercent: 0, previewURL: 'http://latest-iris-predictor.ml.example.com' } }, { now: 0 });
  assert.match(preview, /^Preview: {4}http:\/\/latest-iris-predictor\.ml\.example\.com: the requests sent there judge the candidate \(0% of live traffic\)$/m);
  const experiment = { reason: 'running', baseline: { units: 340 }, candidate: { units: 316 }, horizon: { unitsPerArm: 1774 } };
  assert.equal(stepDescription({ spec: { phases: [{ abTest: {} }] }, status: { canaryPercent: 50, experiment } }), 'abTest at 50%: 316/1774 units per arm');
  // The test's split, not where traffic went after it: a won 30 % test ended "in abTest at 30%".
  const won = renderPlanStatus({ metadata: { name: 'p' }, spec: { phases: [{ abTest: { percent: 30 } }] }, status: { phase: 'Promoted', startedAt: '2026-11-22T09:00:00Z', canaryPercent: 100, experiment } }, { now: NOW });
  assert.match(won, /^Phase: {6}Promoted \(ended in abTest at 30%: 316\/1774 units per arm\), candidate now at 100%$/m);
  assert.equal(stepDescription({ spec: { phases: [{ bandit: {} }] }, status: { canaryPercent: 0 } }), 'bandit at 0%', 'before its first allocation');
  const bandit = { version: 5, learning: true, arms: [{ name: 'arm-a', weight: 0.2 }, { name: 'arm-b', weight: 0.3 }, { name: 'arm-c', weight: 0.5 }] };
  assert.equal(stepDescription({ spec: { phases: [{ bandit: {} }] }, status: { canaryPercent: 80, bandit } }), 'bandit allocation v5: arm-a 20%, arm-b 30%, arm-c 50%');
});

test('progress bars are clamped and numbers are short', () => {
  assert.equal(progressBar(0, 100, 10), '[----------]  0/100 (0%)');
  assert.equal(progressBar(250, 100, 10), '[##########]  250/100 (100%)');
  assert.equal(progressBar(7, 0, 10), '7 requests (no request budget in this step)');
  assert.equal(formatNumber(0.000123456), '0.0001235');
  assert.equal(formatNumber(512), '512');
  assert.equal(formatNumber(null), '-');
});

test('redrawing moves up over exactly the rows the previous block took, wrapped lines included', () => {
  assert.equal(redrawPrefix(undefined, 80), '');
  const block = `${'x'.repeat(100)}\nshort\n\x1b[32m${'y'.repeat(80)}\x1b[0m`;
  assert.equal(screenRows(block, 80), 4);
  assert.equal(redrawPrefix(block, 80), '\x1b[4F\x1b[0J');
  assert.equal(redrawPrefix(block, 80, 4), '\x1b[H\x1b[2J', 'taller than the screen: clear it instead');
});

test('a canary after a shadow shows the shadow it passed, and its paired gates as skipped', () => {
  const plan: PlanObject = {
    ...progressing,
    spec: { ...spec, phases: [{ shadow: { percent: 40 } }, ...spec.phases] },
    status: {
      ...progressing.status, phaseIndex: 1,
      shadow: { percent: 40, pairedRequests: 400, pairs: 412, compared: 412, agree: 400, labelled: 412, agreement: 400 / 412, candidateErrors: 0, baselineErrors: 0, invalid: 0, incomparable: 0, unpaired: 0, verdict: 'passed', phase: 1 },
      gates: [{ metric: 'agreement', threshold: 'min 0.9', verdict: 'nodata', skipped: true, reason: 'judged only where shadow pairs exist' }],
    },
  } as PlanObject;
  const text = renderPlanStatus(plan, { now: NOW });
  assert.match(text, /^Shadow: {5}phase 1 passed: 40% of requests copied to the candidate; .* 412\/400 pairs/m);
  assert.match(text, /^ {2}agreement\s+-\s+-\s+-\s+min 0\.9\s+skipped$/m);
});

test('an interval with an unbounded end (null in JSON) reads ∞', () => {
  const plan = { ...progressing, status: { ...progressing.status, gates: [{ metric: 'latencyP99Ms', value: 2.586, interval: [1.878, null], threshold: 'max 300', verdict: 'inconclusive' }] } } as PlanObject;
  assert.match(renderPlanStatus(plan, { now: NOW }), /^ {2}latencyP99Ms\s+2\.586 \[1\.878, ∞\]\s/m);
});

test("a maxDelta gate's interval is of the difference from the baseline, and is marked so beside the candidate's value", () => {
  const refund = { metric: 'refund', value: 0.0213, deltaInterval: [-0.0153, 0.0278], baseline: 0.0165, threshold: 'maxDelta 0.02', verdict: 'inconclusive' };
  const plan = { ...progressing, status: { ...progressing.status, gates: [refund] } } as PlanObject;
  assert.match(renderPlanStatus(plan, { now: NOW }), /^ {2}refund\s+0\.0213 Δ \[-0\.0153, 0\.0278\]\s+0\.0165\s/m);
});

test('a plan waiting to start says so, with the reason, and names no current step', () => {
  const waiting: PlanObject = {
    metadata: { name: 'fraud-v2', namespace: 'risk' }, spec,
    status: { phase: 'Pending', canaryPercent: 0, steps: [1, 10, 50, 100], message: 'waiting: the candidate is failing: revision fraud-score-predictor-00002: RuntimeUnhealthy: …; the plan starts once the revision loads (its pod retries with backoff)' },
  };
  const text = renderPlanStatus(waiting, { now: NOW });
  assert.match(text, /^Phase: {6}Pending, not started yet$/m);
  assert.match(text, /^Message: {4}waiting: the candidate is failing: /m);
  assert.doesNotMatch(text, /step 1\/4/);
  const aborted = renderPlanStatus({ ...waiting, status: { ...waiting.status, phase: 'Aborted', message: 'aborted by an operator' } }, { now: NOW });
  assert.match(aborted, /^Phase: {6}Aborted \(before it started\), candidate now at 0%$/m);
});
