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

/** The example plan on a VirtualService route: no shadow, cohorts or slice gates (refused there). */
function onRoute() {
  const o = loadManifest('trafficplan.yaml');
  o.spec.target = { virtualService: { name: 'iris-router', route: 'primary' } };
  o.spec.phases = o.spec.phases.filter((p: { shadow?: unknown }) => !p.shadow);
  delete o.spec.cohorts;
  o.spec.gates = o.spec.gates.filter((g: { bySlice?: string }) => !g.bySlice);
  return o;
}

test('target is an InferenceService or a VirtualService route, not both', () => {
  const o = onRoute();
  assert.ok(validate(o).ok);
  o.spec.target.inferenceService = 'iris';
  assert.equal(causesOf(o)[0]!.field, 'spec.target');
  o.spec.target = {};
  assert.equal(causesOf(o)[0]!.reason, 'FieldValueRequired');
});

test('on a VirtualService route, what only the gateway does for an InferenceService is refused by name', () => {
  const cases: Array<[string, (o: ReturnType<typeof onRoute>) => void]> = [
    ['spec.phases[0].shadow', (o) => o.spec.phases.unshift({ shadow: { percent: 20, exit: { pairedRequests: 100 } } })],
    ['spec.phases[0].blueGreen', (o) => (o.spec.phases = [{ blueGreen: { hold: { minRequests: 100 } } }])],
    ['spec.cohorts', (o) => (o.spec.cohorts = { unit: { header: 'x-user-id' }, exclude: [{ header: 'x-synthetic' }] })],
    ['spec.gates[0].bySlice', (o) => (o.spec.gates[0].bySlice = 'tier')],
    ['spec.gates[0].outcome', (o) => (o.spec.gates[0] = { metric: 'purchase', outcome: { aggregate: 'conversion' }, minRelativeDelta: -0.02 })],
  ];
  const ab = onRoute();
  ab.spec.cohorts = { unit: { header: 'x-user-id' } };
  ab.spec.phases = [{ abTest: { percent: 50, primary: { metric: 'purchase' }, minRequestsPerArm: 1000 } }];
  assert.deepEqual(causesOf(ab).map((c) => c.field).sort(), ['spec.cohorts', 'spec.phases[0].abTest']);
  for (const [field, change] of cases) {
    const o = onRoute();
    change(o);
    const causes = causesOf(o);
    assert.deepEqual(causes.map((c) => c.field), [field], JSON.stringify(causes));
    assert.match(causes[0]!.message, /VirtualService/);
  }
  // The same plan on the InferenceService keeps all of it.
  assert.ok(validate(loadManifest('trafficplan.yaml')).ok);
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

test('pass bands sit inside their fail thresholds and need them', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates = [{ metric: 'errorRate', max: 0.01, pass: { max: 0.005 } }, { metric: 'outputPSI', max: 0.2, pass: { max: 0.1 } }];
  const r = validate(o);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.causes));
  o.spec.gates[0].pass = { max: 0.02 };
  assert.deepEqual(causesOf(o).map((c) => c.field), ['spec.gates[0].pass.max']);
  assert.match(causesOf(o)[0]!.message, /at most max \(0\.01\)/);
  o.spec.gates[0].pass = { min: 0.5 };
  assert.match(causesOf(o)[0]!.message, /pass\.min needs the fail threshold min/);
  o.spec.gates[0] = { metric: 'errorRate', min: 0.1, pass: { min: 0.05 } };
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[0].pass.min');
});

test('relative deltas: allowed on rates and latency, refused where the metric already compares the two sides', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates = [{ metric: 'latencyP99Ms', max: 500, maxRelativeDelta: 0.5 }, { metric: 'errorRate', minRelativeDelta: -0.02 }];
  assert.ok(validate(o).ok);
  o.spec.gates.push({ metric: 'classRateDelta', maxRelativeDelta: 0.1 });
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[2].maxRelativeDelta');
});

test('a gate that could never be evaluated is refused: reward before rewards exist, unknown metrics without a provider', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates = [{ metric: 'reward', minDelta: -0.02 }];
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[0].metric');
  assert.match(causesOf(o)[0]!.message, /reward is not a built-in metric.*outcome/);
  o.spec.gates = [{ metric: 'p95', max: 1 }];
  assert.match(causesOf(o)[0]!.message, /not a built-in metric.*provider/);
});

test('a prometheus provider is a value query, or events and total counts, not both', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates = [{ metric: 'errors', max: 0.01, provider: { prometheus: { events: 'sum(increase(a[1m]))', total: 'sum(increase(b[1m]))' } } }];
  assert.ok(validate(o).ok);
  o.spec.gates[0].provider.prometheus.query = 'x';
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[0].provider.prometheus.query');
  o.spec.gates[0].provider.prometheus = { events: 'x' };
  assert.equal(causesOf(o)[0]!.field, 'spec.gates[0].provider.prometheus.total');
});

test('alpha is a probability under one half', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.alpha = 0.01;
  assert.ok(validate(o).ok);
  o.spec.alpha = 0;
  assert.equal(causesOf(o)[0]!.field, 'spec.alpha');
});

test('a shadow copies a share of the requests: percent 0 is refused, naming the field', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.phases[0] = { shadow: { percent: 0, exit: { pairedRequests: 100 } } };
  assert.equal(causesOf(o)[0]!.field, 'spec.phases[0].shadow.percent');
  o.spec.phases[0].shadow.percent = 10;
  o.spec.gates.push({ metric: 'agreement', min: 0.98 });
  const r = validate(o);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.causes));
});

test('a blue-green preview answers on KServe\'s "latest" tag: another tag is refused, naming the field', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.phases = [{ blueGreen: { preview: { tag: 'next' }, hold: { minRequests: 100 } } }];
  const causes = causesOf(o);
  assert.deepEqual(causes.map((c) => [c.field, c.reason]), [['spec.phases[0].blueGreen.preview.tag', 'FieldValueNotSupported']]);
  assert.match(causes[0]!.message, /latest-<name>-predictor/);
  o.spec.phases = [{ blueGreen: { preview: { tag: 'latest' }, hold: { minRequests: 100 } } }];
  assert.ok(validate(o).ok);
});

test('cohorts without a unit are accepted for a canary (requests split at random, strata still labelled); an abTest requires one', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.cohorts = { strata: [{ name: 'tier', header: 'x-tier' }], exclude: [{ header: 'x-synthetic', exact: 'true' }] };
  o.spec.phases = [{ canary: { steps: [10, 100], hold: { minRequests: 100 } } }];
  assert.ok(validate(o).ok);
  o.spec.phases = [{ abTest: { percent: 50, primary: { metric: 'purchase' }, minRequestsPerArm: 1000 } }];
  assert.deepEqual(causesOf(o).map((c) => c.field), ['spec.phases[0].abTest']);
  assert.match(causesOf(o)[0]!.message, /set cohorts\.unit/);
});

test('a UCB bandit on a continuous reward needs its range (exploration is scaled by it); min must be below max', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.phases = [{ bandit: { algorithm: 'ucbTuned', reward: { metric: 'revenue', kind: 'continuous', min: 0 } } }];
  const [missing] = causesOf(o);
  assert.equal(missing!.field, 'spec.phases[0].bandit.reward.max');
  assert.equal(missing!.reason, 'FieldValueRequired');
  assert.match(missing!.message, /ucbTuned needs the range of a continuous reward/);
  o.spec.phases[0].bandit.reward.max = 0;
  assert.deepEqual(causesOf(o).map((c) => [c.field, c.message]), [['spec.phases[0].bandit.reward.min', 'Invalid value: 0: reward.min must be below reward.max (0)']]);
  o.spec.phases[0].bandit.reward.max = 500;
  assert.ok(validate(o).ok);
  // Thompson's posterior and ε-greedy's averages need no range.
  o.spec.phases[0].bandit = { algorithm: 'thompson', reward: { metric: 'revenue', kind: 'continuous' } };
  assert.ok(validate(o).ok);
});

test('the window is whole seconds, at least one: telemetry is kept per second', () => {
  const o = loadManifest('trafficplan.yaml');
  for (const bad of ['0s', '500ms', '1500ms']) {
    o.spec.window = bad;
    assert.deepEqual(causesOf(o).map((c) => [c.field, c.message]), [['spec.window', `Invalid value: "${bad}": window must be a whole number of seconds, at least 1s (telemetry is kept per second)`]]);
  }
  for (const good of ['1s', '2m', '1h30m', '2000ms']) {
    o.spec.window = good;
    assert.ok(validate(o).ok, good);
  }
});

test('gates are told apart by name (else metric) and slice, and a slice names a stratum of cohorts.strata', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.gates = [{ metric: 'errorRate', max: 0.01 }, { metric: 'errorRate', max: 0.05 }];
  const [dup] = causesOf(o);
  assert.deepEqual([dup!.field, dup!.reason], ['spec.gates[1].name', 'FieldValueRequired']);
  assert.match(dup!.message, /gates\[0\] is already known as "errorRate": give one of them a name/);
  o.spec.gates[1].name = 'errors-loose';
  assert.ok(validate(o).ok);
  o.spec.cohorts = { strata: [{ name: 'tier', header: 'x-tier' }] };
  o.spec.gates.push({ metric: 'errorRate', max: 0.02, bySlice: 'region' });
  assert.deepEqual(causesOf(o).map((c) => [c.field, c.message]), [['spec.gates[2].bySlice', 'Unsupported value: "region": names no stratum of cohorts.strata (tier)']]);
  o.spec.gates[2].bySlice = 'tier';
  assert.ok(validate(o).ok, 'errorRate by tier is told apart from errorRate');
});

test('cohort and route regexes are RE2 the gateway can run: a bad one names its field', () => {
  const o = loadManifest('trafficplan.yaml');
  o.spec.cohorts.exclude = [{ header: 'x-bot', regex: '([' }];
  const [c] = causesOf(o);
  assert.equal(c!.field, 'spec.cohorts.exclude[0].regex');
  assert.match(c!.message, /invalid regex/);
  o.spec.cohorts.exclude[0].regex = '(a+)+';
  assert.match(causesOf(o)[0]!.message, /backtrack|nested|repeat/i);
  o.spec.cohorts.exclude[0].regex = 'bot-[0-9]+';
  assert.ok(validate(o).ok);
});
