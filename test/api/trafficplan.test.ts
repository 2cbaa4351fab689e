import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causesOf, loadManifest, validate } from './helpers.ts';

test('the plan-issue form validates and gets defaults', () => {
  const o = loadManifest('trafficplan.yaml');
  delete o.spec.window;
  const r = validate(o);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.causes));
  assert.equal(r.value.spec.window, '1m');
  assert.deepEqual(r.value.spec.rollback, { onGateFailure: true, keepWarm: '24h' });
  assert.deepEqual(r.value.spec.phases[1].canary.steps, [1, 10, 50, 100]);
});

test('rollback defaults to onGateFailure when absent', () => {
  const o = loadManifest('trafficplan.yaml');
  delete o.spec.rollback;
  const r = validate(o);
  assert.ok(r.ok);
  assert.deepEqual(r.value.spec.rollback, { onGateFailure: true });
});

test('a phase sets exactly one pattern', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.phases[0] = { shadow: { percent: 5 }, canary: { steps: [5] } };
  const c = causesOf(o);
  assert.equal(c[0]!.field, 'spec.phases[0]');
  assert.match(c[0]!.message, /exactly one of shadow, canary, blueGreen, abTest, bandit/);
});

test('canary steps must be ascending percentages in 1..100', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.phases[1].canary.steps = [1, 50, 10];
  assert.equal(causesOf(o)[0]!.field, 'spec.phases[1].canary.steps[2]');
  o.spec.phases[1].canary.steps = [0, 10];
  assert.equal(causesOf(o)[0]!.field, 'spec.phases[1].canary.steps[0]');
  o.spec.phases[1].canary.steps = [10, 101];
  assert.equal(causesOf(o)[0]!.field, 'spec.phases[1].canary.steps[1]');
});

test('window and maxDuration must be Go durations', () => {
  for (const bad of ['1 minute', '10', 'm', '1d']) {
    const o = loadManifest('trafficplan.yaml');
    o.spec.window = bad;
    assert.equal(causesOf(o)[0]!.field, 'spec.window', bad);
  }
  const o = loadManifest('trafficplan.yaml');
  o.spec.window = '1h30m';
  o.spec.maxDuration = '0.5h';
  assert.ok(validate(o).ok);
});

test('target is an InferenceService or a VirtualService route, not both', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.target = { virtualService: { name: 'iris-router', route: 'primary' } };
  assert.ok(validate(o).ok);
  o.spec.target.inferenceService = 'iris';
  assert.equal(causesOf(o)[0]!.field, 'spec.target');
  o.spec.target = {};
  assert.equal(causesOf(o)[0]!.reason, 'FieldValueRequired');
});

test('gates need a threshold; prometheus provider is accepted', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates.push({ metric: 'errorRate' });
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[4]');
  o.spec.gates[4] = { metric: 'custom', max: 1, provider: { prometheus: { query: 'sum(rate(x[1m]))' } } };
  assert.ok(validate(o).ok);
});

test('status phase is one of the plan phases; unknown status fields are kept', () => {
  const o = loadManifest('trafficplan.yaml');
  o.status = { phase: 'Progressing', currentStep: 1, extra: true };
  const r = validate(o);
  assert.ok(r.ok);
  assert.equal(r.value.status.extra, true);
  o.status.phase = 'Done';
  assert.equal(causesOf(o)[0]!.field, 'status.phase');
});

test('a stratum name cannot contain "/" (the excluded-traffic slice is reserved)', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.cohorts.strata[0].name = 'switchyard.dev/excluded';
  const c = causesOf(o)[0]!;
  assert.equal(c.field, 'spec.cohorts.strata[0].name');
  assert.match(c.message, /does not contain "\/"/);
});
