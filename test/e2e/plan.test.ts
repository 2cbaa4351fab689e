// TrafficPlans end to end: real `switchyard up`, real ONNX models, real
// kubectl, generated load through the gateway. A behaviourally identical
// candidate is promoted through every step; a candidate healthy on HTTP
// but answering one class is rolled back by outputPSI in its first step; a
// candidate answering 500 is rolled back by errorRate; kill works with the
// candidate's process stopped (hung); kill -9 of the whole process mid-step
// resumes at the same step with its counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { apiFetch, removeDir, ROOT, startUp, until, type Up } from './harness.ts';
import { planTools } from './plans.ts';
import { CENTERS, startLoad } from './load.ts';

const K = '1.33';

interface PlanStatus {
  phase?: string; currentStep?: number; canaryPercent?: number; stepRequests?: number; stepStartedAt?: string; message?: string;
  candidateRevision?: string; baselineRevision?: string; gates?: Array<{ metric: string; verdict: string; value?: number }>;
}

function isvcYaml(name: string, storageUri: string, annotations?: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri } } },
  });
}

function planYaml(name: string, target: string, storageUri: string, o: { steps: number[]; minRequests: number; gates: object[]; window?: string; minDuration?: string; keepWarm?: string }): string {
  return JSON.stringify({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'default' },
    spec: {
      target: { inferenceService: target }, candidate: { storageUri }, owner: { team: 'ml-platform', canHalt: ['sre'] },
      phases: [{ canary: { steps: o.steps, hold: { minRequests: o.minRequests, passingWindows: 1, ...(o.minDuration ? { minDuration: o.minDuration } : {}) } } }],
      gates: o.gates, window: o.window ?? '2s', maxDuration: '10m', rollback: { onGateFailure: true, keepWarm: o.keepWarm ?? '1h' },
    },
  });
}

const HEALTH = [{ metric: 'errorRate', max: 0.05 }, { metric: 'latencyP99Ms', max: 2000 }];
const PSI = { metric: 'outputPSI', max: 0.2 };

describe('TrafficPlan end to end', { concurrency: false }, () => {
  let up: Up;
  const tools = planTools(() => up);
  const { ok } = tools;
  const planStatus = (name: string) => tools.status<PlanStatus>(name);
  const isvcSpec = async (name: string) => JSON.parse(await ok(['get', 'isvc', name, '-o', 'json'])) as { spec: { predictor: { canaryTrafficPercent?: number } }; status: { components: { predictor: { latestRolledoutRevision?: string } } } };
  const auditOf = (name: string) => tools.audit<{ verb: string; actor: string; evidence?: { step: { stepIndex: number; percent: number }; evidence: { requestsInStep: number } } }>(name);
  const { serve } = tools;
  const waitPhase = (name: string, phases: string[], ms?: number) => tools.waitPhase<PlanStatus>(name, phases, ms);

  before(async () => {
    up = await startUp();
    // A behaviourally identical candidate: the same model under another path (so another revision).
    cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('an identical candidate is promoted through every step, audited step by step', async () => {
    await serve('iris-a', 'pvc://models/iris-v1/');
    const load = startLoad(up, 'iris-a.default.example.com');
    try {
      await ok(['apply', '-f', '-'], planYaml('iris-a-v2', 'iris-a', 'pvc://models/iris-v1-copy/', { steps: [25, 50, 100], minRequests: 150, gates: [...HEALTH, PSI] }));
      const done = await waitPhase('iris-a-v2', ['Promoted', 'RolledBack', 'Aborted', 'Paused']);
      assert.equal(done.phase, 'Promoted', done.message);
      const isvc = await isvcSpec('iris-a');
      assert.equal(isvc.spec.predictor.canaryTrafficPercent, undefined, 'promotion removes canaryTrafficPercent');
      assert.equal(isvc.status.components.predictor.latestRolledoutRevision, done.candidateRevision);
      const audit = await auditOf('iris-a-v2');
      assert.deepEqual(audit.map((r) => r.verb), ['plan/started', 'plan/advanced', 'plan/advanced', 'plan/promoted']);
      assert.deepEqual(audit.map((r) => r.evidence!.step.percent), [25, 25, 50, 100]);
      for (const r of audit.slice(1)) assert.ok(r.evidence!.evidence.requestsInStep >= 150, 'each step met its request budget');
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'no request failed during the rollout');
  });

  test('a candidate healthy on HTTP with shifted outputs is rolled back by outputPSI in its first step, and scales to zero after keepWarm', async () => {
    // A 6 s autoscaling window (Knative's least) so the cold candidate is seen idle soon after keepWarm ends.
    await serve('iris-b', 'pvc://models/iris-v1/', { 'autoscaling.knative.dev/window': '6s' });
    const load = startLoad(up, 'iris-b.default.example.com');
    try {
      await ok(['apply', '-f', '-'], planYaml('iris-b-v2', 'iris-b', 'pvc://models/const-setosa/', { steps: [25, 50, 100], minRequests: 150, gates: [...HEALTH, PSI], window: '3s', keepWarm: '5s' }));
      const done = await waitPhase('iris-b-v2', ['Promoted', 'RolledBack', 'Aborted']);
      assert.equal(done.phase, 'RolledBack', done.message);
      assert.match(done.message ?? '', /outputPSI/);
      assert.equal(done.currentStep, 0, 'rolled back within the first step');
      // Healthy on HTTP: no error, so errorRate never failed (outputPSI may decide before it has the evidence to pass).
      const errors = done.gates?.find((g) => g.metric === 'errorRate');
      assert.equal(errors?.value ?? 0, 0, 'healthy on HTTP (every answer was a 200: asserted below)');
      assert.ok(errors?.verdict === 'pass' || errors?.verdict === 'inconclusive', `errorRate ${errors?.verdict}`);
      assert.equal((await isvcSpec('iris-b')).spec.predictor.canaryTrafficPercent, 0);
      const rolled = (await auditOf('iris-b-v2')).at(-1)!;
      assert.equal(rolled.verb, 'plan/gate-failed');
      assert.equal(rolled.evidence!.step.stepIndex, 0);
      // Each transition is an Event on the plan too, as in a cluster (`kubectl describe trafficplan`).
      const events = await until('the plan\'s Events', async () => {
        const { items } = JSON.parse(await ok(['get', 'events', '--field-selector', 'involvedObject.kind=TrafficPlan,involvedObject.name=iris-b-v2', '-o', 'json'])) as { items: Array<{ reason: string; type: string; message: string }> };
        return items.length >= 2 ? items : undefined;
      });
      assert.deepEqual(events.map((e) => `${e.type} ${e.reason}`).sort(), ['Normal Started', 'Warning GateFailed']);
      assert.match(events.find((e) => e.reason === 'GateFailed')!.message, /^Progressing → RolledBack: gate failed \(outputPSI/);
      // Warm for keepWarm, then, with no traffic, scaled to zero as Knative does (Knative's 30 s grace included).
      const pods = async (rev: string) => (await ok(['get', 'pods', '-l', `serving.knative.dev/revision=${rev}`, '-o', 'name'])).split('\n').filter(Boolean).length;
      assert.equal(await pods(done.candidateRevision!), 1, 'warm right after the rollback');
      await until('the cold candidate to scale to zero', async () => ((await pods(done.candidateRevision!)) === 0 ? true : undefined), 90_000);
      assert.equal(await pods(done.baselineRevision!), 1, 'the baseline keeps serving');
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200]);
  });

  test('a candidate answering 500 is rolled back by errorRate, and traffic returns to the baseline', async () => {
    await serve('iris-c', 'pvc://models/iris-v1/');
    const load = startLoad(up, 'iris-c.default.example.com');
    try {
      await ok(['apply', '-f', '-'], planYaml('iris-c-v2', 'iris-c', 'pvc://models/fails-at-inference/', { steps: [25, 50, 100], minRequests: 150, gates: [...HEALTH, PSI] }));
      const done = await waitPhase('iris-c-v2', ['Promoted', 'RolledBack', 'Aborted']);
      assert.equal(done.phase, 'RolledBack', done.message);
      assert.match(done.message ?? '', /errorRate/);
      assert.ok(load.seen.byStatus.get(500)! > 0, 'the candidate did answer 500 while it had traffic');
      const before = load.seen.byStatus.get(500)!;
      await new Promise((r) => setTimeout(r, 1500));
      const mark = load.seen.byStatus.get(500)!;
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(load.seen.byStatus.get(500), mark, `no 500 after the rollback settled (${before} before)`);
    } finally {
      await load.stop();
    }
  });

  test("an identical candidate starting from zero is promoted: the activator's hold during its cold start is not its latency", async () => {
    // KServe serverless with minReplicas 0 and initial-scale 0: the candidate's revision starts at zero,
    // so its first requests wait in the activator while a replica loads the model.
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
      metadata: { name: 'iris-z', namespace: 'default', annotations: { 'autoscaling.knative.dev/initial-scale': '0' } },
      spec: { predictor: { minReplicas: 0, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } },
    }));
    await ok(['wait', '--for=condition=Ready', 'isvc/iris-z', '--timeout=60s']);
    // Paced, as real clients are: requests keep arriving while the candidate loads, so many wait.
    const load = startLoad(up, 'iris-z.default.example.com', { rps: 60, concurrency: 64 });
    try {
      await until('the baseline to serve', async () => ((load.seen.byStatus.get(200) ?? 0) > 20 ? true : undefined), 60_000);
      const p99 = { metric: 'latencyP99Ms', max: 250 };
      await ok(['apply', '-f', '-'], planYaml('iris-z-v2', 'iris-z', 'pvc://models/iris-v1-copy/', { steps: [25, 100], minRequests: 150, gates: [{ metric: 'errorRate', max: 0.05 }, p99, PSI] }));
      const done = await waitPhase('iris-z-v2', ['Promoted', 'RolledBack', 'Aborted', 'Paused']);
      assert.equal(done.phase, 'Promoted', done.message);
      // It did start cold: requests were held for it, longer than the gate allows.
      const metrics = await (await fetch(`${up.gatewayUrl}/metrics`)).text();
      const held = new RegExp(`switchyard_activator_wait_seconds_total\\{namespace="default",service="iris-z",revision="${done.candidateRevision}",role="primary"\\} (\\S+)`).exec(metrics);
      const heldRequests = new RegExp(`switchyard_activator_requests_total\\{namespace="default",service="iris-z",revision="${done.candidateRevision}",role="primary"\\} (\\S+)`).exec(metrics);
      assert.ok(held && heldRequests, 'the activator held requests for the candidate');
      const meanHeldMs = (1000 * Number(held[1])) / Number(heldRequests[1]);
      assert.ok(meanHeldMs > p99.max, `held ${meanHeldMs.toFixed(0)} ms on average: a cold start longer than the gate's ${p99.max} ms`);
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'every held request was answered');
  });

  test('kill moves traffic back at once while the candidate process is hung', async () => {
    await serve('iris-d', 'pvc://models/iris-v1/');
    const load = startLoad(up, 'iris-d.default.example.com', { concurrency: 2 });
    let pid: number | undefined;
    try {
      await ok(['apply', '-f', '-'], planYaml('iris-d-v2', 'iris-d', 'pvc://models/iris-v1-copy/', { steps: [50, 100], minRequests: 1_000_000, gates: [...HEALTH, PSI] }));
      const s = await until('the candidate to take traffic', async () => {
        const st = await planStatus('iris-d-v2');
        return st.candidateRevision && (load.seen.byRevision.get(st.candidateRevision) ?? 0) > 20 ? st : undefined;
      }, 90_000);
      pid = Number(execFileSync('pgrep', ['-f', `default/${s.candidateRevision}/model`]).toString().trim().split('\n')[0]);
      process.kill(pid, 'SIGSTOP'); // hung: accepts connections, never answers
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await ok(['annotate', 'tp', 'iris-d-v2', 'switchyard.dev/command=kill', 'switchyard.dev/command-reason=candidate hung', '--overwrite']);
      const killed = await waitPhase('iris-d-v2', ['Aborted'], 10_000);
      const tookMs = Date.now() - started;
      assert.match(killed.message ?? '', /kill switch.*candidate hung/);
      assert.ok(tookMs < 5000, `kill took ${tookMs} ms`);
      assert.equal((await isvcSpec('iris-d')).spec.predictor.canaryTrafficPercent, 0);
      const audit = (await auditOf('iris-d-v2')).at(-1)!;
      assert.equal(audit.verb, 'plan/kill');
      assert.equal(audit.actor, 'admin:admin', 'the audit names who pulled the switch (role:name)');
      // New requests are answered by the baseline while the candidate is still stopped.
      await new Promise((r) => setTimeout(r, 500));
      const pool = new Pool(up.gatewayUrl);
      for (let i = 0; i < 30; i++) {
        const res = await pool.request({ path: '/v1/models/iris-d:predict', method: 'POST', headers: { host: 'iris-d.default.example.com' }, body: JSON.stringify({ instances: [CENTERS[1]] }), headersTimeout: 3000 });
        await res.body.arrayBuffer();
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['x-switchyard-revision'], killed.baselineRevision);
      }
      await pool.close();
    } finally {
      if (pid) process.kill(pid, 'SIGCONT');
      await load.stop();
    }
  });

  test('blueGreen: the candidate is judged on preview traffic through its tag host, then takes all traffic at once', async () => {
    await serve('iris-f', 'pvc://models/iris-v1/');
    const live = startLoad(up, 'iris-f.default.example.com', { concurrency: 2 });
    const preview = startLoad(up, 'latest-iris-f-predictor.default.example.com', { concurrency: 2, model: 'iris-f' });
    try {
      const plan = JSON.parse(planYaml('iris-f-v2', 'iris-f', 'pvc://models/iris-v1-copy/', { steps: [100], minRequests: 200, gates: [...HEALTH, PSI] }));
      plan.spec.phases = [{ blueGreen: { preview: { tag: 'latest' }, hold: { minRequests: 200, passingWindows: 2 } } }];
      await ok(['apply', '-f', '-'], JSON.stringify(plan));
      const previewing = await until('the preview to serve the candidate', async () => {
        const st = await planStatus('iris-f-v2');
        return st.candidateRevision && (preview.seen.byRevision.get(st.candidateRevision) ?? 0) > 50 ? st : undefined;
      }, 90_000, () => JSON.stringify({ preview: [...preview.seen.byRevision], status: [...preview.seen.byStatus], live: [...live.seen.byRevision] }));
      const liveBefore = live.seen.byRevision.get(previewing.candidateRevision!) ?? 0;
      const done = await waitPhase('iris-f-v2', ['Promoted', 'RolledBack', 'Aborted']);
      assert.equal(done.phase, 'Promoted', done.message);
      assert.equal(liveBefore, 0, 'live traffic never reached the candidate during the preview');
      await new Promise((r) => setTimeout(r, 1500));
      const mark = live.seen.byRevision.get(done.candidateRevision!) ?? 0;
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok((live.seen.byRevision.get(done.candidateRevision!) ?? 0) > mark, 'after the switch live traffic reaches the candidate');
      const audit = await auditOf('iris-f-v2');
      assert.deepEqual(audit.map((r) => r.verb), ['plan/started', 'plan/promoted']);
      assert.ok(audit[1]!.evidence!.evidence.requestsInStep >= 200, 'judged on enough preview requests');
    } finally {
      await Promise.all([live.stop(), preview.stop()]);
    }
    assert.deepEqual([...live.seen.byStatus.keys()], [200]);
    assert.deepEqual([...preview.seen.byStatus.keys()], [200]);
  });

  test('kill -9 mid-step: traffic stays put, and the plan resumes at the same step with its counts', async () => {
    await serve('iris-e', 'pvc://models/iris-v1/');
    let load = startLoad(up, 'iris-e.default.example.com');
    let last: PlanStatus = {};
    let mid: PlanStatus;
    try {
      await ok(['apply', '-f', '-'], planYaml('iris-e-v2', 'iris-e', 'pvc://models/iris-v1-copy/', { steps: [20, 100], minRequests: 600, minDuration: '20s', gates: [...HEALTH, PSI] }));
      mid = await until('requests to count in step 0', async () => {
        const st = (last = await planStatus('iris-e-v2'));
        return st.phase === 'Progressing' && st.currentStep === 0 && (st.stepRequests ?? 0) > 0 ? st : undefined;
      }, 90_000, () => `${JSON.stringify({ ...last, state: undefined })}; load ${JSON.stringify([...load.seen.byRevision])}`);
    } finally {
      await load.stop();
    }
    up.proc.kill('SIGKILL');
    await up.stop();
    up = await startUp([], up.dataDir);
    const resumed = await planStatus('iris-e-v2');
    assert.equal(resumed.currentStep, 0);
    assert.equal(resumed.stepStartedAt, mid.stepStartedAt, 'the step timer survives');
    assert.ok((resumed.stepRequests ?? 0) >= mid.stepRequests!, 'the request count survives');
    assert.equal((await isvcSpec('iris-e')).spec.predictor.canaryTrafficPercent, 20, 'traffic stayed where it was');
    await ok(['wait', '--for=condition=Ready', 'isvc/iris-e', '--timeout=60s']);
    load = startLoad(up, 'iris-e.default.example.com');
    try {
      const done = await waitPhase('iris-e-v2', ['Promoted', 'RolledBack', 'Aborted']);
      assert.equal(done.phase, 'Promoted', done.message);
    } finally {
      await load.stop();
    }
    const verbs = (await auditOf('iris-e-v2')).map((r) => r.verb);
    assert.deepEqual(verbs, ['plan/started', 'plan/advanced', 'plan/promoted'], 'no step done twice');
  });
});
