// A running plan keeps the shape it started with: the API server refuses a change to its target,
// candidate, phases or the traffic they move (naming each field), and admits changes to gates,
// holds, exits and durations. Before it starts anything goes; once it ended its spec is its record. Real SQLite.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../src/api/registry.ts';
import { admit } from '../../src/server/apiserver/admission.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';

const PLAN = KINDS.find((k) => k.kind === 'TrafficPlan')!;
const PLANS = { group: 'switchyard.dev', resource: 'trafficplans' };
const actor = { actor: { name: 'test' } };
let store: Store;

before(async () => {
  store = await openSqliteStore({ path: ':memory:' });
});
after(() => store.close());

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const canarySpec = (): Spec => ({
  target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v2/' }, owner: { team: 'ml' },
  phases: [{ canary: { steps: [5, 30, 100], hold: { minRequests: 120, passingWindows: 2 } } }],
  gates: [{ metric: 'errorRate', max: 0.02 }, { metric: 'outputPSI', max: 0.25 }], window: '3s', maxDuration: '20m',
});

const object = (name: string, spec: Spec): KubeObject => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'ns' }, spec }) as KubeObject;

/** Stores a plan with the status the controller writes: `startedAt` once it started. */
async function stored(name: string, spec: Spec, status: { phase: string; phaseIndex?: number; currentStep?: number; started: boolean }): Promise<void> {
  const o = await store.create(PLANS, object(name, spec), actor);
  o.status = { phase: status.phase, phaseIndex: status.phaseIndex ?? 0, currentStep: status.currentStep ?? 0, state: { plan: { phase: status.phase, ...(status.started ? { startedAt: 1 } : {}) }, target: {} } };
  await store.update(PLANS, o, { ...actor, subresource: 'status' });
}

const fields = async (name: string, spec: Spec) => (await admit(PLAN, object(name, spec), store)).map((c) => [c.field, c.reason]);

test('a running canary refuses new steps, a new candidate or target, and says why', async () => {
  await stored('running', canarySpec(), { phase: 'Progressing', currentStep: 1, started: true });
  const shorter = canarySpec();
  shorter.phases[0].canary.steps = [50];
  const causes = await admit(PLAN, object('running', shorter), store);
  assert.deepEqual(causes.map((c) => [c.field, c.reason]), [['spec.phases[0].canary.steps', 'FieldValueForbidden']]);
  assert.match(causes[0]!.message, /^Forbidden: the plan is running \(Progressing in phase 1 step 2\) .*abort it and apply a new plan to change it/);

  const other = canarySpec();
  other.candidate = { storageUri: 'pvc://models/iris-v3/' };
  other.target = { inferenceService: 'iris-eu' };
  assert.deepEqual(await fields('running', other), [['spec.target', 'FieldValueForbidden'], ['spec.candidate', 'FieldValueForbidden']]);
});

test('gates, holds, durations and the window may change under a running plan', async () => {
  await stored('tuned', canarySpec(), { phase: 'Paused', started: true });
  const tuned = canarySpec();
  tuned.gates = [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }, { metric: 'latencyP99Ms', max: 300 }];
  tuned.phases[0].canary.hold = { minRequests: 500, passingWindows: 3, minDuration: '1m' };
  tuned.maxDuration = '2h';
  tuned.window = '10s';
  assert.deepEqual(await fields('tuned', tuned), []);
});

test('a phase of another kind, or one more phase, is one cause per phase', async () => {
  await stored('reshaped', canarySpec(), { phase: 'Progressing', started: true });
  const blue = canarySpec();
  blue.phases = [{ blueGreen: { hold: { minRequests: 120 } } }];
  assert.deepEqual(await fields('reshaped', blue), [['spec.phases[0]', 'FieldValueForbidden']]);
  const longer = canarySpec();
  longer.phases = [{ shadow: { percent: 20, exit: { pairedRequests: 500 } } }, ...longer.phases];
  assert.deepEqual(await fields('reshaped', longer), [['spec.phases', 'FieldValueForbidden'], ['spec.phases[0]', 'FieldValueForbidden'], ['spec.phases[1]', 'FieldValueForbidden']]);
});

test('before it starts (waiting, or Pending), a plan may be reshaped', async () => {
  const changed = canarySpec();
  changed.phases[0].canary.steps = [50, 100];
  changed.candidate = { storageUri: 'pvc://models/iris-v3/' };
  await stored('waiting', canarySpec(), { phase: 'Pending', started: false });
  await stored('paused-before-start', canarySpec(), { phase: 'Paused', started: false });
  for (const name of ['waiting', 'paused-before-start', 'new']) assert.deepEqual(await fields(name, changed), [], name);
});

test('an ended plan is the record of what ran: a changed spec is refused, naming each field (it would do nothing); the same spec again is not', async () => {
  await stored('ended', canarySpec(), { phase: 'RolledBack', started: true });
  const changed = canarySpec();
  changed.candidate = { storageUri: 'pvc://models/iris-v3/' };
  changed.window = '5s';
  const causes = await admit(PLAN, object('ended', changed), store);
  assert.deepEqual(causes.map((c) => [c.field, c.reason]), [['spec.candidate', 'FieldValueForbidden'], ['spec.window', 'FieldValueForbidden']]);
  assert.match(causes[0]!.message, /^Forbidden: the plan has ended \(RolledBack\) and its spec is the record of what ran; apply the change as a new plan \(another metadata\.name\)$/);
  // Defaults written out or left out are the same spec.
  assert.deepEqual(await fields('ended', canarySpec()), []);
  assert.deepEqual(await fields('ended', { ...canarySpec(), rollback: {} }), []);
});

test('a running A/B test keeps its split and its unit key', async () => {
  const ab = (): Spec => ({ ...canarySpec(), cohorts: { unit: { header: 'x-user-id' } }, phases: [{ abTest: { percent: 50, primary: { metric: 'purchase', outcome: { aggregate: 'conversion', per: 'unit' } }, baselineRate: 0.1, minDetectableEffect: 0.3, maxDuration: '30m' } }] });
  await stored('ab', ab(), { phase: 'Progressing', started: true });
  const moved = ab();
  moved.phases[0].abTest.percent = 20;
  moved.cohorts.unit = { header: 'x-session-id' };
  assert.deepEqual(await fields('ab', moved), [['spec.phases[0].abTest.percent', 'FieldValueForbidden'], ['spec.cohorts.unit', 'FieldValueForbidden']]);
});
