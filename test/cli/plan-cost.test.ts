import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { plansFrom, resolveCostInputs } from '../../src/cli/commands/plan-cost.ts';
import { costReport, formatCostReport, hoursText, money } from '../../src/cli/commands/plan-cost-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'sy-plan-cost-'));
const example = new URL('../../examples/plans/iris-v2.yaml', import.meta.url).pathname;
const [plan] = plansFrom([example], () => {});

test('prices come from spec.cost, flags override them, and each says where it came from', () => {
  const { inputs, sources } = resolveCostInputs(plan!, {});
  assert.deepEqual(inputs, { requestsPerSecond: 50, baselineCostPerRequest: 0.00002, candidateCostPerRequest: 0.00003, costPerReplicaHour: 0.8, posture: 'comparison', baselineReplicas: 1, candidateReplicas: 1 });
  assert.equal(sources.requestsPerSecond, 'spec.cost.requestsPerSecond');
  const flagged = resolveCostInputs(plan!, { rps: '200', posture: 'split', baselineReplicas: '3' }, { requestsPerSecond: 7, replicas: 2 });
  assert.equal(flagged.inputs.requestsPerSecond, 200, 'a flag beats the observed rate');
  assert.equal(flagged.inputs.baselineReplicas, 3);
  assert.equal(flagged.inputs.candidateReplicas, 2, 'observed minReplicas when no flag');
  assert.equal(flagged.sources.candidateReplicas, 'observed minReplicas');
  assert.equal(resolveCostInputs(plan!, {}, { requestsPerSecond: 7 }).inputs.requestsPerSecond, 7, 'observed beats the spec');
});

test('a missing or malformed input is an error naming the flag and the field', () => {
  const bare = { ...plan!, spec: { ...plan!.spec, cost: undefined } };
  assert.throws(() => resolveCostInputs(bare, {}), (e: Error & { code?: string }) => e.code === 'SY_ERR_CONFIG' && /--rps N.*--observed.*spec\.cost\.requestsPerSecond/.test(e.message));
  assert.throws(() => resolveCostInputs(bare, { rps: '10' }), /--cost-per-request X or set spec\.cost\.perRequest/);
  assert.throws(() => resolveCostInputs(plan!, { rps: 'fast' }), /--rps must be a non-negative number, got "fast"/);
  assert.throws(() => resolveCostInputs(plan!, { candidateReplicas: '1.5' }), /--candidate-replicas must be a non-negative integer/);
  assert.throws(() => resolveCostInputs(plan!, { posture: 'both' }), /--posture must be "comparison" or "split"/);
});

test('each canary step costs (1 + pct x candidate/baseline) x baseline inference plus warm replicas, for its hold time', () => {
  const { inputs, sources } = resolveCostInputs(plan!, {});
  const r = costReport(plan!, inputs, sources);
  const perHourRequests = 50 * 3600;
  assert.equal(r.baselineOnlyPerHour, perHourRequests * 0.00002 + 0.8);
  r.steps.forEach((s, i) => {
    const pct = [5, 25, 50, 100][i]! / 100;
    assert.equal(s.perHour, Number((perHourRequests * (0.00002 + pct * 0.00003) + 2 * 0.8).toPrecision(12)));
    // Hold: max(10m, 2 windows of 1m, 2000 requests at the candidate's share of 50 req/s).
    assert.equal(s.hours, Number((Math.max(600, 2000 / (50 * pct)) / 3600).toPrecision(12)));
  });
  assert.equal(r.keepWarm.cost, 19.2);
  assert.equal(r.budget.exceeded, false);
  const text = formatCostReport(r);
  assert.match(text, /^1\s+1\/4\s+canary 5%\s+13m\s+\d+ \(\w+\)\s+5\.47\s+\+1\.07\s+1\.22$/m);
  assert.match(text, /^keep warm: {2}19\.20 \(baseline replicas for rollback\.keepWarm 24h\)$/m);
  assert.match(text, /^budget: {5}within budget\.maxCostPerHour 40 \(peak 10\.60\/h\)$/m);
});

test('the first step over budget.maxCostPerHour is named', () => {
  const { inputs, sources } = resolveCostInputs(plan!, { rps: '500' });
  const r = costReport(plan!, inputs, sources);
  // 500 req/s: baseline 36 + 1.6 replicas; 50% → +27 → 64.6/h > 40, 25% → 51.1 > 40, 5% → 40.3 > 40.
  assert.equal(r.budget.exceeded, true);
  assert.deepEqual(r.budget.firstOverBudget, { phaseIndex: 0, stepIndex: 0, exposure: 'canary 5%', perHour: 40.3 });
  assert.match(formatCostReport(r), /budget: {5}EXCEEDED: phase 1 step 1\/4 \(canary 5%\) would cost 40\.30\/h, over budget\.maxCostPerHour 40/);
});

test('steps that need longer than maxDuration are said to end first; a plan that fits says nothing', () => {
  const { inputs, sources } = resolveCostInputs(plan!, { rps: '0.5' });
  const r = costReport(plan!, inputs, sources);
  // 0.5 req/s: 2000 requests at 5 % take 22h alone, 30h in all: past the example's maxDuration 24h.
  assert.equal(r.maxDurationFirst?.maxDuration, '24h');
  assert.ok(r.maxDurationFirst!.stepsHours! > 24);
  assert.match(formatCostReport(r), /^ends first: maxDuration 24h: the steps need about \d+h\S* at this rate, so the plan would end Aborted/m);
  const fits = costReport(plan!, resolveCostInputs(plan!, {}).inputs, sources);
  assert.equal(fits.maxDurationFirst, undefined);
  assert.doesNotMatch(formatCostReport(fits), /ends first/);
});

test('phases without an end are unbounded, in text and as null in JSON', () => {
  const file = join(dir, 'ab.yaml');
  writeFileSync(file, `apiVersion: switchyard.dev/v1alpha1
kind: TrafficPlan
metadata: {name: ab}
spec:
  target: {inferenceService: m}
  candidate: {revision: m-00002}
  owner: {team: t}
  cohorts: {unit: {header: x-user-id}}
  phases: [{abTest: {percent: 50, primary: {metric: purchase}}}]
  cost: {perRequest: 0.001, requestsPerSecond: 1}
`);
  const [ab] = plansFrom([file], () => {});
  const { inputs, sources } = resolveCostInputs(ab!, {});
  const r = costReport(ab!, inputs, sources);
  assert.equal(r.steps[0]!.hours, null);
  assert.equal(r.totalCost, null);
  assert.match(formatCostReport(r), /^total: {6}unbounded over unbounded/m);
  assert.match(formatCostReport(r), /no budget\.maxCostPerHour set/);
  assert.equal(JSON.parse(JSON.stringify(r)).steps[0].hours, null);
  assert.doesNotMatch(formatCostReport(r), /ends first/);

  // Under spec.maxDuration the endless phase is named: it is maxDuration that ends the plan.
  writeFileSync(file, readFileSync(file, 'utf8').replace('  owner: {team: t}\n', '  owner: {team: t}\n  maxDuration: 2h\n'));
  const [bounded] = plansFrom([file], () => {});
  const text = formatCostReport(costReport(bounded!, inputs, sources));
  assert.match(text, /^ends first: maxDuration 2h: phase 1 \(canary 50%\) has no end of its own at this rate, so maxDuration ends the plan \(Aborted\)$/m);
  assert.doesNotMatch(text, /need about unbounded/);
});

test('files: other kinds are skipped with a note, invalid plans name the field', () => {
  const file = join(dir, 'mixed.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: switchyard.dev/v1alpha1\nkind: TrafficPlan\nmetadata: {name: p}\nspec: {owner: {team: t}}\n');
  const notes: string[] = [];
  assert.throws(() => plansFrom([file], (n) => notes.push(n)), /mixed\.yaml#2: TrafficPlan is invalid: .*spec\.target: Required value/);
  assert.deepEqual(notes, [`${file}#1: Namespace n skipped: not a TrafficPlan`]);
  assert.equal(money(0.0000123456), '0.0000123');
  assert.equal(money(1234.5), '1234.50');
  assert.equal(hoursText(0.5), '30m');
});

test('a bandit on a route: every arm priced warm, until its stop rule; nothing kept warm, as a route scales nothing down', () => {
  const [bandit] = plansFrom([new URL('../../examples/shop/40-bandit.yaml', import.meta.url).pathname], () => {});
  const spec = { ...bandit!.spec, rollback: { ...bandit!.spec.rollback, keepWarm: '24h' } };
  const r = costReport({ ...bandit!, spec }, { requestsPerSecond: 50, baselineCostPerRequest: 0.0001, baselineReplicas: 1, candidateReplicas: 1, costPerReplicaHour: 0.5 }, {});
  assert.equal(r.steps[0]!.exposure, 'bandit, at least 2 arms');
  assert.deepEqual(r.keepWarm, { duration: '24h', hours: 0, cost: 0, onRoute: true });
  assert.match(formatCostReport(r), /^keep warm: {2}0 \(a route's destinations are services of their own: moving its weights scales none down\)$/m);
});
