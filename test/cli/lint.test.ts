import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatPlanLint, lintManifests } from '../../src/cli/commands/lint.ts';
import { parseManifests } from '../../src/cli/manifests.ts';

const good = readFileSync(new URL('../../examples/plans/iris-v2.yaml', import.meta.url), 'utf8');
const bad = readFileSync(new URL('../../examples/plans/anti-patterns.yaml', import.meta.url), 'utf8');
const lint = (text: string, file = 'plan.yaml') => lintManifests(parseManifests(text, file));

test('a complete plan passes with no finding', () => {
  const report = lint(good);
  assert.equal(report.ok, true);
  assert.deepEqual(report.plans.map((p) => [p.name, p.findings.length, p.errors.length]), [['iris-v2', 0, 0]]);
  assert.match(formatPlanLint(report.plans[0]!), /=> 0 blocking, 0 warnings: ok to apply$/);
});

test('each anti-pattern is named with its field and what to do, and blocks', () => {
  const report = lint(bad, 'bad.yaml');
  assert.equal(report.ok, false);
  const plan = report.plans[0]!;
  assert.deepEqual(plan.findings.map((f) => f.id).sort(), ['health-only-gates', 'keepwarm-zero', 'mixed-traffic', 'no-end', 'no-request-budget', 'shadow-no-exit']);
  assert.equal(plan.blocking, 5);
  const text = formatPlanLint(plan);
  assert.match(text, /^bad\.yaml: TrafficPlan fraud-v2 \(namespace risk\)$/m);
  assert.match(text, /^ {2}BLOCKING\s+no-end\s+spec\.maxDuration$/m);
  assert.match(text, /^ {6}No end: set spec\.maxDuration/m);
  assert.match(text, /^ {2}BLOCKING\s+no-request-budget\s+spec\.phases\[1\]\.canary\.hold\.minRequests$/m);
  assert.match(text, /^ {2}warning\s+mixed-traffic\s+spec\.cohorts$/m);
  assert.match(text, /=> 5 blocking, 1 warning: apply refuses this plan/);
  // Blocking findings come first.
  assert.ok(text.indexOf('BLOCKING') < text.indexOf('warning '));
});

test('findings listed in the override annotation are shown as overridden and stop blocking', () => {
  const ids = 'no-end, health-only-gates, no-request-budget, shadow-no-exit, keepwarm-zero';
  const overridden = bad.replace('  namespace: risk\n', `  namespace: risk\n  annotations: {switchyard.dev/lint-override: "${ids}"}\n`);
  const report = lint(overridden);
  assert.equal(report.ok, true);
  const text = formatPlanLint(report.plans[0]!);
  assert.match(text, /^ {2}overridden\s+no-end\s+spec\.maxDuration$/m);
  assert.match(text, /\(blocking, listed in the switchyard\.dev\/lint-override annotation\) No end/);
  assert.match(text, /=> 0 blocking, 1 warning, 5 overridden: ok to apply/);
});

test('schema errors name the field, and the plan is still explained', () => {
  const broken = good.replace('steps: [5, 25, 50, 100]', 'steps: [50, 25]').replace('minRequests: 2000', 'minRequest: 2000').replace('maxDuration: 24h', 'maxDuration: 1 day');
  const report = lint(broken);
  assert.equal(report.ok, false);
  const plan = report.plans[0]!;
  assert.deepEqual(plan.errors.map((e) => e.field).sort(), ['spec.maxDuration', 'spec.phases[0].canary.hold.minRequest', 'spec.phases[0].canary.steps[1]']);
  assert.ok(plan.findings.some((f) => f.id === 'no-request-budget'), 'the typo also reads as a missing request budget');
  assert.match(formatPlanLint(plan), /invalid: the API server would reject it[\s\S]*spec\.maxDuration\s+Invalid value: "1 day"/);
});

test('other kinds are skipped with a note, unreadable documents fail', () => {
  const isvc = 'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: iris}\nspec: {}\n';
  const report = lint(`${isvc}---\n${good}`, 'all.yaml');
  assert.equal(report.ok, true);
  assert.deepEqual(report.skipped, [{ source: 'all.yaml#1', note: 'all.yaml#1: InferenceService iris skipped: lint checks TrafficPlans only' }]);
  const unreadable = lint(`${good}---\nkind: TrafficPlan\nmetadata: {name: x}\n`, 'two.yaml');
  assert.equal(unreadable.ok, false);
  assert.equal(unreadable.unreadable[0]!.source, 'two.yaml#2');
  assert.match(unreadable.unreadable[0]!.error.message, /apiVersion is required/);
});

test('with a rate, lint predicts per step the requests and time the gates need, and warns when maxDuration is too short', () => {
  const report = lintManifests(parseManifests(good, 'plan.yaml'), 300);
  const d = report.plans[0]!.decisions!;
  assert.deepEqual(d.steps.map((s) => s.percent), [5, 25, 50, 100]);
  for (const s of d.steps) {
    // The example's hold: minRequests 2000, passingWindows 2 of 1m, minDuration 10m.
    assert.ok(s.requests! >= 2000 && s.requests! < 5000, `step at ${s.percent}%: ${s.requests}`);
    assert.ok(Math.abs(s.seconds! - Math.max(600, 120, s.requests! / (300 * s.percent / 100))) < 1e-6, `step at ${s.percent}%: ${s.seconds}s`);
  }
  const text = formatPlanLint(report.plans[0]!);
  assert.match(text, /decisions: candidate requests before each step can advance \(every gate passes for a candidate equal to its baseline, and the hold is met\) \(at 300 req\/s\):/);
  assert.match(text, /^\s+1\s+1\s+5%\s+\d+\s+[\w.]+\s+\d+m$/m);
  assert.equal(report.ok, true);
  // At 1 request per second the same plan cannot decide within its 24h maxDuration.
  const slow = lintManifests(parseManifests(good.replace('maxDuration: 24h', 'maxDuration: 10m'), 'plan.yaml'), 1).plans[0]!;
  const f = slow.findings.find((x) => x.id === 'undecidable-in-max-duration');
  assert.ok(f, JSON.stringify(slow.findings));
  assert.equal(f.severity, 'warning');
  assert.equal(f.field, 'spec.maxDuration');
  assert.match(f.message, /longer than maxDuration 10m/);
});

test('a hold longer than the gates need decides the step: lint names hold.minRequests and times it, and warns against maxDuration', () => {
  const held = good.replace('maxDuration: 24h', 'maxDuration: 1h').replace(/minRequests: \d+/, 'minRequests: 100000');
  const d = lintManifests(parseManifests(held, 'plan.yaml'), 300).plans[0]!;
  const first = d.decisions!.steps[0]!;
  assert.deepEqual([first.requests, first.slowest], [100000, 'hold.minRequests']);
  assert.ok(Math.abs(first.seconds! - 100000 / (300 * first.percent / 100)) < 1e-6);
  const f = d.findings.find((x) => x.id === 'undecidable-in-max-duration');
  assert.match(f?.message ?? '', /100000 candidate requests \(its hold\.minRequests\)/);
});

test('a gate no healthy candidate can pass is named', () => {
  const plan = good.replace('- {metric: errorRate, max: 0.01}', '- {metric: errorRate, max: 0}');
  const f = lintManifests(parseManifests(plan, 'plan.yaml'), 300).plans[0]!.findings.find((x) => x.id === 'gate-cannot-pass');
  assert.ok(f);
  assert.equal(f.field, 'spec.gates[0]');
});

test('a paired-metric gate in a plan without a shadow phase is refused, naming the gate', () => {
  const plan = good.replace('- {metric: errorRate, max: 0.01}', '- {metric: agreement, min: 0.98}\n  - {metric: errorRate, max: 0.01}');
  const p = lintManifests(parseManifests(plan, 'plan.yaml')).plans[0]!;
  const f = p.findings.find((x) => x.id === 'paired-gate-without-shadow');
  assert.ok(f);
  assert.equal(f.severity, 'blocking');
  assert.equal(f.field, 'spec.gates[0].metric');
  assert.equal(p.ok, false);
  const withShadow = plan.replace('  phases:\n', '  phases:\n  - shadow: {percent: 20, exit: {pairedRequests: 2000, maxDuration: 2h}}\n');
  assert.equal(lintManifests(parseManifests(withShadow, 'plan.yaml')).plans[0]!.findings.some((x) => x.id === 'paired-gate-without-shadow'), false);
});

test('the ranking example (shadow with paired gates, then a canary protecting premium sellers) is a plan lint accepts', () => {
  const text = readFileSync(new URL('../../examples/ranking/20-plan.yaml', import.meta.url), 'utf8');
  const p = lintManifests(parseManifests(text, '20-plan.yaml'), 150).plans[0]!;
  assert.deepEqual(p.errors, []);
  assert.equal(p.ok, true, JSON.stringify(p.findings));
  assert.deepEqual(p.decisions!.steps.map((s) => s.percent), [50, 10, 50, 100]);
  assert.equal(p.decisions!.steps[0]!.requests, 1500, 'the shadow needs at least its exit.pairedRequests');
});

test('the shop examples (an A/B test on an InferenceService, a bandit on a VirtualService route) lint clean', () => {
  const ab = lintManifests(parseManifests(readFileSync(new URL('../../examples/shop/20-abtest.yaml', import.meta.url), 'utf8'), '20-abtest.yaml'), 100).plans[0]!;
  assert.deepEqual([ab.errors, ab.findings], [[], []]);
  assert.equal(ab.decisions!.steps[0]!.requests, 1774, "10 % → 13 % at α 0.05, power 0.8: R's power.prop.test n per arm");
  const bandit = lintManifests(parseManifests(readFileSync(new URL('../../examples/shop/40-bandit.yaml', import.meta.url), 'utf8'), '40-bandit.yaml'), 150).plans[0]!;
  assert.deepEqual([bandit.errors, bandit.findings], [[], []]);
  // A bandit's forecast per arm is the larger of its stop rule (minRewards) and what its gates need before the
  // arm can be promoted: errorRate max 0.01 needs more error-free requests than 200 rewards (a route's arms are
  // its destinations, not read by lint).
  const step = bandit.decisions!.steps[0]!;
  const perArm = step.gates.find((g) => g.gate === 'errorRate')!.moreRequests!;
  assert.ok(perArm > 200, `errorRate max 0.01 needs ${perArm} requests`);
  assert.deepEqual([step.label, step.requests, step.seconds], ['bandit', perArm, undefined]);
  assert.match(step.slowest!, /errorRate \(on each arm before it is promoted\), × the route's arms/);
  // With minRewards above that, the stop rule is the slowest.
  const rewards = lintManifests(parseManifests(readFileSync(new URL('../../examples/shop/40-bandit.yaml', import.meta.url), 'utf8').replace('minRewards: 200', 'minRewards: 5000'), 'r.yaml'), 150).plans[0]!.decisions!.steps[0]!;
  assert.deepEqual([rewards.requests, rewards.slowest], [5000, "click: 5000 rewards per arm (stop rule), × the route's arms"]);
  // On an InferenceService, two arms at 100 req/s, and zeroAfter (20 s) for the last ones to count.
  const onService = lintManifests(parseManifests(readFileSync(new URL('../../examples/shop/40-bandit.yaml', import.meta.url), 'utf8')
    .replace('target: {virtualService: {name: banner, route: main}}', 'target: {inferenceService: banner}'), 'b.yaml'), 100).plans[0]!.decisions!.steps[0]!;
  assert.deepEqual([onService.requests, onService.seconds], [2 * perArm, (2 * perArm) / 100 + 20]);
});

test('an A/B test on a mean is sized by units per arm, not by a conversion rate; an outcome guardrail judges the model', () => {
  const plan = (abTest: string) => `apiVersion: switchyard.dev/v1alpha1
kind: TrafficPlan
metadata: {name: pricer-v2, namespace: store}
spec:
  target: {inferenceService: pricer}
  candidate: {storageUri: "pvc://models/iris-v2/"}
  owner: {team: pricing}
  cohorts: {unit: {header: x-session}, exclude: [{header: x-synthetic}]}
  phases:
  - abTest: {percent: 30, primary: {metric: revenue, outcome: {aggregate: mean}}${abTest}}
  gates:
  - {metric: errorRate, max: 0.01}
  - {metric: refund, outcome: {aggregate: conversion}, maxDelta: 0.02}
  maxDuration: 1h
  rollback: {keepWarm: 1h}
`;
  const rated = lint(plan(', baselineRate: 0.3, minDetectableEffect: 0.2')).plans[0]!;
  assert.deepEqual(rated.errors.map((e) => e.field), ['spec.phases[0].abTest.baselineRate']);
  assert.match(rated.errors[0]!.message, /size a conversion test \(power\.prop\.test\); the primary metric's aggregate is mean: give its size as minRequestsPerArm/);
  const unsized = lint(plan('')).plans[0]!;
  assert.deepEqual(unsized.findings.map((f) => f.id), ['no-request-budget']);
  assert.match(unsized.findings[0]!.message, /set minRequestsPerArm \(units per arm\)\. A mean's size depends on its spread/);
  assert.deepEqual(lint(plan(', minRequestsPerArm: 2000')).plans[0]!.findings, [], 'the refund guardrail is a gate on what the model does');
});
