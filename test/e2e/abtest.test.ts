// An A/B test end to end: real `switchyard up`, a baseline and a candidate
// revision of one InferenceService, users who each come back several times
// (the `x-user-id` header is the unit), and an application that posts each
// user's click through the feedback API at a known rate per arm. Every user
// sees one arm on all their requests; at the design's size the test decides as
// the design predicts and the candidate is promoted, with the report in status,
// `switchyard plan report` and the audit log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { seededRandom } from '../../src/core/random.ts';
import { BIN, removeDir, ROOT, run, startUp, until, type Up } from './harness.ts';
import { planTools } from './plans.ts';

const USERS = 1000;
const VISITS = 3;
const UNITS_PER_ARM = 400;
// 10 % vs 25 % with 400 units per arm: z ≈ 5.6, so the fixed-horizon test declares the candidate
// the winner with probability > 0.9999 (and a loss is out of the question).
const CLICK = { baseline: 0.1, candidate: 0.25 };

interface ArmReport { units: number; value?: number }
interface Experiment { baseline: ArmReport; candidate: ArmReport; decision?: string; reason: string; pValue?: number; absolute?: { value: number; interval: [number, number] }; srm: { pValue: number } }
interface PlanStatus { phase?: string; message?: string; candidateRevision?: string; baselineRevision?: string; experiment?: Experiment }

let up: Up;
let token: string;
const { ok, serve, status, audit, waitPhase } = planTools(() => up);

before(async () => {
  up = await startUp();
  cpSync(join(ROOT, 'examples/models/iris-v1'), join(up.dataDir, 'volumes/models/iris-v1-copy'), { recursive: true });
  await serve('shop-ab');
  const created = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, 'token', 'create', '--role', 'feedback', '--name', 'shop-frontend']);
  assert.equal(created.code, 0, created.stderr);
  token = created.stdout.trim();
});

after(async () => {
  await up.stop();
  removeDir(up.dataDir);
});

const plan = JSON.stringify({
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'shop-ab-v2', namespace: 'default' },
  spec: {
    target: { inferenceService: 'shop-ab' }, candidate: { storageUri: 'pvc://models/iris-v1-copy/' }, owner: { team: 'growth' },
    cohorts: { unit: { header: 'x-user-id' } },
    phases: [{ abTest: { percent: 50, primary: { metric: 'click', outcome: { aggregate: 'conversion', per: 'unit' } }, minRequestsPerArm: UNITS_PER_ARM, maxDuration: '20m' } }],
    gates: [{ metric: 'errorRate', max: 0.02 }, { metric: 'outputPSI', max: 0.2 }],
    window: '2s', maxDuration: '30m', rollback: { onGateFailure: true, keepWarm: '1h' },
  },
});

test('users stay on their arm; clicks at 10 % and 25 % per user win the candidate its promotion at the design size', { timeout: 10 * 60_000 }, async () => {
  await ok(['apply', '-f', '-'], plan);
  const candidateRevision = (await until('the candidate to serve', async () => {
    const s = await status<PlanStatus>('shop-ab-v2');
    return s.phase === 'Progressing' && s.candidateRevision ? s : undefined;
  }, 180_000)).candidateRevision!;
  const pool = new Pool(up.gatewayUrl, { connections: 16 });
  // Traffic already flows while the candidate revision starts: new users, one request each, all
  // answered by the baseline (those hashed to the candidate too) until its first answer. They are
  // no arm's: counted, they would unbalance the arms and pause the test for a sample ratio mismatch.
  let early = 0;
  let earlyOnBaseline = 0;
  for (let seen = false; !seen;) {
    const answers = await Promise.all(Array.from({ length: 16 }, async () => {
      const res = await pool.request({
        path: '/v1/models/shop-ab:predict', method: 'POST', body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
        headers: { host: 'shop-ab.default.example.com', 'content-type': 'application/json', 'x-user-id': `early-${early++}` },
      });
      await res.body.dump();
      return String(res.headers['x-switchyard-revision']);
    }));
    seen = answers.includes(candidateRevision);
    if (!seen) earlyOnBaseline += answers.length;
    if (early > 200_000) assert.fail('the candidate never answered');
  }
  assert.ok(earlyOnBaseline >= 50, `${earlyOnBaseline} users answered by the baseline alone while the candidate started`);

  const rng = seededRandom(5);
  const seq = new Map<string, Array<{ at: number; revision: string }>>();
  const clicks: Array<{ requestId: string; metric: string; value: number; id: string }> = [];
  const visit = async (user: string, first: boolean) => {
    const res = await pool.request({
      path: '/v1/models/shop-ab:predict', method: 'POST', body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]] }),
      headers: { host: 'shop-ab.default.example.com', 'content-type': 'application/json', 'x-user-id': user },
    });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    const revision = String(res.headers['x-switchyard-revision']);
    (seq.get(user) ?? seq.set(user, []).get(user)!).push({ at: Date.now(), revision });
    // One decision per user (the metric is per unit): a click on their first visit, or none.
    if (first && rng() < (revision === candidateRevision ? CLICK.candidate : CLICK.baseline)) {
      clicks.push({ requestId: String(res.headers['x-request-id']), metric: 'click', value: 1, id: `click-${user}` });
    }
  };
  const post = async () => {
    const batch = clicks.splice(0);
    if (batch.length === 0) return;
    const res = await request(`${up.gatewayUrl}/switchyard/v1/feedback`, {
      method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    assert.equal(res.statusCode, 200, await res.body.text());
  };
  try {
    // Users arrive in blocks of 160; each block's users visit VISITS times (16 at a time) before the
    // next block arrives, and its clicks are posted then. The horizon needs 800 distinct users, so
    // whenever the plan decides, the first blocks' users have all come back: the stickiness check
    // below does not depend on how fast the machine is.
    for (let b = 0; b < USERS; b += 160) {
      for (let round = 0; round < VISITS; round++) {
        for (let u = b; u < Math.min(b + 160, USERS); u += 16) {
          await Promise.all(Array.from({ length: Math.min(16, b + 160 - u, USERS - u) }, (_, k) => visit(`user-${u + k}`, round === 0)));
        }
      }
      await post();
    }
  } finally {
    await pool.close();
  }

  const done = await waitPhase<PlanStatus>('shop-ab-v2', ['Promoted', 'RolledBack', 'Paused', 'Aborted'], 3 * 60_000);
  assert.equal(done.phase, 'Promoted', done.message);
  // While the test ran (until the promotion, which may come before the last visits: the horizon is
  // reached once 400 users per arm were seen) every user saw one arm on all their requests.
  const decided = Date.parse((done as { conditions?: Array<{ type: string; lastTransitionTime: string }> }).conditions!.find((c) => c.type === 'Completed')!.lastTransitionTime);
  assert.equal(seq.size, USERS);
  const during = [...seq.values()].map((visits) => visits.filter((v) => v.at < decided).map((v) => v.revision));
  const returning = during.filter((r) => r.length >= 2);
  assert.ok(returning.length >= 300, `${returning.length} users came back before the decision`);
  const bounced = returning.filter((r) => new Set(r).size > 1).length;
  assert.equal(bounced, 0, `${bounced} users saw both arms before the decision`);
  const onCandidate = during.filter((r) => r[0] === candidateRevision).length;
  // Binomial(1000, 0.5): sd 15.8; ±5 sd.
  assert.ok(Math.abs(onCandidate - USERS / 2) < 80, `${onCandidate} of ${USERS} users on the candidate at a 50 % split`);
  const e = done.experiment!;
  assert.equal(e.decision, 'win', e.reason);
  assert.ok(e.baseline.units >= UNITS_PER_ARM && e.candidate.units >= UNITS_PER_ARM, `${e.baseline.units} and ${e.candidate.units} units`);
  assert.ok(e.srm.pValue > 0.001, 'no sample ratio mismatch');
  // The measured lift is the true one (+15 points) within 5 standard errors (SE ≈ 0.024 at ~500 units per arm).
  assert.ok(Math.abs(e.absolute!.value - 0.15) < 0.12, `lift ${e.absolute!.value}`);
  const report = await run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, 'plan', 'report', 'shop-ab-v2', '-n', 'default', '-o', 'json']);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(JSON.parse(report.stdout).experiment?.decision ?? JSON.parse(report.stdout).decision, 'win');
  const last = (await audit<{ verb: string; evidence?: unknown }>('shop-ab-v2')).at(-1)!;
  assert.match(JSON.stringify(last), /ab-won/);
});
