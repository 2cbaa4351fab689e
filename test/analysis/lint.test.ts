import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockingFindings, lintPlan, LINT_OVERRIDE_ANNOTATION } from '../../src/analysis/lint.ts';

/** A plan with none of the anti-patterns; each row below breaks one thing. */
function good(): { metadata: { annotations?: Record<string, string> }; spec: Record<string, any> } {
  return {
    metadata: {},
    spec: {
      target: { inferenceService: 'fraud-score' },
      candidate: { storageUri: 'pvc://models/v2/' },
      owner: { team: 'risk' },
      cohorts: { unit: { header: 'x-user-id' }, strata: [{ name: 'tier', header: 'x-tier' }] },
      phases: [{ shadow: { percent: 10, exit: { pairedRequests: 20000 } } }, { canary: { steps: [1, 10, 100], hold: { minRequests: 5000 } } }],
      gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'classRateDelta', max: 0.05, bySlice: 'tier' }],
      maxDuration: '24h',
      rollback: { onGateFailure: true, keepWarm: '24h' },
    },
  };
}

test('a plan that names everything has no findings', () => {
  assert.deepEqual(lintPlan(good()), []);
});

test('each anti-pattern yields its finding, severity and field', () => {
  const rows: Array<[string, (s: Record<string, any>) => void, string, 'blocking' | 'warning', string]> = [
    ['no owner', (s) => delete s.owner, 'no-owner', 'blocking', 'spec.owner.team'],
    ['no end', (s) => delete s.maxDuration, 'no-end', 'blocking', 'spec.maxDuration'],
    ['no gates', (s) => (s.gates = []), 'no-gates', 'blocking', 'spec.gates'],
    ['health only', (s) => (s.gates = [{ metric: 'errorRate', max: 0.01 }, { metric: 'latencyP99Ms', max: 500, bySlice: 'tier' }]), 'health-only-gates', 'blocking', 'spec.gates'],
    ['health only beside an A/B test, whose primary metric judges outcomes', (s) => { s.gates = [{ metric: 'errorRate', max: 0.01 }, { metric: 'latencyP99Ms', max: 500, bySlice: 'tier' }]; s.phases = [{ abTest: { primary: { metric: 'purchase' }, minRequestsPerArm: 1000 } }]; }, 'health-only-gates', 'warning', 'spec.gates'],
    ['no request budget', (s) => (s.phases[1].canary.hold = { passingWindows: 2 }), 'no-request-budget', 'blocking', 'spec.phases[1].canary.hold.minRequests'],
    ['mixed traffic', (s) => (s.cohorts = { unit: { header: 'x-user-id' } }), 'mixed-traffic', 'warning', 'spec.cohorts'],
    ['strata without slice gates', (s) => (s.gates = [{ metric: 'outputPSI', max: 0.2 }]), 'no-slice-gates', 'warning', 'spec.gates'],
    ['shadow without exit', (s) => delete s.phases[0].shadow.exit, 'shadow-no-exit', 'blocking', 'spec.phases[0].shadow.exit'],
    ['rollback disabled', (s) => (s.rollback.onGateFailure = false), 'rollback-disabled', 'blocking', 'spec.rollback.onGateFailure'],
    ['candidate-only query', (s) => s.gates.push({ metric: 'p95', max: 1, provider: { prometheus: { query: 'rate(errors{revision="fraud-latest"}[1m])' } } }), 'rollback-depends-on-candidate', 'blocking', 'spec.gates[2].provider.prometheus.query'],
    ['keepWarm 0', (s) => (s.rollback.keepWarm = '0s'), 'keepwarm-zero', 'blocking', 'spec.rollback.keepWarm'],
    ['keepWarm unset', (s) => delete s.rollback.keepWarm, 'no-keepwarm', 'warning', 'spec.rollback.keepWarm'],
    ['bandit without freshness', (s) => s.phases.push({ bandit: { reward: { metric: 'click', zeroAfter: '30m' }, maxDuration: '1h' } }), 'bandit-no-reward-freshness', 'blocking', 'spec.phases[2].bandit.rewardFreshness'],
    ['binary reward, explicit zeros only', (s) => s.phases.push({ bandit: { reward: 'click', rewardFreshness: '15m' } }), 'bandit-explicit-zeros', 'warning', 'spec.phases[2].bandit.reward'],
  ];
  for (const [name, mutate, id, severity, field] of rows) {
    const p = good();
    mutate(p.spec);
    const findings = lintPlan(p);
    assert.deepEqual(findings.map((f) => [f.id, f.severity, f.field]), [[id, severity, field]], name);
    assert.ok(findings[0]!.message.length > 40, `${name}: the message explains what to do`);
  }
});

test('a plan whose phases each have their own maxDuration is still told that a pause has no end without the plan\'s', () => {
  const p = good();
  delete p.spec.maxDuration;
  p.spec.phases = [{ abTest: { primary: { metric: 'purchase' }, minRequestsPerArm: 1000, maxDuration: '15m' } }];
  const [f] = lintPlan(p).filter((x) => x.id === 'no-end');
  assert.equal(f?.severity, 'blocking');
  assert.match(f!.message, /phases' own maxDuration end their experiments, but not a pause/);
});

test('a candidate query with a fallback or compared to the baseline is not flagged', () => {
  const p = good();
  p.spec.gates.push({ metric: 'p95', max: 1, provider: { prometheus: { query: 'rate(errors{revision="fraud-latest"}[1m]) or vector(1)' } } });
  assert.deepEqual(lintPlan(p), []);
});

test('the override annotation marks findings as overridden, so they no longer block', () => {
  const p = good();
  delete p.spec.maxDuration;
  p.spec.rollback.keepWarm = '0';
  assert.deepEqual(blockingFindings(lintPlan(p)).map((f) => f.id), ['no-end', 'keepwarm-zero']);
  p.metadata.annotations = { [LINT_OVERRIDE_ANNOTATION]: 'no-end, keepwarm-zero' };
  const findings = lintPlan(p);
  assert.ok(findings.every((f) => f.overridden));
  assert.deepEqual(blockingFindings(findings), []);
});

test('lint explains a half-written file without throwing', () => {
  const ids = lintPlan({ spec: {} }).map((f) => f.id);
  assert.deepEqual(ids, ['no-owner', 'no-end', 'no-gates', 'mixed-traffic', 'no-keepwarm']);
});

test('on a VirtualService route lint does not ask for cohorts or keepWarm, which only act on an InferenceService', () => {
  const p = good();
  p.spec.target = { virtualService: { name: 'picker', route: 'main' } };
  p.spec.candidate = { revision: 'b' };
  p.spec.phases = [{ canary: { steps: [10, 100], hold: { minRequests: 5000 } } }];
  p.spec.gates = [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }];
  delete p.spec.cohorts;
  delete p.spec.rollback.keepWarm;
  assert.deepEqual(lintPlan(p), []);
  // On the InferenceService the same plan is warned twice.
  p.spec.target = { inferenceService: 'picker' };
  assert.deepEqual(lintPlan(p).map((f) => f.id).sort(), ['mixed-traffic', 'no-keepwarm']);
});
