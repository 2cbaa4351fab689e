// Cluster mode end to end against a real kube-apiserver (built by
// scripts/kube-control-plane.sh): `switchyard controller`, logged in as the
// service account of deploy/rbac.yaml, runs TrafficPlans on InferenceServices
// of KServe's real CRD, judging health from a real Prometheus that scrapes
// Istio's standard metrics; the real kubectl shows what it did.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEEDS_CONTROL_PLANE, ROOT, startControlPlane, type ControlPlane } from './control-plane.ts';
import { skipUnless } from '../prerequisite.ts';
import { until } from '../until.ts';
import { exampleDataDir } from '../server/export-fixture.ts';
import { IstioMetrics, KServeDouble, PayloadLogger, startController, startPrometheus, startSinkProcess, type ControllerProcess, type Prometheus } from './cluster.ts';

const SKIP = NEEDS_CONTROL_PLANE || skipUnless(spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0, 'the prometheus binary is not installed (Debian package prometheus; .ci/run installs it)');
const NS = 'prod';
const SA = 'system:serviceaccount:switchyard-system:switchyard-controller';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function isvc(name: string, storageUri: string): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: NS },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri } } },
  });
}

function plan(name: string, target: string, storageUri: string, steps: number[], minRequests: number): string {
  return JSON.stringify({
    // Health gates only: this suite sends no payload-logger events for output gates, so the lint that asks for one is overridden.
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: NS, annotations: { 'switchyard.dev/lint-override': 'health-only-gates' } },
    spec: {
      target: { inferenceService: target }, candidate: { storageUri }, owner: { team: 'ml-platform' },
      phases: [{ canary: { steps, hold: { minRequests, passingWindows: 1 } } }],
      gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'latencyP99Ms', max: 500 }],
      window: '2s', maxDuration: '10m', rollback: { onGateFailure: true },
    },
  });
}

describe('cluster mode: switchyard controller on a real kube-apiserver', { skip: SKIP, concurrency: false }, () => {
  let cp: ControlPlane;
  let kserve: KServeDouble;
  let metrics: IstioMetrics;
  let prom: Prometheus;
  let saToken: string;
  let sink: Awaited<ReturnType<typeof startSinkProcess>>;
  let logger: PayloadLogger;
  let sinkDir: string;
  const controllers: ControllerProcess[] = [];

  const kubectl = (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input }).stdout;
  const planOf = (name: string): Obj => JSON.parse(kubectl(['get', 'trafficplan', name, '-n', NS, '-o', 'json']));
  const isvcOf = (name: string): Obj => JSON.parse(kubectl(['get', 'inferenceservice', name, '-n', NS, '-o', 'json']));
  const logs = () => controllers.map((c) => `--- ${c.identity}\n${c.output().slice(-3000)}`).join('\n');
  const waitPhase = (name: string, phases: string[], ms = 120_000) => until(`plan ${name} to reach ${phases.join('|')}`, () => {
    const p = planOf(name);
    return phases.includes(p.status?.phase) ? p : undefined;
  }, ms, () => `${JSON.stringify(planOf(name).status?.message)}\n${logs()}`);
  const events = (name: string): Obj[] => (JSON.parse(kubectl(['get', 'events.events.k8s.io', '-n', NS, '-o', 'json'])).items as Obj[])
    .filter((e) => e.regarding?.kind === 'TrafficPlan' && e.regarding?.name === name)
    .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  /** Waits until the KServe double has acted on the InferenceService's latest spec (its status observed that generation). */
  const reconciled = (name: string) => until(`KServe to reconcile ${name}`, () => {
    const o = isvcOf(name);
    return o.status?.observedGeneration === o.metadata.generation ? o : undefined;
  });
  const holder = () => JSON.parse(kubectl(['get', 'lease', 'switchyard-controller', '-n', 'switchyard-system', '-o', 'json'])).spec.holderIdentity as string;

  before(async () => {
    cp = await startControlPlane();
    await cp.installCrds([
      join(ROOT, 'deploy/crds/trafficplans.switchyard.dev.yaml'),
      join(ROOT, 'test/fixtures/crds/serving.kserve.io_inferenceservices.yaml'),
      join(ROOT, 'test/fixtures/crds/networking.istio.io_virtualservices.yaml'),
    ]);
    kubectl(['apply', '-f', join(ROOT, 'deploy/namespace.yaml'), '-f', join(ROOT, 'deploy/rbac.yaml')]);
    kubectl(['create', 'namespace', NS]);
    saToken = await cp.serviceAccountToken('switchyard-system', 'switchyard-controller');
    kserve = new KServeDouble(cp);
    kserve.start();
    metrics = new IstioMetrics(cp, kserve);
    await metrics.start();
    prom = await startPrometheus(metrics.port);
    sinkDir = mkdtempSync(join(tmpdir(), 'sy-cluster-sink-'));
    writeFileSync(join(sinkDir, 'feedback-tokens'), 'shop-backend-5e1d\n');
    sink = await startSinkProcess(sinkDir, join(sinkDir, 'feedback-tokens'));
    logger = new PayloadLogger(kserve, sink.url, 100, 'shop-backend-5e1d');
    logger.start();
    const kubeconfig = cp.kubeconfigFile(saToken, 'switchyard-controller');
    controllers.push(startController(kubeconfig, 'replica-a', prom.url, sink.url));
    await until('replica-a to take the lease', () => (cp.kubectl(['get', 'lease', 'switchyard-controller', '-n', 'switchyard-system'], { allowFail: true }).code === 0 ? true : undefined), 30_000, logs);
    controllers.push(startController(kubeconfig, 'replica-b', prom.url, sink.url));
  });

  after(async () => {
    for (const c of controllers) await c.stop().catch(() => undefined);
    kserve?.stop();
    logger?.stop();
    await sink?.stop();
    if (sinkDir) rmSync(sinkDir, { recursive: true, force: true });
    await metrics?.stop();
    await prom?.stop();
    await cp?.stop();
  });

  test('an identical candidate is promoted step by step: canaryTrafficPercent 25, 50, then removed; kubectl shows the plan and its Events', async () => {
    kubectl(['apply', '-f', '-'], isvc('iris', 'gs://models/iris/v1'));
    await until('KServe to roll out iris v1', () => isvcOf('iris').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('iris-v2', 'iris', 'gs://models/iris/v2', [25, 50], 150));
    const done = await waitPhase('iris-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'Promoted', done.status.message);

    const spec = (await reconciled('iris')).spec.predictor;
    assert.equal(spec.model.storageUri, 'gs://models/iris/v2');
    assert.equal(spec.canaryTrafficPercent, undefined, 'promotion removes canaryTrafficPercent');
    assert.deepEqual(kserve.canaryHistory.get(`${NS}/iris`), [25, 50, 'removed']);
    assert.deepEqual(isvcOf('iris').status.components.predictor.traffic.map((t: Obj) => [t.revisionName, t.percent]), [['iris-predictor-00002', 100]]);

    const table = kubectl(['get', 'tp', '-n', NS]);
    assert.match(table, /^NAME\s+TARGET\s+PHASE/m);
    assert.match(table, /iris-v2\s+iris\s+Promoted\s+canary 2\/2\s+100\s/);
    const evs = events('iris-v2');
    assert.deepEqual(evs.map((e) => e.action), ['plan/started', 'plan/advanced', 'plan/promoted']);
    assert.ok(evs.every((e) => e.reportingInstance === 'replica-a' && e.metadata.annotations['switchyard.dev/evidence-sha256']), JSON.stringify(evs.map((e) => e.reportingInstance)));
    assert.match(kubectl(['describe', 'tp', 'iris-v2', '-n', NS]), /Promoted\s+.*Progressing → Promoted/);
  });

  test('a degraded candidate (30 % 503s in Istio\'s metrics) is rolled back: canaryTrafficPercent 0', async () => {
    kubectl(['apply', '-f', '-'], isvc('rank', 'gs://models/rank/v1'));
    await until('KServe to roll out rank v1', () => isvcOf('rank').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('rank-v2', 'rank', 'gs://models/rank/v2-degraded', [25, 50], 150));
    const done = await waitPhase('rank-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'RolledBack', done.status.message);
    assert.equal((await reconciled('rank')).spec.predictor.canaryTrafficPercent, 0, 'rollback pins traffic to the previous revision');
    assert.deepEqual(kserve.canaryHistory.get(`${NS}/rank`), [25, 0]);
    const failed = events('rank-v2').at(-1)!;
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.action, 'plan/gate-failed');
    assert.match(failed.note, /Progressing → RolledBack/);
  });

  test('a candidate KServe cannot load (modelStatus BlockedByFailedLoad) is rolled back at once, with KServe\'s reason', async () => {
    kubectl(['apply', '-f', '-'], isvc('score', 'gs://models/score/v1'));
    await until('KServe to roll out score v1', () => isvcOf('score').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('score-v2', 'score', 'gs://models/score/v2-missing', [25, 50], 1_000_000));
    const done = await waitPhase('score-v2', ['Promoted', 'RolledBack', 'Aborted'], 30_000);
    assert.equal(done.status.phase, 'RolledBack', done.status.message);
    assert.equal(done.status.message, 'the candidate failed: revision score-predictor-00002: ModelLoadFailed: storage-initializer: gs://models/score/v2-missing not found');
    assert.equal((await reconciled('score')).spec.predictor.canaryTrafficPercent, 0);
    // The status says how to make the spec name what serves again; the command it gives works.
    const patch = /kubectl -n (\S+) patch isvc score --type merge -p '(.+)'$/.exec(done.status.restore ?? '');
    assert.ok(patch, done.status.restore);
    kubectl(['patch', 'isvc', 'score', '-n', patch[1]!, '--type', 'merge', '-p', patch[2]!]);
    const restored = isvcOf('score').spec.predictor;
    assert.deepEqual([restored.model.storageUri, restored.canaryTrafficPercent], ['gs://models/score/v1', undefined]);
    const failed = events('score-v2').at(-1)!;
    assert.deepEqual([failed.action, failed.type], ['plan/candidate-failed', 'Warning']);
  });

  test('blue-green: the candidate is previewed on KServe\'s latest tag at 0 %, judged on its preview traffic, then switched at once; a degraded one never takes live traffic', async () => {
    const blueGreen = (name: string, storageUri: string) => {
      const p = JSON.parse(plan(name, 'credit', storageUri, [100], 150));
      p.spec.phases = [{ blueGreen: { hold: { minRequests: 150, passingWindows: 2 } } }];
      return JSON.stringify(p);
    };
    kubectl(['apply', '-f', '-'], isvc('credit', 'gs://models/credit/v1'));
    await until('KServe to roll out credit v1', () => isvcOf('credit').status?.components?.predictor?.latestRolledoutRevision);

    kubectl(['apply', '-f', '-'], blueGreen('credit-v2', 'gs://models/credit/v2-degraded'));
    const previewed = await until('the degraded candidate on its preview tag', () => {
      const o = isvcOf('credit');
      return (o.status?.components?.predictor?.traffic as Obj[] | undefined)?.some((t) => t.tag === 'latest' && t.percent === 0 && t.latestRevision) ? o : undefined;
    }, 60_000, logs);
    assert.equal(previewed.metadata.annotations?.['serving.kserve.io/enable-tag-routing'], 'true', 'tag routing on, so the preview has its own host');
    assert.equal(previewed.spec.predictor.canaryTrafficPercent, 0);
    const failed = await waitPhase('credit-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(failed.status.phase, 'RolledBack', failed.status.message);
    assert.match(failed.status.message, /errorRate/);
    assert.deepEqual(kserve.canaryHistory.get(`${NS}/credit`), [0], 'the degraded candidate never took live traffic');
    assert.equal((await reconciled('credit')).status.components.predictor.latestRolledoutRevision, 'credit-predictor-00001');

    kubectl(['apply', '-f', '-'], blueGreen('credit-v3', 'gs://models/credit/v3'));
    const done = await waitPhase('credit-v3', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'Promoted', done.status.message);
    const errorRate = (done.status.gates as Obj[]).find((g) => g.metric === 'errorRate')!;
    assert.ok(errorRate.samples.candidate >= 150, `judged on the preview's own requests: ${JSON.stringify(errorRate)}`);
    const after = await reconciled('credit');
    assert.equal(after.spec.predictor.canaryTrafficPercent, undefined, 'the switch removes canaryTrafficPercent');
    assert.equal(after.spec.predictor.model.storageUri, 'gs://models/credit/v3');
    assert.deepEqual(kserve.canaryHistory.get(`${NS}/credit`), [0, 'removed'], 'from the preview to everything in one move');
    assert.deepEqual(after.status.components.predictor.traffic.map((t: Obj) => [t.revisionName, t.percent]), [['credit-predictor-00003', 100]]);
    assert.deepEqual(events('credit-v3').map((e) => e.action), ['plan/started', 'plan/promoted']);
  });

  test('a candidate whose answers shift (in the payload logger\'s CloudEvents, through switchyard sink) is rolled back on outputPSI', async () => {
    kubectl(['apply', '-f', '-'], isvc('spam', 'gs://models/spam/v1'));
    await until('KServe to roll out spam v1', () => isvcOf('spam').status?.components?.predictor?.latestRolledoutRevision);
    const p = JSON.parse(plan('spam-v2', 'spam', 'gs://models/spam/v2-shifted', [25, 50], 150));
    delete p.metadata.annotations;
    p.spec.gates = [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.2 }];
    kubectl(['apply', '-f', '-'], JSON.stringify(p));
    const done = await waitPhase('spam-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'RolledBack', done.status.message);
    assert.match(done.status.message, /outputPSI/);
    assert.equal((await reconciled('spam')).spec.predictor.canaryTrafficPercent, 0);
    const psi = (done.status.gates as Obj[]).find((g) => g.metric === 'outputPSI')!;
    assert.equal(psi.verdict, 'fail');
    assert.ok(psi.samples.candidate > 0 && psi.samples.baseline > 0, JSON.stringify(psi));
    assert.equal(events('spam-v2').at(-1)!.action, 'plan/gate-failed');
  });

  test('a candidate that sells less (purchase feedback posted to switchyard sink, joined by ce-id) is rolled back on an outcome gate', async () => {
    kubectl(['apply', '-f', '-'], isvc('shop', 'gs://models/shop/v1'));
    await until('KServe to roll out shop v1', () => isvcOf('shop').status?.components?.predictor?.latestRolledoutRevision);
    const p = JSON.parse(plan('shop-v2', 'shop', 'gs://models/shop/v2-lowconv', [25, 50], 150));
    delete p.metadata.annotations;
    // Seed 003's business guardrail: purchases per request no worse than −2 % relative (per request: the sink here names no units).
    p.spec.gates = [{ metric: 'errorRate', max: 0.05 }, { metric: 'purchase', outcome: { aggregate: 'conversion', per: 'request' }, minRelativeDelta: -0.02 }];
    kubectl(['apply', '-f', '-'], JSON.stringify(p));
    const done = await waitPhase('shop-v2', ['Promoted', 'RolledBack', 'Aborted'], 180_000).catch((err) => {
      throw new Error(`${(err as Error).message}\ngates: ${JSON.stringify(planOf('shop-v2').status?.gates)}`);
    });
    assert.equal(done.status.phase, 'RolledBack', done.status.message);
    assert.match(done.status.message, /purchase/);
    assert.equal((await reconciled('shop')).spec.predictor.canaryTrafficPercent, 0);
    const gate = (done.status.gates as Obj[]).find((g) => g.metric === 'purchase')!;
    assert.equal(gate.verdict, 'fail', JSON.stringify(gate));
    assert.equal(events('shop-v2').at(-1)!.action, 'plan/gate-failed');
  });

  test('the kill command (the switchyard.dev/command annotation) aborts at once, traffic on the baseline, and is consumed', async () => {
    kubectl(['apply', '-f', '-'], isvc('fraud', 'gs://models/fraud/v1'));
    await until('KServe to roll out fraud v1', () => isvcOf('fraud').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('fraud-v2', 'fraud', 'gs://models/fraud/v2', [10, 50], 1_000_000));
    await until('fraud at 10 %', () => (isvcOf('fraud').spec.predictor.canaryTrafficPercent === 10 ? true : undefined), 60_000, logs);
    kubectl(['annotate', 'tp', 'fraud-v2', '-n', NS, 'switchyard.dev/command=kill', 'switchyard.dev/command-by=alice', 'switchyard.dev/command-reason=bad dashboards']);
    const done = await waitPhase('fraud-v2', ['RolledBack', 'Aborted', 'Promoted'], 30_000);
    assert.equal(done.status.phase, 'Aborted');
    assert.equal((await reconciled('fraud')).spec.predictor.canaryTrafficPercent, 0);
    await until('the command to be consumed', () => (planOf('fraud-v2').metadata.annotations?.['switchyard.dev/command'] === undefined ? true : undefined));
    const kill = events('fraud-v2').at(-1)!;
    assert.deepEqual([kill.action, kill.type, kill.metadata.annotations['switchyard.dev/actor']], ['plan/kill', 'Warning', 'alice']);
  });

  test('a running plan whose steps are patched (the API server stores it) is held Paused at its step; resume waits until they are restored', async () => {
    kubectl(['apply', '-f', '-'], isvc('payout', 'gs://models/payout/v1'));
    await until('KServe to roll out payout v1', () => isvcOf('payout').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('payout-v2', 'payout', 'gs://models/payout/v2', [10, 50], 1_000_000));
    await until('payout at 10 %', () => (isvcOf('payout').spec.predictor.canaryTrafficPercent === 10 ? true : undefined), 60_000, logs);
    const steps = (value: number[]) => kubectl(['patch', 'tp', 'payout-v2', '-n', NS, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/phases/0/canary/steps', value }])]);
    steps([100]);
    const held = await waitPhase('payout-v2', ['Paused', 'Promoted', 'RolledBack', 'Aborted'], 30_000);
    assert.equal(held.status.phase, 'Paused', held.status.message);
    assert.match(held.status.message, /spec\.phases\[0\]\.canary\.steps changed while the plan ran/);
    assert.equal(isvcOf('payout').spec.predictor.canaryTrafficPercent, 10, 'not promoted on the 10 % step');
    assert.equal(events('payout-v2').at(-1)!.action, 'plan/spec-reshaped');
    kubectl(['annotate', 'tp', 'payout-v2', '-n', NS, 'switchyard.dev/command=resume']);
    await until('the refused resume to be said', () => (/^not resumed/.test(planOf('payout-v2').status?.message ?? '') ? true : undefined), 30_000, logs);
    steps([10, 50]);
    kubectl(['annotate', '--overwrite', 'tp', 'payout-v2', '-n', NS, 'switchyard.dev/command=resume']);
    await waitPhase('payout-v2', ['Progressing'], 30_000);
    kubectl(['annotate', '--overwrite', 'tp', 'payout-v2', '-n', NS, 'switchyard.dev/command=abort']);
    await waitPhase('payout-v2', ['Aborted'], 30_000);
  });

  test('switchyard plan rollback speaks to the cluster\'s API server as to switchyard up\'s: the controller acts and the CLI reports it', async () => {
    kubectl(['apply', '-f', '-'], isvc('loan', 'gs://models/loan/v1'));
    await until('KServe to roll out loan v1', () => isvcOf('loan').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('loan-v2', 'loan', 'gs://models/loan/v2', [10, 50], 1_000_000));
    await until('loan at 10 %', () => (isvcOf('loan').spec.predictor.canaryTrafficPercent === 10 ? true : undefined), 60_000, logs);
    const out = spawnSync(process.execPath, [join(ROOT, 'bin/switchyard.js'), 'plan', 'rollback', 'loan-v2', '-n', NS, '--kubeconfig', cp.kubeconfigFile(), '--reason', 'INC-7', '--wait', '30s'], { encoding: 'utf8', cwd: ROOT });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /trafficplan\.switchyard\.dev\/loan-v2 rolled back: phase RolledBack/);
    assert.equal((await reconciled('loan')).spec.predictor.canaryTrafficPercent, 0);
    const ev = events('loan-v2').at(-1)!;
    assert.equal(ev.action, 'plan/rollback');
    assert.match(ev.note, /INC-7/);
  });

  test('the controller\'s service account may do only what deploy/rbac.yaml grants: Secrets and other kinds are 403', () => {
    const as = (args: string[]) => cp.kubectl(args, { token: saToken, allowFail: true });
    for (const args of [['get', 'secrets', '-n', NS], ['get', 'pods', '-n', NS], ['delete', 'isvc', 'iris', '-n', NS], ['create', 'namespace', 'x'], ['get', 'lease', '-n', 'kube-system']]) {
      const r = as(args);
      assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should be refused`);
      assert.match(r.stderr, /Forbidden|forbidden/, r.stderr);
      assert.ok(r.stderr.includes(SA), r.stderr);
    }
    assert.equal(as(['get', 'isvc', 'iris', '-n', NS]).code, 0);
    assert.equal(as(['get', 'tp', '-A']).code, 0);
  });

  test('a VirtualService target: route weights move to the candidate subset step by step and stay there on promotion', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'rec', namespace: NS },
      spec: { hosts: ['rec'], http: [{ name: 'primary', route: [{ destination: { host: 'rec', subset: 'v1' }, weight: 100 }, { destination: { host: 'rec', subset: 'v2' }, weight: 0 }] }] },
    }));
    const p = JSON.parse(plan('rec-v2', 'unused', 'unused', [30, 60], 150));
    p.spec.target = { virtualService: { name: 'rec', route: 'primary' } };
    p.spec.candidate = { revision: 'v2' };
    kubectl(['apply', '-f', '-'], JSON.stringify(p));
    const weights = () => (JSON.parse(kubectl(['get', 'virtualservice', 'rec', '-n', NS, '-o', 'json'])).spec.http[0].route as Obj[]).map((d) => [d.destination.subset, d.weight]);
    await until('rec at 30 %', () => (JSON.stringify(weights()) === JSON.stringify([['v1', 70], ['v2', 30]]) ? true : undefined), 60_000, logs);
    const done = await waitPhase('rec-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'Promoted', done.status.message);
    assert.deepEqual(weights(), [['v1', 0], ['v2', 100]]);
    assert.deepEqual(events('rec-v2').map((e) => e.action), ['plan/started', 'plan/advanced', 'plan/promoted']);
  });

  test('a plan cluster mode cannot run (a shadow phase) is refused in its status, and nothing is touched', async () => {
    kubectl(['apply', '-f', '-'], isvc('ads', 'gs://models/ads/v1'));
    await until('KServe to roll out ads v1', () => isvcOf('ads').status?.components?.predictor?.latestRolledoutRevision);
    const p = JSON.parse(plan('ads-v2', 'ads', 'gs://models/ads/v2', [50], 150));
    p.spec.phases = [{ shadow: { percent: 50, exit: { pairedRequests: 100, maxDuration: '10m' } } }];
    p.spec.gates = [{ metric: 'agreement', min: 0.98 }, { metric: 'errorRate', max: 0.02 }];
    kubectl(['apply', '-f', '-'], JSON.stringify(p));
    const refused = await until('ads-v2 to be refused', () => planOf('ads-v2').status?.conditions?.find((c: Obj) => c.type === 'Accepted'), 30_000, logs);
    assert.deepEqual([refused.status, refused.reason], ['False', 'UnsupportedInCluster']);
    assert.match(refused.message, /spec\.phases\[0\]\.shadow: a shadow phase needs Switchyard's gateway/);
    assert.equal(isvcOf('ads').spec.predictor.model.storageUri, 'gs://models/ads/v1');
    assert.equal(isvcOf('ads').spec.predictor.canaryTrafficPercent, undefined);
  });

  test('a plan on an InferenceService in Standard (RawDeployment) mode says why it cannot split, and writes nothing', async () => {
    const raw = JSON.parse(isvc('churn', 'gs://models/churn/v1'));
    raw.metadata.annotations = { 'serving.kserve.io/deploymentMode': 'RawDeployment' };
    kubectl(['apply', '-f', '-'], JSON.stringify(raw));
    await until('KServe to report churn in RawDeployment mode', () => (isvcOf('churn').status?.deploymentMode === 'RawDeployment' ? true : undefined));
    kubectl(['apply', '-f', '-'], plan('churn-v2', 'churn', 'gs://models/churn/v2', [50], 150));
    const explained = await until('churn-v2 to explain', () => {
      const message = planOf('churn-v2').status?.message as string | undefined;
      return message && /Standard \(RawDeployment\)/.test(message) ? message : undefined;
    }, 30_000, logs);
    assert.match(explained, /InferenceService churn runs in Standard \(RawDeployment\) mode, which has no revisions to split: KServe moves canaryTrafficPercent only in Serverless mode\. Run it in Serverless mode, or target a VirtualService/);
    const spec = isvcOf('churn').spec.predictor;
    assert.deepEqual([spec.model.storageUri, spec.canaryTrafficPercent], ['gs://models/churn/v1', undefined], 'the candidate was not rolled out to every replica');
    kubectl(['delete', 'trafficplan', 'churn-v2', '-n', NS]);
  });

  test('switchyard export renders a data directory\'s objects as manifests the real API server accepts under KServe\'s and Istio\'s CRDs', async () => {
    const { dir } = await exampleDataDir();
    try {
      const out = spawnSync(process.execPath, [join(ROOT, 'bin/switchyard.js'), 'export', '--data-dir', dir], { encoding: 'utf8', cwd: ROOT });
      assert.equal(out.status, 0, out.stderr);
      kubectl(['create', 'namespace', 'demo']);
      const applied = cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-', '-o', 'name'], { input: out.stdout });
      assert.deepEqual(applied.stdout.trim().split('\n'), ['inferenceservice.serving.kserve.io/iris', 'virtualservice.networking.istio.io/iris-router', 'trafficplan.switchyard.dev/iris-v2']);
      assert.equal(applied.stderr, '', 'no field the CRDs do not know (strict validation warns)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kill -9 of the leader mid-plan: the other replica takes the Lease and finishes the plan, no step repeated', async (t) => {
    const leader = controllers.find((c) => c.identity === holder())!;
    const follower = controllers.find((c) => c !== leader)!;
    kubectl(['apply', '-f', '-'], isvc('churn', 'gs://models/churn/v1'));
    await until('KServe to roll out churn v1', () => isvcOf('churn').status?.components?.predictor?.latestRolledoutRevision);
    kubectl(['apply', '-f', '-'], plan('churn-v2', 'churn', 'gs://models/churn/v2', [20, 40, 60], 150));
    await until('churn at 40 %', () => (isvcOf('churn').spec.predictor.canaryTrafficPercent === 40 ? true : undefined), 150_000, logs);
    const killedAt = Date.now();
    leader.proc.kill('SIGKILL');
    const tookAt = await until(`${follower.identity} to take the lease`, () => (holder() === follower.identity ? Date.now() : undefined), 20_000, logs);
    // Within the lease duration (4 s) of the leader's last renewal, plus a retry period and this poll.
    assert.ok(tookAt - killedAt < 6000, `took over ${tookAt - killedAt} ms after the kill`);
    t.diagnostic(`${follower.identity} took the lease ${tookAt - killedAt} ms after kill -9 of ${leader.identity}`);
    const done = await waitPhase('churn-v2', ['Promoted', 'RolledBack', 'Aborted']);
    assert.equal(done.status.phase, 'Promoted', done.status.message);
    await reconciled('churn');
    assert.deepEqual(kserve.canaryHistory.get(`${NS}/churn`), [20, 40, 60, 'removed']);
    const evs = events('churn-v2');
    assert.deepEqual(evs.map((e) => e.action), ['plan/started', 'plan/advanced', 'plan/advanced', 'plan/promoted'], 'each step once');
    const steps = evs.map((e) => JSON.parse(e.metadata.annotations['switchyard.dev/evidence']).step?.percent);
    // Started names the first step; every later transition the step it left: each step left once.
    assert.deepEqual(steps, [20, 20, 40, 60]);
    assert.equal(evs.at(-1)!.reportingInstance, follower.identity);
    assert.ok(Date.parse(evs.at(-1)!.eventTime) > killedAt);
  });
});
