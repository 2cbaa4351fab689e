// The shadow phase end to end: real `switchyard up`, real ONNX models, load
// through the gateway, pairs joined in the real prediction log. An identical
// candidate passes its shadow and goes on into its canary; one that answers
// the next class for ~10 % of requests (rows with a negative feature) is
// rolled back in shadow by agreement, and no client ever got its answer; a
// hung candidate changes no client answer nor the clients' latency, and the
// plan reports its failed copies and rolls back; kill -9 of the whole
// process mid-shadow resumes with the pairs already judged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { apiFetch, kubectl, removeDir, ROOT, startUp, until, type Up } from './harness.ts';
import { KUBECTL as K, planTools } from './plans.ts';
import { startLoad } from './load.ts';


interface Shadow { pairs: number; compared: number; agreement?: number; candidateErrors: number; confusion?: Record<string, Record<string, number>> }
interface PlanStatus {
  phase?: string; phaseIndex?: number; currentStep?: number; message?: string; candidateRevision?: string; baselineRevision?: string;
  shadow?: Shadow; gates?: Array<{ metric: string; verdict: string; value?: number; skipped?: boolean }>;
  conditions?: Array<{ type: string; lastTransitionTime: string }>;
}

function plan(name: string, target: string, storageUri: string, o: { pairedRequests: number; then?: boolean; percent?: number }): string {
  return JSON.stringify({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'default' },
    spec: {
      target: { inferenceService: target }, candidate: { storageUri }, owner: { team: 'ml-platform' },
      phases: [
        { shadow: { percent: o.percent ?? 50, exit: { pairedRequests: o.pairedRequests, maxDuration: '10m' } } },
        ...(o.then ? [{ canary: { steps: [50, 100], hold: { minRequests: 200, passingWindows: 1 } } }] : []),
      ],
      gates: [
        { metric: 'agreement', min: 0.98 }, { metric: 'candidateErrorRate', max: 0.02 },
        { metric: 'errorRate', max: 0.02 }, { metric: 'outputPSI', max: 0.2 },
      ],
      window: '2s', maxDuration: '15m', rollback: { onGateFailure: true, keepWarm: '1h' },
    },
  });
}

describe('shadow phase', { concurrency: false }, () => {
  let up: Up;
  const { ok, serve, status: planStatus, waitPhase } = planTools(() => up);
  const status = (name: string) => planStatus<PlanStatus>(name);
  const finished = (name: string, ms = 5 * 60_000) => waitPhase<PlanStatus>(name, ['Promoted', 'Validated', 'RolledBack', 'Aborted', 'Paused'], ms);

  before(async () => {
    up = await startUp();
    cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('an identical candidate passes its shadow (agreement 1) and goes on into its canary; no client answer came from it in the shadow', async () => {
    await serve('iris-sa');
    const load = startLoad(up, 'iris-sa.default.example.com', { rps: 100, concurrency: 16 });
    try {
      await ok(['apply', '-f', '-'], plan('iris-sa-v2', 'iris-sa', 'pvc://models/iris-v1-copy/', { pairedRequests: 400, then: true }));
      const inCanary = await until('the shadow to pass', async () => {
        const s = await status('iris-sa-v2');
        if (s.phase !== 'Progressing' && s.phase !== 'Pending') return s;
        return s.phaseIndex === 1 ? s : undefined;
      }, 4 * 60_000);
      assert.equal(inCanary.phaseIndex, 1, inCanary.message);
      const done = await finished('iris-sa-v2');
      assert.equal(done.phase, 'Promoted', done.message);
      const audit = await (await apiFetch(up, '/switchyard/v1/audit?limit=100000')).json() as { items: Array<{ verb: string; resource: string; evidence?: { at: number; evidence?: { pairs?: Shadow } } }> };
      const mine = audit.items.filter((r) => r.resource === 'switchyard.dev/trafficplans/default/iris-sa-v2' && r.verb.startsWith('plan/'));
      assert.deepEqual(mine.map((r) => r.verb), ['plan/started', 'plan/shadow-passed', 'plan/next-phase', 'plan/advanced', 'plan/promoted']);
      const pairs = mine[1]!.evidence!.evidence!.pairs!;
      assert.ok(pairs.pairs >= 400, `${pairs.pairs} pairs judged`);
      assert.equal(pairs.agreement, 1);
      // While the shadow ran (until it passed and the canary started), every client answer came from the baseline.
      const passedAt = mine[1]!.evidence!.at;
      const during = load.seen.answers.filter((a) => a.at < passedAt);
      assert.ok(during.length > 100);
      assert.ok(during.every((a) => a.revision === done.baselineRevision), 'no client answer from the candidate during the shadow');
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200]);
  });

  test('a candidate disagreeing on ~10 % of requests is rolled back in shadow by agreement; every client answer came from the baseline', async () => {
    await serve('iris-sd');
    const load = startLoad(up, 'iris-sd.default.example.com', { rps: 100, concurrency: 16, negativeShare: 0.1 });
    try {
      await ok(['apply', '-f', '-'], plan('iris-sd-v2', 'iris-sd', 'pvc://models/rotates-negative/', { pairedRequests: 2000, then: true }));
      const done = await finished('iris-sd-v2');
      assert.equal(done.phase, 'RolledBack', done.message);
      assert.equal(done.phaseIndex, 0, 'in the shadow');
      assert.match(done.message ?? '', /agreement/);
      assert.equal(done.gates!.find((g) => g.metric === 'agreement')!.verdict, 'fail');
      assert.ok(done.shadow!.agreement! < 0.95 && done.shadow!.agreement! > 0.8, `agreement ${done.shadow!.agreement}`);
      // The disagreements are the negative rows: baseline class 0 answered as class 1 by the candidate.
      assert.ok((done.shadow!.confusion?.['0']?.['1'] ?? 0) > 0);
      assert.ok(load.seen.answers.every((a) => a.revision === done.baselineRevision), 'no client answer from the candidate');
      // The CLI lists the disagreeing pairs.
      const r = await kubectl(K, up, ['version', '--client']);
      assert.equal(r.code, 0);
      const out = execFileSync(process.execPath, [join(ROOT, 'bin/switchyard.js'), 'predictions', '-n', 'default', '--service', 'iris-sd', '--disagreements', '--since', '10m'], { env: { ...process.env, KUBECONFIG: up.kubeconfig }, encoding: 'utf8' });
      assert.match(out, /BASELINE OUTPUT\s+CANDIDATE\s+CANDIDATE OUTPUT/);
      assert.match(out, /predictions labels \[0\]\s+\S+\s+predictions labels \[1\]/);
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200]);
  });

  test('a hung candidate changes no client answer nor their latency; the plan reports its failed copies and rolls back', async () => {
    await serve('iris-sh');
    const load = startLoad(up, 'iris-sh.default.example.com', { rps: 100, concurrency: 16 });
    let pid: number | undefined;
    try {
      await ok(['apply', '-f', '-'], plan('iris-sh-v2', 'iris-sh', 'pvc://models/iris-v1-copy/', { pairedRequests: 100_000 }));
      // Hang it once it has answered copies (the shadow starts when the candidate is ready).
      const s = await until('the candidate to answer copies', async () => {
        const st = await status('iris-sh-v2');
        return st.candidateRevision && (st.shadow?.pairs ?? 0) > 50 ? st : undefined;
      }, 120_000);
      const pids = await until('the candidate to run', async () => {
        try {
          return execFileSync('pgrep', ['-f', `default/${s.candidateRevision}/model`]).toString().trim().split('\n');
        } catch {
          return undefined;
        }
      }, 60_000);
      // The clients' latency under the same plan with a healthy shadow: the control. Only the hang differs
      // from here on (the plan looks at its windows in both, on the same process as the gateway).
      const healthyFrom = load.seen.answers.length;
      await new Promise((r) => setTimeout(r, 15_000));
      const healthyTo = load.seen.answers.length;
      pid = Number(pids[0]);
      process.kill(pid, 'SIGSTOP'); // hung: accepts connections, never answers
      const mark = load.seen.answers.length;
      const done = await finished('iris-sh-v2');
      assert.equal(done.phase, 'RolledBack', done.message);
      // The shadow's failed copies: in its own telemetry (errorRate, which may fail fast on one window) or in the pairs.
      assert.match(done.message ?? '', /errorRate/);
      const errorRate = done.gates!.find((g) => g.metric === 'errorRate')!;
      assert.ok(errorRate.value! > 0 || done.shadow!.candidateErrors > 0);
      // While the candidate hung and its copies were still sent: until the plan's rollback (its own transition —
      // status, traffic, audit — costs the same whatever ends a phase, and is not the hang's doing).
      const rolledBackAt = Date.parse(done.conditions!.find((c) => c.type === 'Completed')!.lastTransitionTime);
      let end = mark;
      while (end < load.seen.answers.length && load.seen.answers[end]!.at < rolledBackAt) end++;
      const during = load.seen.latencies.slice(mark, end);
      const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
      // Within twice (and 10 ms of) the clients' p99 while the shadow was healthy, measured over spans as long as
      // the hang's: the healthy 15 s cut into spans of that length, the highest p99 among them. A client that waited
      // on its hung copy would wait the copy's deadline (10 s), a thousand times over this bound; what stays under it
      // is the noise of a shared 2-vCPU host, where the plan's looks and a GC pause move a p99 of ~300 answers from
      // 9 to 15 ms (one CI run in several at the earlier bound of 1.1× + 5 ms).
      const span = Math.max(2000, rolledBackAt - load.seen.answers[mark]!.at);
      const t0 = load.seen.answers[healthyFrom]!.at;
      const spans: number[][] = [];
      for (let i = healthyFrom; i < healthyTo; i++) (spans[Math.floor((load.seen.answers[i]!.at - t0) / span)] ??= []).push(load.seen.latencies[i]!);
      const healthy = Math.max(...spans.filter((xs) => xs.length >= during.length / 2).map(p99));
      assert.ok(during.length > 150, `${during.length} answers while it hung`);
      assert.ok(p99(during) <= 2 * healthy + 10, `p99 ${p99(during).toFixed(1)} ms while the shadow hung, at most ${healthy.toFixed(1)} ms while it was healthy`);
    } finally {
      if (pid) process.kill(pid, 'SIGCONT');
      await load.stop();
    }
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'no client request failed');
  });

  test('kill -9 mid-shadow: the plan resumes in its shadow with the pairs already judged', async () => {
    await serve('iris-sk');
    let load = startLoad(up, 'iris-sk.default.example.com', { rps: 100, concurrency: 16 });
    let mid: PlanStatus;
    try {
      await ok(['apply', '-f', '-'], plan('iris-sk-v2', 'iris-sk', 'pvc://models/iris-v1-copy/', { pairedRequests: 1500 }));
      mid = await until('pairs to be judged', async () => {
        const st = await status('iris-sk-v2');
        return st.phase === 'Progressing' && (st.shadow?.pairs ?? 0) >= 200 ? st : undefined;
      }, 3 * 60_000);
    } finally {
      await load.stop();
    }
    up.proc.kill('SIGKILL');
    await up.stop();
    up = await startUp([], up.dataDir);
    const resumed = await status('iris-sk-v2');
    assert.equal(resumed.phaseIndex, 0);
    assert.ok(resumed.shadow!.pairs >= mid.shadow!.pairs, `${resumed.shadow!.pairs} pairs after the restart, ${mid.shadow!.pairs} before`);
    await ok(['wait', '--for=condition=Ready', 'isvc/iris-sk', '--timeout=60s']);
    load = startLoad(up, 'iris-sk.default.example.com', { rps: 100, concurrency: 16 });
    try {
      const done = await finished('iris-sk-v2');
      assert.equal(done.phase, 'Validated', done.message);
      assert.ok(done.shadow!.pairs >= 1500);
    } finally {
      await load.stop();
    }
  });
});
