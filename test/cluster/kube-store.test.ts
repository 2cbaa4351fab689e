// The Store conformance suite against KubeStore on a real kube-apiserver
// (one fresh control plane per test: a store must start empty, and a real
// API server's namespaces cannot be deleted without a controller manager).
// The InferenceService kind is a stand-in CRD of the same group and resource
// that keeps any spec and status: the suite checks store semantics with
// made-up specs, which KServe's real schema would prune. The suite's tests
// that cannot hold against an API server are listed with the reason.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { KubeStore } from '../../src/kube/store.ts';
import { TRAFFIC_PLANS } from '../../src/kube/resources.ts';
import type { KubeObject } from '../../src/store/types.ts';
import { runStoreConformance } from '../store/conformance.ts';
import { NEEDS_CONTROL_PLANE, startControlPlane, type ControlPlane } from './control-plane.ts';

const permissiveIsvcCrd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: 'inferenceservices.serving.kserve.io' },
  spec: {
    group: 'serving.kserve.io', scope: 'Namespaced',
    names: { kind: 'InferenceService', listKind: 'InferenceServiceList', plural: 'inferenceservices', singular: 'inferenceservice' },
    versions: [{
      name: 'v1beta1', served: true, storage: true, subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
    }],
  },
};

async function planeWithCrds(crds: Array<string | object>, disableAdmission: string[] = []): Promise<ControlPlane> {
  const cp = await startControlPlane({ disableAdmission });
  await cp.installCrds(crds);
  return cp;
}

const AUDIT = 'a cluster records every write in the API server\'s own audit log; KubeStore writes Events only for decisions (writes with evidence, appendAudit), so plain writes add no record';

if (NEEDS_CONTROL_PLANE === false) {
  runStoreConformance('kube-apiserver', async () => {
    // Namespaces need not exist first (the suite writes into prod, dev, other): the embedded store has no such rule.
    const cp = await planeWithCrds([permissiveIsvcCrd], ['NamespaceLifecycle']);
    return { store: new KubeStore({ kubeConfig: cp.kubeConfig() }), cleanup: () => cp.stop() };
  }, {
    'create sets uid, resourceVersion, generation and creationTimestamp, ignoring client values': 'the API server stamps creationTimestamp with its own clock, which a test cannot set',
    'create of an existing name is AlreadyExists and changes nothing; other namespaces and kinds are separate': AUDIT,
    'update with a stale resourceVersion is Conflict and changes nothing': AUDIT,
    'a write can carry evidence into its own audit record': AUDIT,
    'an update that changes nothing keeps the resourceVersion and writes no audit record': AUDIT,
    'delete returns the object, honours a resourceVersion precondition, and removes it': 'the API server answers a delete with the object as last stored; the deletion\'s own resourceVersion is only in the watch\'s DELETED event',
    'a graceful delete marks the object and keeps it; updates keep the mark and cannot set or move it; a plain delete removes it': 'graceful deletion of pods is the kubelet\'s; cluster mode writes no pods',
    'list filters by namespace, label selector and name, sorted by namespace then name': 'a real API server always has its own namespaces (default, kube-system, ...); the same filters are checked on InferenceServices below',
    'watch from a resourceVersion older than the kept history is Gone': 'the API server reports an expired resourceVersion in the stream after the watch opened; KubeStore then lists again and delivers the difference, as informers do (checked below)',
    'every write appends an audit record in one verifying hash chain': 'Events are not hash-chained; what verifies is each Event\'s evidence against its digest (checked below)',
  });
} else {
  test('Store conformance: kube-apiserver', { skip: NEEDS_CONTROL_PLANE }, () => {});
}

describe('KubeStore', { skip: NEEDS_CONTROL_PLANE }, () => {
  let cp: ControlPlane;
  let store: KubeStore;
  before(async () => {
    cp = await planeWithCrds([permissiveIsvcCrd, 'deploy/crds/trafficplans.switchyard.dev.yaml']);
    for (const ns of ['prod', 'dev']) cp.kubectl(['create', 'namespace', ns]);
    store = new KubeStore({ kubeConfig: cp.kubeConfig(), instance: 'test-pod' });
  });
  after(async () => {
    await store?.close();
    await cp?.stop();
  });

  const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };
  const admin = { actor: { name: 'test' } };
  const isvc = (name: string, namespace: string, labels?: Record<string, string>): KubeObject => ({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec: { n: name },
  });

  test('lists filter by namespace, label selector and name, sorted by namespace then name', async () => {
    await store.create(ISVC, isvc('b', 'prod', { app: 'rank', tier: 'gold' }), admin);
    await store.create(ISVC, isvc('a', 'prod', { app: 'rank' }), admin);
    await store.create(ISVC, isvc('c', 'dev', { app: 'search' }), admin);
    await store.create(ISVC, isvc('a', 'dev'), admin);
    const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.deepEqual(names((await store.list(ISVC)).items), ['dev/a', 'dev/c', 'prod/a', 'prod/b']);
    assert.deepEqual(names((await store.list(ISVC, { namespace: 'prod' })).items), ['prod/a', 'prod/b']);
    assert.deepEqual(names((await store.list(ISVC, { name: 'a' })).items), ['dev/a', 'prod/a']);
    const select = async (s: string) => names((await store.list(ISVC, { labelSelector: (await import('../../src/store/labels.ts')).parseLabelSelector(s) })).items);
    assert.deepEqual(await select('app in (rank,search),!tier'), ['dev/c', 'prod/a']);
    assert.deepEqual(await select('app notin (search)'), ['dev/a', 'prod/a', 'prod/b']);
    assert.ok((await store.list(ISVC)).items.every((o) => o.apiVersion === 'serving.kserve.io/v1beta1' && o.kind === 'InferenceService'));
  });

  test('a status write with evidence is an Event on the plan; its evidence verifies, and an edited one does not', async () => {
    const plan = await store.create(TRAFFIC_PLANS, {
      apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'p', namespace: 'prod' },
      spec: { target: { inferenceService: 'iris' }, candidate: { storageUri: 'gs://m/2' }, owner: { team: 'ml' }, phases: [{ canary: { steps: [10] } }], gates: [{ metric: 'errorRate', max: 0.01 }], maxDuration: '1h' },
    }, admin);
    const transition = { from: 'Pending', to: 'Progressing', at: 1, cause: 'started', reason: 'first step 10 %', step: { phaseIndex: 0, stepIndex: 0, percent: 10 }, evidence: { gates: [] } };
    await store.update(TRAFFIC_PLANS, { ...plan, status: { phase: 'Progressing' } }, { actor: { name: 'system:plan-controller' }, subresource: 'status', verb: 'plan/started', evidence: transition });
    const events = JSON.parse(cp.kubectl(['get', 'events.events.k8s.io', '-n', 'prod', '-o', 'json']).stdout).items as Array<Record<string, any>>;
    assert.equal(events.length, 1);
    const ev = events[0]!;
    assert.deepEqual([ev.reason, ev.type, ev.action, ev.regarding.kind, ev.regarding.name, ev.regarding.uid, ev.reportingController, ev.reportingInstance],
      ['Started', 'Normal', 'plan/started', 'TrafficPlan', 'p', plan.metadata.uid, 'switchyard.dev/plan-controller', 'test-pod']);
    assert.equal(ev.note, 'Pending → Progressing (started): first step 10 %');
    assert.deepEqual(JSON.parse(ev.metadata.annotations['switchyard.dev/evidence']), transition);
    const described = cp.kubectl(['describe', 'tp', 'p', '-n', 'prod']).stdout;
    assert.match(described, /Started\s+.*Pending → Progressing \(started\): first step 10 %/);
    const records = await store.listAudit();
    assert.deepEqual(records.map((r) => [r.seq, r.actor, r.verb, r.resource]), [[1, 'system:plan-controller', 'plan/started', 'switchyard.dev/trafficplans/prod/p']]);
    assert.deepEqual(await store.verifyAudit(), { ok: true, records: 1, problems: [] });
    cp.kubectl(['annotate', 'events.events.k8s.io', ev.metadata.name, '-n', 'prod', '--overwrite', `switchyard.dev/evidence=${JSON.stringify({ ...transition, to: 'Promoted' })}`]);
    const v = await store.verifyAudit();
    assert.equal(v.ok, false);
    assert.match(v.problems[0]!, /does not match its sha256/);
  });

  test('errors keep their meaning: conflict, already exists, not found, invalid, forbidden', async () => {
    const a = await store.create(ISVC, isvc('x', 'prod'), admin);
    await store.update(ISVC, { ...a, spec: { v: 2 } }, admin);
    await assert.rejects(store.update(ISVC, { ...a, spec: { v: 3 } }, admin), { code: 'SY_ERR_CONFLICT' });
    await assert.rejects(store.create(ISVC, isvc('x', 'prod'), admin), { code: 'SY_ERR_ALREADY_EXISTS' });
    await assert.rejects(store.update(ISVC, isvc('nope', 'prod'), admin), { code: 'SY_ERR_NOT_FOUND' });
    await assert.rejects(store.create(TRAFFIC_PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'bad', namespace: 'prod' }, spec: { target: {} } }, admin), (err: { code: string; causes: Array<{ field?: string }> }) => {
      assert.equal(err.code, 'SY_ERR_INVALID');
      assert.ok(err.causes.some((c) => c.field === 'spec.phases'), JSON.stringify(err.causes));
      return true;
    });
    const nobody = new KubeStore({ kubeConfig: cp.kubeConfig('not-a-token') });
    await assert.rejects(nobody.get({ ...ISVC, namespace: 'prod', name: 'x' }), { code: 'SY_ERR_UNAUTHORIZED' });
  });
});
