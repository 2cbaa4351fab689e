// A TrafficPlan transition as the Event `kubectl describe trafficplan` lists:
// on the plan (kind, apiVersion, uid), reason and type as a cluster's
// controller writes them, the transition in words, stored through the same
// store as every other Event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { planEvent, recordPlanEvent, PLAN_EVENT_SOURCE } from '../../../src/server/local/plan-events.ts';
import type { Transition } from '../../../src/controllers/plan/state.ts';
import type { TrafficPlan } from '../../../src/controllers/plan/target.ts';
import { until } from '../../until.ts';

const plan = { metadata: { name: 'iris-v2', namespace: 'ml', uid: 'u-1' }, spec: {} } as unknown as TrafficPlan;
const transition = (cause: string, to: Transition['to'], reason: string): Transition => ({
  from: 'Progressing', to, at: Date.parse('2026-12-07T10:00:00Z'), cause, reason, step: { phaseIndex: 0, stepIndex: 0, percent: 10 },
  evidence: { gates: [], requestsInStep: 0, consecutivePassingWindows: 0, consecutiveErrors: 0, hold: { minRequests: 0, passingWindows: 1, minDurationMs: 0, minPairs: 0 } },
});

test('a rollback is a Warning named for its cause, on the plan, saying what happened', () => {
  const ev = planEvent(plan, transition('gate-failed', 'RolledBack', 'gate failed (errorRate: [0.03, 0.09] beyond max 0.02)')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(ev.involvedObject, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', name: 'iris-v2', namespace: 'ml', uid: 'u-1' });
  assert.equal(ev.metadata.namespace, 'ml');
  assert.equal(ev.reason, 'GateFailed');
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, 'Progressing → RolledBack: gate failed (errorRate: [0.03, 0.09] beyond max 0.02)');
  assert.equal(ev.source.component, PLAN_EVENT_SOURCE);
  assert.equal(ev.lastTimestamp, '2026-12-07T10:00:00.000Z');
  const advanced = planEvent(plan, transition('advanced', 'Progressing', 'step 1/3 passed; canary 10% → 50%')) as Record<string, unknown>;
  assert.deepEqual([advanced.reason, advanced.type], ['Advanced', 'Normal']);
  const long = planEvent(plan, transition('gate-failed', 'RolledBack', 'x'.repeat(5000))) as unknown as { message: string };
  assert.equal(long.message.length, 1024, "Kubernetes' limit on a message");
});

test('recorded Events are listed with the others of the namespace, by the object they concern', async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    recordPlanEvent(store, plan, transition('started', 'Progressing', 'canary phase 1, step 1/2 at 10%'));
    recordPlanEvent(store, plan, transition('promoted', 'Promoted', 'the last step passed its gates and hold'));
    const events = await until('both events stored', async () => {
      const { items } = await store.list({ group: '', resource: 'events' }, { namespace: 'ml' });
      return items.length === 2 ? items as Array<Record<string, any>> : undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    });
    assert.deepEqual(events.map((e) => e.reason).sort(), ['Promoted', 'Started']);
    assert.ok(events.every((e) => e.involvedObject.kind === 'TrafficPlan' && e.involvedObject.name === 'iris-v2'));
  } finally {
    await store.close();
  }
});
