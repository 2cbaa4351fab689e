// The InferenceService as a plan target: which revision is the candidate. KServe names the
// revision a storageUri created only once it has acted on the spec; until then its status
// still shows the previous latest revision — after a rolled-back plan, that plan's candidate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { IsvcTarget } from '../../src/controllers/plan/isvc-target.ts';
import type { TrafficPlan } from '../../src/controllers/plan/target.ts';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';

const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const admin = { actor: { name: 'admin' } };
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore({ path: ':memory:' });
  await fn(store).finally(() => store.close());
}

const plan = (storageUri: string): TrafficPlan => ({
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'credit-v3', namespace: 'default' },
  spec: trafficPlanSpec.parse({
    target: { inferenceService: 'credit' }, candidate: { storageUri }, owner: { team: 'risk' },
    phases: [{ blueGreen: {} }], gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s', maxDuration: '1h',
  }),
}) as TrafficPlan;

async function setStatus(store: Store, predictor: Obj): Promise<void> {
  const o = (await store.get({ ...ISVC, namespace: 'default', name: 'credit' })) as KubeObject & { status?: Obj };
  o.status = { components: { predictor } };
  await store.update(ISVC, o, { ...admin, subresource: 'status' });
}

test('after a rolled-back plan, the new plan\'s candidate is the revision KServe creates next, not the old candidate still tagged latest', () =>
  withStore(async (store) => {
    // A previous blue-green plan rolled back: its candidate 00002 is still the latest revision, at 0 %, tagged latest.
    await store.create(ISVC, {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'credit', namespace: 'default', annotations: { 'serving.kserve.io/enable-tag-routing': 'true' } },
      spec: { predictor: { canaryTrafficPercent: 0, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/credit-v2/' } } },
    } as KubeObject, admin);
    const stale = {
      latestCreatedRevision: 'credit-predictor-00002', latestReadyRevision: 'credit-predictor-00002', latestRolledoutRevision: 'credit-predictor-00001',
      traffic: [{ revisionName: 'credit-predictor-00002', percent: 0, tag: 'latest' }, { revisionName: 'credit-predictor-00001', percent: 100, tag: 'prev' }],
    };
    await setStatus(store, stale);
    const target = new IsvcTarget(store);
    const p = plan('pvc://models/credit-v3/');

    const before = await target.observe(p, {});
    assert.equal(before.blocked, undefined);
    assert.equal(before.memo.baselineRevision, 'credit-predictor-00001');
    assert.equal(before.candidate, undefined);
    const memo = await target.apply(p, before.memo, { percent: 0, promoted: false, running: true, previewTag: 'latest' });
    assert.equal(memo.applied, true);
    assert.equal(memo.replaced, undefined, 'v2 was a rolled-back candidate parked at 0 %, not what serves');

    // KServe has not acted on the new storageUri yet: its status still names 00002 the latest revision.
    const lagging = await target.observe(p, memo);
    assert.equal(lagging.candidate, undefined, 'the old candidate is not this plan\'s: its preview traffic must not count');
    assert.equal(lagging.memo.candidateRevision, undefined);

    await setStatus(store, { ...stale, latestCreatedRevision: 'credit-predictor-00003', latestReadyRevision: 'credit-predictor-00003', traffic: [{ revisionName: 'credit-predictor-00003', percent: 0, tag: 'latest' }, stale.traffic[1]] });
    const created = await target.observe(p, lagging.memo);
    assert.equal(created.memo.candidateRevision, 'credit-predictor-00003');
    assert.equal(created.candidate?.revision, 'credit-predictor-00003');
    assert.equal(created.baseline?.revision, 'credit-predictor-00001');
  }));

test('a candidate revision KServe could not load (modelStatus BlockedByFailedLoad naming it) is reported failed; an older failure is not', () =>
  withStore(async (store) => {
    await store.create(ISVC, {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'credit', namespace: 'default' },
      spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/credit-v1/' } } },
    } as KubeObject, admin);
    const rolledOut = { latestCreatedRevision: 'credit-predictor-00001', latestReadyRevision: 'credit-predictor-00001', latestRolledoutRevision: 'credit-predictor-00001' };
    await setStatus(store, rolledOut);
    const target = new IsvcTarget(store);
    const p = plan('pvc://models/credit-v9/');
    const memo = await target.apply(p, (await target.observe(p, {})).memo, { percent: 10, promoted: false, running: true });
    // What the candidate replaced, for the hint a rollback leaves in the plan's status.
    assert.deepEqual(memo.replaced, { block: 'model', storageUri: 'pvc://models/credit-v1/' });
    const failure = (revision: string) => ({
      transitionStatus: 'BlockedByFailedLoad',
      lastFailureInfo: { reason: 'ModelLoadFailed', message: 'storage-initializer failed: pvc://models/credit-v9/ does not exist', modelRevisionName: revision },
    });
    const o = (await store.get({ ...ISVC, namespace: 'default', name: 'credit' })) as KubeObject & { status?: Obj };
    o.status = { components: { predictor: { ...rolledOut, latestCreatedRevision: 'credit-predictor-00002' } }, modelStatus: failure('credit-predictor-00002') };
    await store.update(ISVC, o, { ...admin, subresource: 'status' });
    const view = await target.observe(p, memo);
    assert.equal(view.candidate?.revision, 'credit-predictor-00002');
    assert.equal(view.candidateFailed, 'revision credit-predictor-00002: ModelLoadFailed: storage-initializer failed: pvc://models/credit-v9/ does not exist');

    o.status = { ...o.status, modelStatus: failure('credit-predictor-00001') };
    await store.update(ISVC, { ...(await store.get({ ...ISVC, namespace: 'default', name: 'credit' }))!, status: o.status } as KubeObject, { ...admin, subresource: 'status' });
    assert.equal((await target.observe(p, view.memo)).candidateFailed, undefined, 'another revision\'s failure is not the candidate\'s');
  }));

test('the same storageUri tried again after a rollback is the parked revision at 0 %; what already serves everything is refused', () =>
  withStore(async (store) => {
    // Rolled back: KServe's spec still names the candidate, pinned at 0 %.
    await store.create(ISVC, {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'credit', namespace: 'default' },
      spec: { predictor: { canaryTrafficPercent: 0, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/credit-v2/' } } },
    } as KubeObject, admin);
    await setStatus(store, { latestCreatedRevision: 'credit-predictor-00002', latestReadyRevision: 'credit-predictor-00002', latestRolledoutRevision: 'credit-predictor-00001' });
    const target = new IsvcTarget(store);
    const again = plan('pvc://models/credit-v2/');
    const view = await target.observe(again, {});
    assert.equal(view.blocked, undefined);
    assert.deepEqual([view.memo.candidateRevision, view.memo.baselineRevision], ['credit-predictor-00002', 'credit-predictor-00001']);
    await target.apply(again, view.memo, { percent: 10, promoted: false, running: true });
    const o = (await store.get({ ...ISVC, namespace: 'default', name: 'credit' })) as KubeObject & { spec: Obj };
    assert.deepEqual([o.spec.predictor.model.storageUri, o.spec.predictor.canaryTrafficPercent], ['pvc://models/credit-v2/', 10]);

    // Promoted since: v2 serves everything, and trying it again compares nothing.
    delete o.spec.predictor.canaryTrafficPercent;
    await store.update(ISVC, o, admin);
    await setStatus(store, { latestCreatedRevision: 'credit-predictor-00002', latestReadyRevision: 'credit-predictor-00002', latestRolledoutRevision: 'credit-predictor-00002' });
    assert.match((await target.observe(again, {})).blocked ?? '', /is what InferenceService credit already serves: there is nothing to compare/);
  }));
