// Trustworthy decisions at low traffic, end to end: real `switchyard up`,
// real ONNX models, ~100 requests per second through the gateway, the seed's
// 1 % error gate with 2 s windows and a 10 % first step. Each window holds
// about 20 candidate requests, far too few to decide alone; the step's
// evidence adds up, so an identical candidate is promoted through every step
// in a few minutes, and a candidate that fails 3 % of its requests is rolled
// back in its first step.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { apiFetch, removeDir, ROOT, startUp, until, type Up } from './harness.ts';
import { planTools } from './plans.ts';
import { startLoad } from './load.ts';

const RPS = 100;

interface GateStatus { metric: string; verdict: string; value?: number; samples?: { candidate: number }; needs?: { requests?: number; message: string } }
interface PlanStatus {
  phase?: string; currentStep?: number; message?: string; candidateRevision?: string;
  gates?: GateStatus[]; evidence?: { candidateRequests: number; windows: number };
  conditions?: Array<{ type: string; status: string; message?: string }>;
}

function plan(name: string, target: string, storageUri: string): string {
  return JSON.stringify({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'default' },
    spec: {
      target: { inferenceService: target }, candidate: { storageUri }, owner: { team: 'ml-platform' },
      phases: [{ canary: { steps: [10, 50, 100], hold: { minRequests: 150, passingWindows: 2, minDuration: '2s' } } }],
      gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }],
      window: '2s', maxDuration: '15m', rollback: { onGateFailure: true, keepWarm: '1h' },
    },
  });
}

describe('decisions at ~100 requests per second', { concurrency: false }, () => {
  let up: Up;
  const { ok, serve, status: planStatus } = planTools(() => up);
  const status = (name: string) => planStatus<PlanStatus>(name);

  before(async () => {
    up = await startUp();
    cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('an identical candidate is promoted through 10 → 50 → 100 % in a few minutes; status says what undecided gates need', async () => {
    await serve('iris-aa');
    const load = startLoad(up, 'iris-aa.default.example.com', { rps: RPS, concurrency: 16 });
    const started = Date.now();
    let sawNeeds: GateStatus | undefined;
    let sawSmallWindow = false;
    try {
      await ok(['apply', '-f', '-'], plan('iris-aa-v2', 'iris-aa', 'pvc://models/iris-v1-copy/'));
      const done = await until('the plan to finish', async () => {
        const s = await status('iris-aa-v2');
        if (s.currentStep === 0) {
          sawNeeds ??= s.gates?.find((g) => g.verdict === 'inconclusive' && g.needs?.requests !== undefined);
          // Evidence spans several windows: more candidate requests than one 2 s window holds.
          if ((s.evidence?.windows ?? 0) >= 3) sawSmallWindow = true;
        }
        return ['Promoted', 'RolledBack', 'Aborted'].includes(s.phase ?? '') ? s : undefined;
      }, 6 * 60_000);
      assert.equal(done.phase, 'Promoted', done.message);
      const minutes = (Date.now() - started) / 60_000;
      assert.ok(minutes < 5, `promoted after ${minutes.toFixed(1)} min`);
      assert.ok(sawNeeds, 'while undecided, a gate said how many more candidate requests it needs');
      assert.match(sawNeeds.needs!.message, /more candidate requests to pass/);
      assert.ok(sawSmallWindow, 'the first step was decided on several windows of evidence');
      const audit = await (await apiFetch(up, '/switchyard/v1/audit?limit=100000')).json() as { items: Array<{ verb: string; resource: string }> };
      const verbs = audit.items.filter((r) => r.resource === 'switchyard.dev/trafficplans/default/iris-aa-v2').map((r) => r.verb).filter((v) => v.startsWith('plan/'));
      assert.deepEqual(verbs, ['plan/started', 'plan/advanced', 'plan/advanced', 'plan/promoted']);
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'no request failed during the rollout');
  });

  test('a candidate failing 3 % of its requests is rolled back by errorRate in its first step', async () => {
    await serve('iris-err');
    // 3 % of rows carry a negative feature: the baseline answers them, the candidate fails them (500).
    const load = startLoad(up, 'iris-err.default.example.com', { rps: RPS, concurrency: 16, negativeShare: 0.03 });
    try {
      await ok(['apply', '-f', '-'], plan('iris-err-v2', 'iris-err', 'pvc://models/rejects-negative/'));
      const done = await until('the plan to finish', async () => {
        const s = await status('iris-err-v2');
        return ['Promoted', 'RolledBack', 'Aborted'].includes(s.phase ?? '') ? s : undefined;
      }, 6 * 60_000);
      assert.equal(done.phase, 'RolledBack', done.message);
      assert.equal(done.currentStep, 0, 'rolled back in the 10 % step');
      assert.match(done.message ?? '', /errorRate/);
      const gate = done.gates!.find((g) => g.metric === 'errorRate')!;
      assert.equal(gate.verdict, 'fail');
      assert.ok(gate.value! > 0.01, `the candidate's error rate ${gate.value}`);
      assert.equal((JSON.parse(await ok(['get', 'isvc', 'iris-err', '-o', 'json'])) as { spec: { predictor: { canaryTrafficPercent?: number } } }).spec.predictor.canaryTrafficPercent, 0);
    } finally {
      await load.stop();
    }
    assert.ok((load.seen.byStatus.get(500) ?? 0) > 0, 'the candidate did fail requests while it had traffic');
  });
});
