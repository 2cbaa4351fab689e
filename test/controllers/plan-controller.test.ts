// The plan controller against a real SQLite store, an injected clock and
// windows built from known traffic: it moves canaryTrafficPercent step by
// step, promotes, rolls back on a failing gate, obeys kill at once, audits
// every transition with its evidence and resumes after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { newSketch, quantiles } from '../../src/analysis/sketch.ts';
import type { WindowStats } from '../../src/analysis/windows.ts';
import { PlanController } from '../../src/controllers/plan/controller.ts';
import { trafficPlanSpec } from '../../src/api/kinds/trafficplan.ts';
import type { WindowReader } from '../../src/controllers/plan/observe.ts';

const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const PLANS = { group: 'switchyard.dev', resource: 'trafficplans' };
const admin = { actor: { name: 'admin' } };

/** `n` requests with `errors` server errors and labels split as given. */
function stats(n: number, errors: number, labels: Record<string, number>): WindowStats {
  const sk = newSketch();
  for (let i = 0; i < n; i++) sk.accept(20 + (i % 10));
  const outputs = Object.values(labels).reduce((a, b) => a + b, 0);
  return {
    fromMs: 0, toMs: 0, truncated: false, requests: n, errors, errorsByClass: { '4xx': 0, '5xx': errors, timeout: 0, upstream: 0 },
    errorRate: n ? errors / n : undefined, latency: quantiles(sk), latencySketch: sk, outputs, invalidOutputs: 0,
    invalidOutputRate: outputs ? 0 : undefined, labels, scores: undefined,
  };
}

const SAME = { a: 600, b: 300, c: 100 };

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-plan-'));
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function seed(store: Store, planExtra: Record<string, unknown> = {}) {
  await store.create(ISVC, {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/v1' } } },
    status: { components: { predictor: { latestCreatedRevision: 'iris-predictor-00001', latestReadyRevision: 'iris-predictor-00001', latestRolledoutRevision: 'iris-predictor-00001' } } },
  } as KubeObject, admin);
  const spec = trafficPlanSpec.parse({
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/v2' }, owner: { team: 'ml' },
    phases: [{ canary: { steps: [10, 50], hold: { minRequests: 100, passingWindows: 1 } } }],
    gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'classRateDelta', max: 0.1 }],
    window: '10s', maxDuration: '1h', rollback: { keepWarm: '1h' }, ...planExtra,
  });
  await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-v2', namespace: 'default' }, spec } as KubeObject, admin);
}

const VIRTUAL_SERVICES = { group: 'networking.istio.io', resource: 'virtualservices' };

/** VirtualService scoring with one route, main: the first subset at weight 100, the others at 0. */
async function scoringRoute(store: Store, subsets: string[]): Promise<void> {
  await store.create(VIRTUAL_SERVICES, {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'scoring', namespace: 'default' },
    spec: { hosts: ['scoring.example.com'], http: [{ name: 'main', route: subsets.map((subset, i) => ({ destination: { host: 'triton.models.internal', subset }, weight: i === 0 ? 100 : 0 })) }] },
  } as KubeObject, admin);
}

const isvc = async (store: Store) => (await store.get({ ...ISVC, namespace: 'default', name: 'iris' })) as KubeObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const plan = async (store: Store, name = 'iris-v2') => (await store.get({ ...PLANS, namespace: 'default', name })) as KubeObject & { status: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the isvc controller would do once the candidate revision exists. */
async function candidateCreated(store: Store): Promise<void> {
  const o = await isvc(store);
  (o.status as any).components.predictor.latestCreatedRevision = 'iris-predictor-00002'; // eslint-disable-line @typescript-eslint/no-explicit-any
  await store.update(ISVC, o, { ...admin, subresource: 'status' });
}

function harness(store: Store, candidate: () => WindowStats, clock: { t: number }) {
  const readWindow: WindowReader = (q) => (q.revision === 'iris-predictor-00002' ? candidate() : stats(20_000, 0, { a: 12_000, b: 6000, c: 2000 }));
  return new PlanController({ store, readWindow, now: () => clock.t });
}

/** The seeded plan started (its first step written) and its candidate revision created; no traffic yet. */
async function startedWithoutTraffic(store: Store) {
  await seed(store);
  const clock = { t: 1_000_000 };
  const ctl = harness(store, () => stats(0, 0, {}), clock);
  await ctl.reconcile(await plan(store));
  await candidateCreated(store);
  return { clock, ctl };
}

test('a healthy candidate is moved step by step and promoted; each transition is audited with its evidence', () =>
  withStore(async (store) => {
    await seed(store);
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(1000, 0, SAME), clock);
    await ctl.reconcile(await plan(store));
    let o = await isvc(store);
    assert.equal(o.spec.predictor.model.storageUri, 'pvc://models/v2');
    assert.equal(o.spec.predictor.canaryTrafficPercent, 10);
    assert.equal((await plan(store)).status.phase, 'Progressing');
    await candidateCreated(store);

    clock.t = 1_010_400; // the window [1_000_000, 1_010_000) has closed
    await ctl.reconcile(await plan(store));
    let p = await plan(store);
    assert.equal(p.status.candidateRevision, 'iris-predictor-00002');
    assert.equal(p.status.currentStep, 1, JSON.stringify(p.status.gates));
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 50);

    // The window straddling the move to 50 % holds traffic of both splits: it does not count.
    clock.t = 1_020_400;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.phase, 'Progressing');
    clock.t = 1_030_400;
    await ctl.reconcile(await plan(store));
    p = await plan(store);
    assert.equal(p.status.phase, 'Promoted');
    o = await isvc(store);
    assert.equal(o.spec.predictor.canaryTrafficPercent, undefined, 'promotion removes canaryTrafficPercent, as KServe documents');
    // The old baseline is the rollback target: warm for rollback.keepWarm (1h) from the promotion.
    assert.deepEqual(JSON.parse(o.metadata.annotations!['switchyard.dev/keep-warm-until']!), { 'iris-predictor-00001': new Date(1_030_400 + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });

    const audit = (await store.listAudit()).filter((r) => r.verb.startsWith('plan/'));
    assert.deepEqual(audit.map((r) => r.verb), ['plan/started', 'plan/advanced', 'plan/promoted']);
    const advanced = audit[1]!.evidence as { evidence: { requestsInStep: number; gates: Array<{ metric: string; verdict: string }> } };
    assert.equal(advanced.evidence.requestsInStep, 1000);
    assert.deepEqual(advanced.evidence.gates.map((g) => [g.metric, g.verdict]), [['errorRate', 'pass'], ['classRateDelta', 'pass']]);
    assert.equal((await store.verifyAudit()).ok, true);
  }));

test('a candidate whose outputs shift is rolled back by its gate, and traffic returns to the baseline', () =>
  withStore(async (store) => {
    await seed(store);
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(300, 0, { a: 60, b: 120, c: 120 }), clock);
    await ctl.reconcile(await plan(store));
    await candidateCreated(store);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    const p = await plan(store);
    assert.equal(p.status.phase, 'RolledBack');
    assert.match(p.status.message, /classRateDelta/);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 0);
    const failed = p.status.gates.find((g: { metric: string }) => g.metric === 'classRateDelta');
    assert.equal(failed.verdict, 'fail');
    // The candidate stays warm for rollback.keepWarm (1h) from the rollback, then may scale to zero.
    const warm = JSON.parse((await isvc(store)).metadata.annotations!['switchyard.dev/keep-warm-until']!);
    assert.deepEqual(warm, { 'iris-predictor-00002': new Date(Math.floor((1_010_400 + 3_600_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z') });
  }));

test('kill acts at once, without a window, and names who pulled it', () =>
  withStore(async (store) => {
    const { clock, ctl } = await startedWithoutTraffic(store);
    const p = await plan(store);
    p.metadata.annotations = { 'switchyard.dev/command': 'kill', 'switchyard.dev/command-by': 'oncall-sre', 'switchyard.dev/command-reason': 'pager' };
    await store.update(PLANS, p, admin);
    clock.t = 1_000_500;
    await ctl.reconcile(await plan(store));
    const after = await plan(store);
    assert.equal(after.status.phase, 'Aborted');
    assert.match(after.status.message, /kill switch.*pager/);
    assert.equal(after.metadata.annotations?.['switchyard.dev/command'], undefined, 'the command is consumed');
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 0);
    const killed = (await store.listAudit()).find((r) => r.verb === 'plan/kill');
    assert.equal(killed?.actor, 'oncall-sre');
  }));

test('a plan deleted mid-step sends its traffic back to the baseline and says so; an ended one is left alone', () =>
  withStore(async (store) => {
    const { ctl } = await startedWithoutTraffic(store);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 10);
    const last = await plan(store);
    await ctl.start();
    try {
      await store.delete({ ...PLANS, namespace: 'default', name: 'iris-v2' }, admin);
      for (let i = 0; i < 100 && (await isvc(store)).spec.predictor.canaryTrafficPercent !== 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 0, 'the deletion moved the split back');
      const record = (await store.listAudit()).find((r) => r.verb === 'plan/deleted');
      assert.match(String((record?.evidence as { reason?: string } | undefined)?.reason), /deleted while Progressing: traffic back to the baseline/);
      assert.equal(record?.resource, 'switchyard.dev/trafficplans/default/iris-v2');
    } finally {
      await ctl.stop();
    }
    // An ended plan's split is its result: deleting it changes nothing (here, a split set by hand since).
    const o = await isvc(store);
    o.spec.predictor.canaryTrafficPercent = 30;
    await store.update(ISVC, o, admin);
    const ended = structuredClone(last);
    ended.status.state.plan.phase = 'Promoted';
    await ctl.released(ended as never);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 30);
    // Deleted and created again under the same name before the deletion was seen: the new plan owns the split.
    await store.create(PLANS, { ...structuredClone(last), metadata: { name: 'iris-v2', namespace: 'default' }, status: undefined } as never, admin);
    await ctl.released(last as never);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 30, 'the old plan\'s deletion does not move the new plan\'s target');
    assert.equal((await store.listAudit()).filter((r) => r.verb === 'plan/deleted').length, 1);
  }));

test('after a restart the plan resumes at its step with its request count; no step is done twice', () =>
  withStore(async (store) => {
    await seed(store, { phases: [{ canary: { steps: [10, 50], hold: { minRequests: 1000, passingWindows: 1 } } }] });
    const clock = { t: 1_000_000 };
    const window = () => stats(600, 0, { a: 360, b: 180, c: 60 });
    const first = harness(store, window, clock);
    await first.reconcile(await plan(store));
    await candidateCreated(store);
    clock.t = 1_010_400;
    await first.reconcile(await plan(store));
    assert.equal((await plan(store)).status.stepRequests, 600);
    // A new controller (process restarted): same store, nothing in memory.
    const second = harness(store, window, clock);
    await second.reconcile(await plan(store)); // same window again: a replay, ignored
    assert.equal((await plan(store)).status.stepRequests, 600);
    assert.equal((await plan(store)).status.evidence.candidateRequests, 600, 'the step\'s evidence was stored, not lost with the process');
    assert.equal((await plan(store)).status.currentStep, 0);
    clock.t = 1_020_400;
    await second.reconcile(await plan(store));
    const p = await plan(store);
    assert.equal(p.status.currentStep, 1);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 50);
    const verbs = (await store.listAudit()).filter((r) => r.verb.startsWith('plan/')).map((r) => r.verb);
    assert.deepEqual(verbs, ['plan/started', 'plan/advanced']);
  }));

test('a plan over its cost budget pauses instead of moving traffic', () =>
  withStore(async (store) => {
    await seed(store, { budget: { maxCostPerHour: 8 }, cost: { perRequest: 0.001, requestsPerSecond: 1, perReplicaHour: 1 } });
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(1000, 0, SAME), clock);
    await ctl.reconcile(await plan(store));
    const p = await plan(store);
    assert.equal(p.status.phase, 'Progressing', p.status.message);
    clock.t = 1_010_400;
    await candidateCreated(store);
    // 21000 req / 10 s observed = 2100 req/s → the 50 % step costs far more than 8/h.
    await ctl.reconcile(await plan(store));
    const after = await plan(store);
    assert.equal(after.status.phase, 'Paused');
    assert.match(after.status.message, /budget/);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 10);
  }));

test('blueGreen: the candidate is deployed at 0 % with its tag host on, judged on preview traffic, then switched', () =>
  withStore(async (store) => {
    await seed(store, { phases: [{ blueGreen: { preview: { tag: 'latest' }, hold: { minRequests: 100, passingWindows: 1 } } }] });
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(1000, 0, SAME), clock);
    await ctl.reconcile(await plan(store));
    const o = await isvc(store);
    assert.equal(o.spec.predictor.canaryTrafficPercent, 0, 'no live traffic during preview');
    assert.equal(o.spec.predictor.model.storageUri, 'pvc://models/v2');
    assert.equal(o.metadata.annotations?.['serving.kserve.io/enable-tag-routing'], 'true', 'the preview answers on its tag host');
    await candidateCreated(store);
    // KServe gives the candidate's tag host in its traffic status: the plan says where to send preview requests.
    const tagged = await isvc(store);
    (tagged.status as any).components.predictor.traffic = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      { revisionName: 'iris-predictor-00002', tag: 'latest', latestRevision: true, percent: 0, url: 'http://latest-iris-predictor.default.example.com' },
      { revisionName: 'iris-predictor-00001', tag: 'prev', latestRevision: false, percent: 100, url: 'http://prev-iris-predictor.default.example.com' },
    ];
    await store.update(ISVC, tagged, { ...admin, subresource: 'status' });
    clock.t = 1_000_500;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.previewURL, 'http://latest-iris-predictor.default.example.com');
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.phase, 'Promoted');
    assert.equal((await plan(store)).status.previewURL, undefined, 'no preview once switched');
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, undefined, 'switched: the candidate takes all traffic');
  }));

test('a VirtualService target: weights move between the baseline and candidate destinations, and return on rollback', () =>
  withStore(async (store) => {
    const VS = VIRTUAL_SERVICES;
    await scoringRoute(store, ['v1', 'v2']);
    const spec = trafficPlanSpec.parse({
      target: { virtualService: { name: 'scoring', route: 'main' } }, candidate: { revision: 'v2' }, owner: { team: 'ml' },
      phases: [{ canary: { steps: [10, 50], hold: { minRequests: 100 } } }], gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s',
    });
    await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-v2', namespace: 'default' }, spec } as KubeObject, admin);
    const clock = { t: 1_000_000 };
    const asked: Array<Record<string, unknown>> = [];
    const ctl = new PlanController({
      store, now: () => clock.t,
      readWindow: (q) => {
        asked.push({ ...q });
        return q.variant === 'v2' ? stats(200, 60, {}) : stats(2000, 0, {});
      },
    });
    const weights = async () => ((await store.get({ ...VS, namespace: 'default', name: 'scoring' })) as any).spec.http[0].route.map((r: { weight: number }) => r.weight); // eslint-disable-line @typescript-eslint/no-explicit-any
    await ctl.reconcile(await plan(store));
    assert.deepEqual(await weights(), [90, 10]);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.phase, 'RolledBack', 'a 30 % error rate fails the gate');
    assert.deepEqual(await weights(), [100, 0]);
    assert.deepEqual(asked.find((q) => q.variant === 'v2'), { namespace: 'default', service: 'triton.models.internal', route: 'default/scoring/main', destination: 'triton.models.internal', variant: 'v2', fromMs: 1_000_000, toMs: 1_010_000 });
  }));

test('a VirtualService candidate named by its full host is shown as the baseline is, by its first label: one name in status and split', () =>
  withStore(async (store) => {
    await store.create(VIRTUAL_SERVICES, {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'scorer', namespace: 'default' },
      spec: { hosts: ['scorer.example.com'], http: [{ name: 'main', route: [
        { destination: { host: 'scorer-a-predictor.default.svc.cluster.local' }, weight: 100 },
        { destination: { host: 'scorer-b-predictor.default.svc.cluster.local' }, weight: 0 },
      ] }] },
    } as KubeObject, admin);
    const spec = trafficPlanSpec.parse({
      target: { virtualService: { name: 'scorer', route: 'main' } }, candidate: { revision: 'scorer-b-predictor.default.svc.cluster.local' }, owner: { team: 'ml' },
      phases: [{ canary: { steps: [10, 50], hold: { minRequests: 100 } } }], gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s',
    });
    await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'scorer-b', namespace: 'default' }, spec } as KubeObject, admin);
    const ctl = new PlanController({ store, now: () => 1_000_000, readWindow: () => stats(0, 0, {}) });
    await ctl.reconcile(await plan(store, 'scorer-b'));
    const s = (await plan(store, 'scorer-b')).status;
    assert.deepEqual([s.baselineRevision, s.candidateRevision], ['scorer-a-predictor', 'scorer-b-predictor']);
    assert.deepEqual(s.split, { 'scorer-a-predictor': 90, 'scorer-b-predictor': 10 });
  }));

test("an A/B test's outcome reads count from the candidate's first answer; other phases' outcome gates from the step's start", () =>
  withStore(async (store) => {
    await seed(store, {
      cohorts: { unit: { header: 'x-user-id' } },
      phases: [{ abTest: { percent: 50, primary: { metric: 'purchase', outcome: { aggregate: 'conversion', per: 'unit' } }, minRequestsPerArm: 1000 } }],
      gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'refund', outcome: { aggregate: 'conversion' }, maxDelta: 0.01 }],
    });
    const clock = { t: 1_000_000 };
    const reads: Array<{ metric: string; fromMs: number; fromCandidateStart?: boolean }> = [];
    const arm = (exposed: number) => ({ exposed, converted: exposed / 10, sum: exposed / 10, sumSq: exposed / 10, events: exposed / 10 });
    const ctl = new PlanController({
      store, now: () => clock.t, readWindow: () => stats(500, 0, SAME),
      readOutcomes: (q) => (reads.push({ metric: q.metric, fromMs: q.fromMs, ...(q.fromCandidateStart ? { fromCandidateStart: true } : {}) }), { baseline: arm(400), candidate: arm(400) }),
    });
    await ctl.reconcile(await plan(store));
    await candidateCreated(store);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    assert.deepEqual(reads, [{ metric: 'refund', fromMs: 1_000_000, fromCandidateStart: true }, { metric: 'purchase', fromMs: 1_000_000, fromCandidateStart: true }]);
    assert.equal((await plan(store)).status.experiment.baseline.units, 400);
  }));

test('a bandit on an InferenceService deploys its candidate at 0 % at once, and splits only once its first look allocates', () =>
  withStore(async (store) => {
    await seed(store, {
      phases: [{ bandit: { reward: { metric: 'click', zeroAfter: '1m' }, minPercent: 10, rewardFreshness: '1h', stop: { minRewards: 100_000 } } }],
      gates: [{ metric: 'errorRate', max: 0.05 }],
    });
    const clock = { t: 1_000_000 };
    const ctl = new PlanController({
      store, now: () => clock.t, readWindow: () => stats(1000, 0, {}),
      readArmRewards: (q) => q.arms.map(() => ({ assigned: 0, rewarded: 0, sum: 0, sumSq: 0, outOfRange: 0 })),
    });
    await ctl.reconcile(await plan(store));
    let o = await isvc(store);
    assert.equal(o.spec.predictor.model.storageUri, 'pvc://models/v2', 'the candidate revision is created while the bandit waits for its first look');
    assert.equal(o.spec.predictor.canaryTrafficPercent, 0);
    await candidateCreated(store);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    o = await isvc(store);
    assert.equal(o.spec.predictor.canaryTrafficPercent, 50, 'two arms start at an equal share');
    assert.equal((await plan(store)).status.bandit.version, 1);
  }));

test('a bySlice gate is judged per stratum value and names the slice that failed', () =>
  withStore(async (store) => {
    await seed(store, {
      cohorts: { unit: { header: 'x-user-id' }, strata: [{ name: 'tier', header: 'x-tier' }] },
      gates: [{ metric: 'errorRate', max: 0.05, bySlice: 'tier' }, { metric: 'outputPSI', max: 0.2 }],
    });
    const clock = { t: 1_000_000 };
    const ctl = new PlanController({
      store, now: () => clock.t,
      listSlices: () => ['free', 'gold'],
      readWindow: (q) => {
        const cand = q.revision === 'iris-predictor-00002';
        if (q.slice?.tier === 'gold') return cand ? stats(500, 150, {}) : stats(5000, 0, {});
        if (q.slice?.tier === 'free') return cand ? stats(500, 0, {}) : stats(5000, 0, {});
        return cand ? stats(1000, 150, SAME) : stats(10_000, 0, SAME);
      },
    });
    await ctl.reconcile(await plan(store));
    await candidateCreated(store);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    const p = await plan(store);
    assert.equal(p.status.phase, 'RolledBack');
    assert.match(p.status.message, /errorRate\[tier=gold\]/);
    assert.deepEqual(p.status.gates.filter((g: { slice?: string }) => g.slice).map((g: { slice: string; verdict: string }) => [g.slice, g.verdict]), [['tier=free', 'pass'], ['tier=gold', 'fail']]);
  }));

test('candidate.revision: a revision deployed at 0 % (deployment is not exposure) is moved without touching storageUri', () =>
  withStore(async (store) => {
    await seed(store);
    const o = await isvc(store);
    o.spec.predictor.model.storageUri = 'pvc://models/v2';
    o.spec.predictor.canaryTrafficPercent = 0;
    (o.status as any).components.predictor = { latestCreatedRevision: 'iris-predictor-00002', latestReadyRevision: 'iris-predictor-00002', latestRolledoutRevision: 'iris-predictor-00001' }; // eslint-disable-line @typescript-eslint/no-explicit-any
    await store.update(ISVC, o, admin);
    await store.update(ISVC, { ...(await isvc(store)), status: o.status }, { ...admin, subresource: 'status' });
    const p = await plan(store);
    (p as any).spec.candidate = { revision: 'iris-predictor-00002' }; // eslint-disable-line @typescript-eslint/no-explicit-any
    await store.update(PLANS, p, admin);
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(200, 0, { a: 120, b: 60, c: 20 }), clock);
    await ctl.reconcile(await plan(store));
    const after = await isvc(store);
    assert.equal(after.spec.predictor.canaryTrafficPercent, 10);
    assert.equal(after.spec.predictor.model.storageUri, 'pvc://models/v2');
    const st = (await plan(store)).status;
    assert.deepEqual([st.candidateRevision, st.baselineRevision], ['iris-predictor-00002', 'iris-predictor-00001']);
  }));

test('a candidate revision already failing when the plan starts (parked by a rollback, retrying) holds the plan Pending at 0 %; once it loads the plan starts', () =>
  withStore(async (store) => {
    await seed(store);
    // Rolled back earlier: the spec still names the candidate at 0 %, and its revision's pod keeps failing.
    const o = await isvc(store);
    o.spec.predictor.model.storageUri = 'pvc://models/v2';
    o.spec.predictor.canaryTrafficPercent = 0;
    await store.update(ISVC, o, admin);
    const failing = {
      components: { predictor: { latestCreatedRevision: 'iris-predictor-00002', latestReadyRevision: 'iris-predictor-00002', latestRolledoutRevision: 'iris-predictor-00001', traffic: [{ revisionName: 'iris-predictor-00001', percent: 100 }] } },
      modelStatus: { transitionStatus: 'BlockedByFailedLoad', lastFailureInfo: { reason: 'RuntimeUnhealthy', message: 'storage-initializer failed (4 restarts): bucket unreachable', modelRevisionName: 'iris-predictor-00002' } },
    };
    await store.update(ISVC, { ...(await isvc(store)), status: failing }, { ...admin, subresource: 'status' });
    const clock = { t: 1_000_000 };
    const ctl = harness(store, () => stats(200, 0, { a: 120, b: 60, c: 20 }), clock);
    await ctl.reconcile(await plan(store));
    let st = (await plan(store)).status;
    assert.equal(st.phase, 'Pending', 'not RolledBack on a failure from before it started');
    assert.match(st.message, /the candidate is failing: revision iris-predictor-00002: RuntimeUnhealthy: storage-initializer failed \(4 restarts\): bucket unreachable; the plan starts once the revision loads/);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 0, 'no traffic moved to a failing revision');
    // The next attempt loads: the plan starts at its first step.
    const { modelStatus: _gone, ...loaded } = failing;
    await store.update(ISVC, { ...(await isvc(store)), status: { ...loaded, modelStatus: { transitionStatus: 'UpToDate' } } }, { ...admin, subresource: 'status' });
    clock.t += 1000;
    await ctl.reconcile(await plan(store));
    st = (await plan(store)).status;
    assert.equal(st.phase, 'Progressing');
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 10);
    assert.equal(st.candidateRevision, 'iris-predictor-00002');
  }));

test('a candidate.revision that is not the latest revision is explained, and nothing moves', () =>
  withStore(async (store) => {
    await seed(store);
    const p = await plan(store);
    (p as any).spec.candidate = { revision: 'iris-predictor-00007' }; // eslint-disable-line @typescript-eslint/no-explicit-any
    await store.update(PLANS, p, admin);
    const ctl = harness(store, () => stats(0, 0, {}), { t: 1_000_000 });
    await ctl.reconcile(await plan(store));
    const st = (await plan(store)).status;
    assert.equal(st.phase, 'Pending');
    assert.match(st.message, /waiting: candidate.revision iris-predictor-00007 is not the latest revision/);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, undefined);
  }));

test('a bandit on a VirtualService route: arm weights follow the rewards, cohort limits are routes before it, and kill leaves only the fallback', () =>
  withStore(async (store) => {
    const VS = { group: 'networking.istio.io', resource: 'virtualservices' };
    const dest = (subset: string, weight: number) => ({ destination: { host: 'ranker.models.internal', subset }, weight });
    await store.create(VS, {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'ranker', namespace: 'default' },
      spec: { hosts: ['ranker.example.com'], http: [{ name: 'main', route: [dest('a', 100), dest('b', 0), dest('c', 0)] }] },
    } as KubeObject, admin);
    const spec = trafficPlanSpec.parse({
      target: { virtualService: { name: 'ranker', route: 'main' } }, candidate: { revision: 'b' }, owner: { team: 'ml' },
      phases: [{ bandit: { reward: { metric: 'click', zeroAfter: '10m' }, minPercent: 5, stop: { minRewards: 100_000 }, cohortLimits: [{ header: 'x-region', exact: 'eu', hold: true }] } }],
      gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s',
    });
    await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'ranker-bandit', namespace: 'default' }, spec } as KubeObject, admin);
    const clock = { t: 1_000_000 };
    const rates: Record<string, number> = { a: 0.04, b: 0.05, c: 0.1 };
    const asked: Array<{ zeroAfterMs?: number; toMs?: number }> = [];
    const ctl = new PlanController({
      store, now: () => clock.t, readWindow: () => stats(1000, 0, {}),
      readArmRewards: (q) => (asked.push({ zeroAfterMs: q.zeroAfterMs, toMs: q.toMs }), q.arms).map((a) => {
        const arm = a.variant!;
        return { assigned: 2000, rewarded: 2000, sum: 2000 * rates[arm]!, sumSq: 2000 * rates[arm]!, outOfRange: 0, lastRewardMs: clock.t - 1000 };
      }),
    });
    const http = async () => ((await store.get({ ...VS, namespace: 'default', name: 'ranker' })) as any).spec.http as Array<{ name: string; match?: unknown[]; route: Array<{ weight: number }> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    await ctl.reconcile(await plan(store, 'ranker-bandit'));
    assert.deepEqual((await http()).map((r) => r.route.map((d) => d.weight)), [[100, 0, 0]], 'nothing moves before the first look starts the allocation (the candidate destination gets no share of its own)');
    assert.equal((await plan(store, 'ranker-bandit')).status.bandit, undefined);
    clock.t += 10_400;
    await ctl.reconcile(await plan(store, 'ranker-bandit'));
    let routes = await http();
    assert.deepEqual(routes.map((r) => r.name), ['ranker-bandit-cohort-limit-0', 'main']);
    assert.deepEqual(routes[0]!.route.map((d) => d.weight), [100, 0, 0], 'eu is held on the fallback arm');
    assert.deepEqual(routes[0]!.match, [{ headers: { 'x-region': { exact: 'eu' } } }]);
    const [a, b, c] = routes[1]!.route.map((d) => d.weight);
    assert.equal(a! + b! + c!, 100);
    assert.ok(c! > a! && c! > b!, `the arm with the best click rate leads: ${[a, b, c]}`);
    assert.equal(asked.at(-1)!.zeroAfterMs, 600_000, 'the reward\'s zeroAfter reaches the reward query');
    assert.ok(asked.at(-1)!.toMs! <= clock.t && asked.at(-1)!.toMs! > clock.t - 10_000, 'counted back from the end of the window looked at');
    assert.ok(a! >= 5 && b! >= 5, 'every arm keeps its floor');
    const status = (await plan(store, 'ranker-bandit')).status;
    assert.equal(status.bandit.arms.length, 3);
    const annotations = async () => ((await store.get({ ...VS, namespace: 'default', name: 'ranker' })) as KubeObject).metadata.annotations ?? {};
    assert.equal((await annotations())['switchyard.dev/allocation-version'], String(status.bandit.version), 'requests log the allocation they were assigned under');
    // Deleted while it runs (the watch hands the controller its last state): everything to the fallback arm.
    await ctl.released((await plan(store, 'ranker-bandit')) as never);
    assert.deepEqual((await http()).map((r) => [r.name, r.route.map((d) => d.weight)]), [['main', [100, 0, 0]]]);
    const p = await plan(store, 'ranker-bandit');
    p.metadata.annotations = { 'switchyard.dev/command': 'kill' };
    await store.update(PLANS, p, admin);
    await ctl.reconcile(await plan(store, 'ranker-bandit'));
    routes = await http();
    assert.equal((await plan(store, 'ranker-bandit')).status.phase, 'Aborted');
    assert.deepEqual(routes.map((r) => r.name), ['main'], 'the limit routes go with the bandit');
    assert.deepEqual(routes[0]!.route.map((d) => d.weight), [100, 0, 0]);
    assert.equal((await annotations())['switchyard.dev/allocation-version'], undefined, 'no allocation once it ended');
  }));

test('an InferenceService in Standard (RawDeployment) mode, whose status has no revisions (a cluster), is explained, and nothing moves', () =>
  withStore(async (store) => {
    await seed(store);
    const o = await isvc(store);
    (o as any).status = { deploymentMode: 'RawDeployment', components: { predictor: {} } }; // eslint-disable-line @typescript-eslint/no-explicit-any
    await store.update(ISVC, o, { ...admin, subresource: 'status' });
    const ctl = harness(store, () => stats(0, 0, {}), { t: 1_000_000 });
    await ctl.reconcile(await plan(store));
    const st = (await plan(store)).status;
    assert.equal(st.phase, 'Pending');
    assert.match(st.message, /waiting: InferenceService iris runs in Standard \(RawDeployment\) mode, which has no revisions to split: KServe moves canaryTrafficPercent only in Serverless mode/);
    const after = await isvc(store);
    assert.equal(after.spec.predictor.canaryTrafficPercent, undefined);
    assert.equal(after.spec.predictor.model.storageUri, 'pvc://models/v1', 'the candidate was not rolled out to every replica');
  }));

test('a second plan on a target another plan is moving waits, says for which, and starts once that one has ended', () =>
  withStore(async (store) => {
    const { clock, ctl } = await startedWithoutTraffic(store);
    const spec = trafficPlanSpec.parse({
      target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/v3' }, owner: { team: 'ml' },
      phases: [{ canary: { steps: [30, 100] } }], gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s', maxDuration: '1h',
    });
    await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-v3', namespace: 'default' }, spec } as KubeObject, admin);
    // Another namespace's plan on a service of the same name is no conflict.
    await store.create(PLANS, { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'iris-v3', namespace: 'other' }, spec } as KubeObject, admin);
    await ctl.reconcile(await plan(store, 'iris-v3'));
    const waiting = await plan(store, 'iris-v3');
    assert.equal(waiting.status.phase, 'Pending');
    assert.equal(waiting.status.message, 'waiting: InferenceService iris is being moved by TrafficPlan iris-v2 (Progressing); this plan starts once that one has ended');
    let o = await isvc(store);
    assert.deepEqual([o.spec.predictor.model.storageUri, o.spec.predictor.canaryTrafficPercent], ['pvc://models/v2', 10], 'the running plan keeps its split');
    await ctl.reconcile((await store.get({ ...PLANS, namespace: 'other', name: 'iris-v3' })) as never);
    assert.match(String(((await store.get({ ...PLANS, namespace: 'other', name: 'iris-v3' })) as KubeObject & { status: { message: string } }).status.message), /InferenceService other\/iris not found/, 'judged on its own, not held by the default namespace\'s plan');

    const running = await plan(store);
    running.metadata.annotations = { 'switchyard.dev/command': 'rollback' };
    await store.update(PLANS, running, admin);
    clock.t += 1000;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.phase, 'RolledBack');
    await ctl.reconcile(await plan(store, 'iris-v3'));
    assert.equal((await plan(store, 'iris-v3')).status.phase, 'Progressing');
    o = await isvc(store);
    assert.deepEqual([o.spec.predictor.model.storageUri, o.spec.predictor.canaryTrafficPercent], ['pvc://models/v3', 30]);
  }));

test('a running plan whose InferenceService is deleted ends Aborted at once, saying so, and settles without errors', () =>
  withStore(async (store) => {
    const { clock } = await startedWithoutTraffic(store);
    const problems: string[] = [];
    const logged = new PlanController({ store, readWindow: () => stats(0, 0, {}), now: () => clock.t, log: (line) => problems.push(line) });
    await store.delete({ ...ISVC, namespace: 'default', name: 'iris' }, admin);
    clock.t += 1000;
    await logged.reconcile(await plan(store));
    const p = await plan(store);
    assert.equal(p.status.phase, 'Aborted');
    assert.equal(p.status.message, 'InferenceService default/iris not found: it was deleted while the plan ran, so there is no split left to move');
    assert.equal((await store.listAudit()).at(-1)?.verb, 'plan/target-deleted');
    for (let i = 0; i < 3; i++) await logged.reconcile(await plan(store));
    assert.equal((await plan(store)).status.state.settled, true);
    assert.deepEqual(problems.filter((l) => /not found/.test(l) && !/deleted while/.test(l)), []);
  }));

test("a running plan whose steps change under it (a cluster's API server stores the edit) is held paused, refuses resume, and goes on once restored", () =>
  withStore(async (store) => {
    const { clock, ctl } = await startedWithoutTraffic(store);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 10);
    // Written past admission, as on a cluster: steps [10, 50] → [100].
    const edited = await plan(store);
    (edited.spec as { phases: Array<{ canary: { steps: number[] } }> }).phases[0]!.canary.steps = [100];
    await store.update(PLANS, edited, admin);
    clock.t = 1_010_400;
    await ctl.reconcile(await plan(store));
    let p = await plan(store);
    assert.equal(p.status.phase, 'Paused');
    assert.match(p.status.message, /^spec\.phases\[0\]\.canary\.steps changed while the plan ran; .*Restore it and resume, or abort/);
    assert.equal((await isvc(store)).spec.predictor.canaryTrafficPercent, 10, 'the candidate keeps its 10 %: not promoted on the old step\'s evidence');
    assert.deepEqual((await store.listAudit()).filter((r) => r.verb.startsWith('plan/')).map((r) => r.verb), ['plan/started', 'plan/spec-reshaped']);

    const annotate = async (command: string) => {
      const o = await plan(store);
      o.metadata.annotations = { ...o.metadata.annotations, 'switchyard.dev/command': command };
      await store.update(PLANS, o, admin);
    };
    await annotate('resume');
    clock.t += 1000;
    await ctl.reconcile(await plan(store));
    p = await plan(store);
    assert.equal(p.status.phase, 'Paused');
    assert.match(p.status.message, /^not resumed: spec\.phases\[0\]\.canary\.steps changed/);

    const restored = await plan(store);
    (restored.spec as { phases: Array<{ canary: { steps: number[] } }> }).phases[0]!.canary.steps = [10, 50];
    await store.update(PLANS, restored, admin);
    await annotate('resume');
    clock.t += 1000;
    await ctl.reconcile(await plan(store));
    assert.equal((await plan(store)).status.phase, 'Progressing');
  }));

test('a VirtualService route is one target whether a plan names it or takes the first route: the second plan waits', () =>
  withStore(async (store) => {
    await scoringRoute(store, ['v1', 'v2', 'v3']);
    const planOn = async (name: string, route: string | undefined, revision: string) => store.create(PLANS, {
      apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'default' },
      spec: trafficPlanSpec.parse({
        target: { virtualService: { name: 'scoring', ...(route ? { route } : {}) } }, candidate: { revision }, owner: { team: 'ml' },
        phases: [{ canary: { steps: [10, 50], hold: { minRequests: 100 } } }], gates: [{ metric: 'errorRate', max: 0.05 }], window: '10s',
      }),
    } as KubeObject, admin);
    const ctl = new PlanController({ store, now: () => 1_000_000, readWindow: () => stats(0, 0, {}) });
    await planOn('first-route', undefined, 'v2');
    await ctl.reconcile(await plan(store, 'first-route'));
    assert.equal((await plan(store, 'first-route')).status.phase, 'Progressing');
    await planOn('named-route', 'main', 'v3');
    await ctl.reconcile(await plan(store, 'named-route'));
    const waiting = await plan(store, 'named-route');
    assert.equal(waiting.status.phase, 'Pending');
    assert.match(waiting.status.message, /is being moved by TrafficPlan first-route/);
  }));
