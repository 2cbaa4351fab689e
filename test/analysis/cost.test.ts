import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetExceeded, costPerHour, planCost, type CostInputs } from '../../src/analysis/cost.ts';

// 10 req/s at 0.001 per request = 36 per hour of inference; replicas 2 per hour each.
const inputs: CostInputs = { requestsPerSecond: 10, baselineCostPerRequest: 0.001, baselineReplicas: 2, candidateReplicas: 1, costPerReplicaHour: 2 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('a comparison canary costs (1 + pct) × baseline inference plus warm replicas', () => {
  const c = costPerHour(inputs, { kind: 'canary', percent: 10 });
  close(c.inference, 1.1 * 36);
  close(c.replicas, 3 * 2);
  close(c.incremental, 0.1 * 36 + 2);
});

test('a split canary moves cost, it does not duplicate it', () => {
  const c = costPerHour({ ...inputs, posture: 'split', candidateCostPerRequest: 0.002 }, { kind: 'canary', percent: 50 });
  close(c.inference, 36 * (0.5 + 0.5 * 2));
});

test('shadow costs baseline × (1 + sample × candidate/baseline cost)', () => {
  const c = costPerHour({ ...inputs, candidateCostPerRequest: 0.004 }, { kind: 'shadow', percent: 25 });
  close(c.inference, 36 * (1 + 0.25 * 4));
  close(costPerHour(inputs, { kind: 'shadow', percent: 100 }).inference, 2 * 36);
});

test('a bandit answers each request with one arm and keeps every arm warm: priced at equal shares', () => {
  const c = costPerHour({ ...inputs, candidateCostPerRequest: 0.004 }, { kind: 'bandit', arms: 3 });
  close(c.inference, 36 * (1 + 2 * 4) / 3);
  close(c.replicas, (2 + 2 * 1) * 2);
});

test('plan cost: a bandit lasts until its stop rule can end it, else its maxDuration; a route\'s unnamed arms are at least 2', () => {
  const phase = { bandit: { algorithm: 'thompson' as const, maxDuration: '2h' } };
  const spec = { phases: [phase], window: '1m', rollback: { onGateFailure: true, keepWarm: '0s' }, target: { inferenceService: 'iris' } };
  // 7,200 requests at 10 req/s: the stop rule can end it after 12 minutes.
  const byRule = planCost(spec as never, inputs, () => 7200).steps[0]!;
  assert.deepEqual(byRule.exposure, { kind: 'bandit', arms: 2 });
  close(byRule.hours, 0.2);
  close(planCost(spec as never, inputs).steps[0]!.hours, 2);
  const named = planCost({ ...spec, target: { virtualService: 'r' }, phases: [{ bandit: { ...phase.bandit, arms: ['a', 'b', 'c'] } }] } as never, inputs, () => 7200).steps[0]!;
  assert.deepEqual(named.exposure, { kind: 'bandit', arms: 3 });
  const unnamed = planCost({ ...spec, target: { virtualService: 'r' } } as never, inputs, () => 7200).steps[0]!;
  assert.deepEqual(unnamed.exposure, { kind: 'bandit', arms: 2, atLeast: true });
  close(unnamed.hours, 2);
});

test('plan cost: step time is the longest of minDuration, windows and the request budget', () => {
  const spec = {
    window: '1m',
    rollback: { onGateFailure: true, keepWarm: '24h' },
    phases: [{ canary: { steps: [10, 100], hold: { minRequests: 36_000, passingWindows: 2, minDuration: '30m' } } }],
  };
  const p = planCost(spec, inputs);
  close(p.steps[0]!.hours, 10); // 36 000 requests at 1 req/s
  close(p.steps[1]!.hours, 1); // 36 000 at 10 req/s
  close(p.keepWarm.cost, 24 * 2 * 2);
  close(p.totalCost, 10 * (1.1 * 36 + 6) + 1 * (2 * 36 + 6) + 96);
  close(p.peakPerHour, 2 * 36 + 6);
});

test('budget.maxCostPerHour is exceeded at the step whose hourly cost is above it', () => {
  const spec = { window: '1m', rollback: { onGateFailure: true }, budget: { maxCostPerHour: 60 }, phases: [{ canary: { steps: [10, 100] } }] };
  assert.equal(budgetExceeded(spec, inputs, 0, 0).exceeded, false); // 45.6
  const at100 = budgetExceeded(spec, inputs, 0, 1);
  assert.equal(at100.exceeded, true);
  close(at100.perHour, 78);
  assert.equal(budgetExceeded({ ...spec, budget: {} }, inputs, 0, 1).exceeded, false);
});
