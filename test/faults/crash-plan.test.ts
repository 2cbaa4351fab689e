// kill -9 of `switchyard up` at 20 random moments of a running canary plan
// under load. After each kill the SQLite database passes PRAGMA
// integrity_check; after each restart `switchyard audit verify` says the
// chain is whole and the plan has not gone back or done a step twice; at the
// end the plan is promoted with each step audited exactly once.
//
// The moments are drawn from a seeded generator (SY_FAULTS_SEED; printed),
// uniformly over the first KILL_WINDOW_MS after `up` says it listens: some
// land while it removes the previous run's pods and starts replicas, some
// while the plan controller judges windows and writes status and traffic.
// Load runs only once every revision in the split has a ready replica, so the
// gates judge a service that serves (the crashes are the fault under test).
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { seededRandom } from '../../src/core/random.ts';
import { apiFetch, BIN, removeDir, ROOT, run, startUp, until, type Up } from '../e2e/harness.ts';
import { startLoad } from '../e2e/load.ts';
import { planTools } from '../e2e/plans.ts';
import { figure, processesMentioning } from './processes.ts';

const KILLS = Number(process.env.SY_FAULTS_KILLS ?? 20);
const KILL_WINDOW_MS = 3000;
const SEED = Number(process.env.SY_FAULTS_SEED ?? 20);
// Phase 0 moves through its steps as fast as the load lets it (about one a second); phase 1 holds at
// 95 % until the test promotes by command: however fast the machine, every kill lands on a running plan.
const STEPS = [30, 40, 50, 60, 70, 80, 90];
const HELD = 95;

const PLAN = {
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan',
  // The candidate is the same model: the fault under test is the crash, so a health gate is enough.
  metadata: { name: 'iris-v2', namespace: 'default', annotations: { 'switchyard.dev/lint-override': 'health-only-gates' } },
  spec: {
    target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'ml-platform' },
    phases: [
      { canary: { steps: STEPS, hold: { minRequests: 15, passingWindows: 1 } } },
      { canary: { steps: [HELD], hold: { minRequests: 1_000_000 } } },
    ],
    // Lenient, so a few dozen requests decide it: a restart's first requests may meet a replica still starting.
    gates: [{ metric: 'errorRate', max: 0.5 }],
    window: '1s', maxDuration: '30m', rollback: { onGateFailure: true },
  },
};

interface Status { phase?: string; phaseIndex?: number; currentStep?: number }
interface AuditRecord { verb: string; evidence?: { step?: { phaseIndex: number; stepIndex: number } } }

/** Where a plan is, as one ascending number. */
const position = (s: Status): number => (s.phaseIndex ?? 0) * 100 + (s.currentStep ?? 0);

/** Each revision the isvc splits traffic to has a ready replica. */
async function serving(up: Up): Promise<boolean> {
  const isvc = (await (await apiFetch(up, '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/iris')).json()) as
    { status?: { components?: { predictor?: { traffic?: Array<{ revisionName?: string; percent?: number }> } } } };
  const revisions = (isvc.status?.components?.predictor?.traffic ?? []).filter((t) => (t.percent ?? 0) > 0).map((t) => t.revisionName);
  const pods = (await (await apiFetch(up, '/api/v1/namespaces/default/pods')).json()) as
    { items: Array<{ metadata: { labels?: Record<string, string> }; status?: { containerStatuses?: Array<{ ready?: boolean }> } }> };
  const ready = new Set(pods.items.filter((p) => p.status?.containerStatuses?.[0]?.ready).map((p) => p.metadata.labels?.['serving.knative.dev/revision']));
  return revisions.length > 0 && revisions.every((r) => ready.has(r));
}

/** Each (verb, phase, step) at most once, and `started` once: no step was done twice. */
function repeated(audit: AuditRecord[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const r of audit) {
    const s = r.evidence?.step;
    const key = r.verb === 'plan/started' ? r.verb : `${r.verb} ${s?.phaseIndex}/${s?.stepIndex}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'switchyard.db'));
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** `switchyard audit verify`, the command a user runs. */
async function auditVerifyCli(up: Up): Promise<string> {
  const r = await run(process.execPath, [BIN, 'audit', 'verify', '--kubeconfig', up.kubeconfig]);
  assert.equal(r.code, 0, `switchyard audit verify: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

test(`kill -9 at ${KILLS} random moments of a running canary plan: sound database, whole audit chain, no step twice`, async (t) => {
  const random = seededRandom(SEED);
  let up = await startUp();
  const dataDir = up.dataDir;
  const tools = planTools(() => up);
  const moments: number[] = [];
  const positions: string[] = [];
  let last = -1;
  try {
    cpSync(join(ROOT, 'examples/models/iris-v1'), join(dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
    await tools.serve('iris');
    await tools.ok(['apply', '-f', '-'], JSON.stringify(PLAN));
    const started = Date.now();

    for (let kill = 0; kill <= KILLS; kill++) {
      let t0 = Date.now();
      if (kill > 0) {
        up = await startUp([], dataDir);
        // The chain verifies (what `switchyard audit verify` asks; the command itself, which takes
        // seconds to start here, runs at the end), and the plan neither went back nor did a step twice.
        const verify = (await (await apiFetch(up, '/switchyard/v1/audit/verify')).json()) as { ok: boolean; problems: string[] };
        assert.deepEqual([verify.ok, verify.problems], [true, []], `audit chain after restart ${kill}`);
        const status = await tools.status<Status>('iris-v2');
        assert.ok(position(status) >= last, `after restart ${kill} the plan is at ${JSON.stringify(status)}, was at ${last}`);
        assert.deepEqual(repeated(await tools.audit<AuditRecord>('iris-v2')), [], `after restart ${kill}`);
      }
      if (kill === KILLS) break;

      // Once the service serves again (every revision of the split has a ready replica), load, and a kill
      // at a random moment of what the plan controller then does: judge windows, write status, move traffic.
      const listening = Date.now() - t0;
      t0 = Date.now();
      await until('the service to serve again', () => serving(up).then((ok) => (ok ? true : undefined), () => undefined), 60_000);
      const servingAfter = Date.now() - t0;
      const load = startLoad(up, 'iris.default.example.com', { rps: 100, concurrency: 8 });
      const moment = Math.floor(random() * KILL_WINDOW_MS);
      moments.push(moment);
      await new Promise((r) => setTimeout(r, moment));
      const before = await tools.status<Status>('iris-v2').catch(() => undefined);
      t.diagnostic(`kill ${kill + 1}: listening after ${(listening / 1000).toFixed(1)} s, serving ${(servingAfter / 1000).toFixed(1)} s later, `
        + `killed ${(moment / 1000).toFixed(1)} s into the load with the plan at ${before ? `${before.phaseIndex}/${before.currentStep}` : '?'}`);
      up.proc.kill('SIGKILL');
      await up.stop();
      await load.stop();
      assert.equal(integrity(dataDir), 'ok', `integrity_check after kill ${kill + 1} (${moment} ms after listening)`);
      if (before) {
        assert.equal(before.phase, 'Progressing', `kill ${kill + 1} landed on a running plan`);
        last = Math.max(last, position(before));
        positions.push(`${before.phaseIndex}/${before.currentStep}`);
      } else positions.push('?');
    }

    // Let it reach the held last phase, then promote it by command.
    await tools.ok(['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s']);
    const load = startLoad(up, 'iris.default.example.com', { rps: 80, concurrency: 8 });
    try {
      await until('the plan to reach its held last phase', async () => ((await tools.status<Status>('iris-v2')).phaseIndex === 1 ? true : undefined), 120_000);
    } finally {
      await load.stop();
    }
    await tools.ok(['annotate', 'tp', 'iris-v2', 'switchyard.dev/command=promote', '--overwrite']);
    assert.equal((await tools.waitPhase<Status>('iris-v2', ['Promoted', 'RolledBack', 'Aborted'], 30_000)).phase, 'Promoted');
    const audit = await tools.audit<AuditRecord>('iris-v2');
    assert.deepEqual(audit.map((r) => r.verb), ['plan/started', ...STEPS.slice(1).map(() => 'plan/advanced'), 'plan/next-phase', 'plan/promote']);
    const steps = audit.slice(1).map((r) => `${r.evidence?.step?.phaseIndex}/${r.evidence?.step?.stepIndex}`);
    // Each transition names the step it left (the phase change and the promotion, the step they went to).
    assert.deepEqual(steps, [...STEPS.slice(1).map((_, i) => `0/${i}`), '1/0', '1/0'], 'each step once, in order');
    const verified = await auditVerifyCli(up);
    assert.match(verified, /^audit chain ok/);
    figure(t, `kill -9 × ${KILLS} (seed ${SEED}) at ${moments.map((m) => (m / 1000).toFixed(1)).join(', ')} s into the load, `
      + `the plan at phase/step ${positions.join(', ')}: ${KILLS}/${KILLS} integrity_check ok, ${KILLS}/${KILLS} audit chains whole `
      + `(\`switchyard audit verify\` at the end: ${verified.replace(/^audit chain ok: /, '')}), 0 steps repeated, never went back; `
      + `${STEPS.length} steps audited once each, promoted, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await up.stop();
    // Replicas of a killed `up` outlive it until the next start removes them: none may outlive the test.
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    removeDir(dataDir);
  }
});
