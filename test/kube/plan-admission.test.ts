import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitClusterPlan } from '../../src/kube/plan-admission.ts';
import type { KubeObject } from '../../src/store/types.ts';

const plan = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'p', namespace: 'prod', generation: 1, ...(annotations ? { annotations } : {}) },
  spec: {
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'gs://m/2' }, owner: { team: 'ml' },
    phases: [{ canary: { steps: [10, 50], hold: { minRequests: 200 } } }], gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }], maxDuration: '1h',
    ...spec,
  },
});

test('a canary plan is admitted with the defaults the local API server would give it; its status is kept', () => {
  const a = admitClusterPlan({ ...plan({}), status: { phase: 'Progressing' } });
  assert.ok(a.ok, JSON.stringify(a));
  assert.equal((a.plan.spec as { rollback: { onGateFailure: boolean } }).rollback.onGateFailure, true);
  assert.deepEqual(a.plan.status, { phase: 'Progressing' });
});

test('a plan the schema accepts but a rule refuses is Invalid, naming the field', () => {
  const a = admitClusterPlan(plan({ phases: [{ canary: { steps: [50, 10], hold: { minRequests: 200 } } }] }));
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.reason, 'Invalid');
  assert.match(!a.ok ? a.message : '', /steps/);
});

test('a blocking lint finding refuses the plan unless the lint-override annotation accepts it', () => {
  const healthOnly = { gates: [{ metric: 'errorRate', max: 0.01 }] };
  const refused = admitClusterPlan(plan(healthOnly));
  assert.equal(!refused.ok && refused.reason, 'Invalid');
  assert.match(!refused.ok ? refused.message : '', /lint health-only-gates/);
  assert.ok(admitClusterPlan(plan(healthOnly, { 'switchyard.dev/lint-override': 'health-only-gates' })).ok);
});

test('what needs Switchyard\'s gateway in the request path is UnsupportedInCluster, one reason per field', () => {
  const a = admitClusterPlan(plan({
    phases: [{ shadow: { percent: 50, exit: { pairedRequests: 100, maxDuration: '10m' } } }, { canary: { steps: [50], hold: { minRequests: 200 } } }],
    gates: [{ metric: 'agreement', min: 0.98 }, { metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }],
  }));
  assert.equal(!a.ok && a.reason, 'UnsupportedInCluster');
  const msg = !a.ok ? a.message : '';
  assert.match(msg, /spec\.phases\[0\]\.shadow: a shadow phase needs Switchyard's gateway/);
  assert.match(msg, /spec\.gates\[0\]: agreement judges shadow pairs/);
});
