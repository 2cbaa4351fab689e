// The bandit phase end to end: real `switchyard up`, three InferenceServices
// (one arm each) behind a VirtualService that keeps each user on an arm, a
// simulated population of users whose click probability depends on the arm
// that answered them, and an application that posts every click (1) or
// non-click (0) through the feedback API. The allocation moves toward the best
// arm and promotes it; an arm whose model starts failing is frozen at 0 by its
// guardrail while the others keep learning; stale and out-of-range rewards
// freeze learning; learning can be switched off and on; kill -9 of the whole
// process resumes with the allocation it had; kill sends everything to the
// fallback arm at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, request } from 'undici';
import { seededRandom } from '../../src/core/random.ts';
import { BIN, removeDir, run, startUp, until, type Up } from './harness.ts';
import { planTools } from './plans.ts';

const ARMS = ['arm-a', 'arm-b', 'arm-c'];
const ROW = [6.8, 2.8, 4.8, 1.4];

interface Arm { name: string; fallback: boolean; weight: number; rewards: number; rewardRate?: number; pending: number; probabilityBest?: number; rewardInterval?: [number, number]; frozen?: boolean; frozenWhy?: string; ips?: number }
interface Bandit { version: number; learning: boolean; hold?: string; result?: string; arms: Arm[] }
interface PlanStatus { phase?: string; message?: string; bandit?: Bandit }

type Rewarding = 'clicks' | 'none' | 'outOfRange';

/**
 * Users at a paced rate, each a random id of a large population (so the arms' shares follow the
 * allocation); each answer's arm read from its revision header, its click drawn with that arm's
 * probability and posted in batches with the feedback token, as an application would.
 */
function shoppers(up: Up, host: string, token: string, clickRate: Record<string, number>, o: { rps?: number; users?: number; model?: string; armOf?: (revision: string) => string } = {}) {
  const rps = o.rps ?? 150;
  const population = o.users ?? 1_000_000;
  const pool = new Pool(up.gatewayUrl, { connections: 16 });
  const rng = seededRandom(11);
  const answers: Array<{ at: number; status: number; arm: string; user: string }> = [];
  let events: Array<{ requestId: string; metric: string; value: number }> = [];
  let rewarding: Rewarding = 'clicks';
  let inFlight = 0;
  const once = async () => {
    inFlight++;
    const user = `u${Math.floor(rng() * population)}`;
    try {
      const res = await pool.request({
        path: `/v1/models/${o.model ?? 'shop'}:predict`, method: 'POST', body: JSON.stringify({ instances: [ROW] }),
        headers: { host, 'content-type': 'application/json', 'x-user-id': user }, headersTimeout: 10_000, bodyTimeout: 10_000,
      });
      await res.body.dump();
      const revision = String(res.headers['x-switchyard-revision'] ?? '');
      const arm = o.armOf ? o.armOf(revision) : (ARMS.find((a) => revision.startsWith(`${a}-`)) ?? '');
      answers.push({ at: Date.now(), status: res.statusCode, arm, user });
      const requestId = String(res.headers['x-request-id']);
      if (res.statusCode !== 200 || rewarding === 'none') return;
      const value = rewarding === 'outOfRange' ? 7 : rng() < clickRate[arm]! ? 1 : 0;
      events.push({ requestId, metric: 'click', value });
    } catch {
      answers.push({ at: Date.now(), status: 0, arm: '', user });
    } finally {
      inFlight--;
    }
  };
  const tick = setInterval(() => {
    for (let i = 0; i < rps / 50 && inFlight < 32; i++) void once();
  }, 20);
  const flush = setInterval(() => {
    if (events.length === 0) return;
    const batch = events;
    events = [];
    void request(`${up.gatewayUrl}/switchyard/v1/feedback`, {
      method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    }).then((r) => r.body.dump()).catch(() => undefined);
  }, 250);
  return {
    answers,
    reward(mode: Rewarding) {
      rewarding = mode;
    },
    async stop() {
      clearInterval(tick);
      clearInterval(flush);
      await until('the shoppers to finish', async () => (inFlight === 0 ? true : undefined), 20_000);
      await pool.close();
    },
  };
}

function virtualService(name: string) {
  return JSON.stringify({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
    metadata: { name, namespace: 'default', annotations: { 'switchyard.dev/unit-key': 'header:x-user-id' } },
    spec: {
      hosts: [`${name}.default.example.com`], gateways: ['knative-serving/knative-ingress-gateway'],
      http: [{ name: 'main', route: ARMS.map((a, i) => ({ destination: { host: `${a}.default.svc.cluster.local` }, weight: i === 0 ? 100 : 0 })) }],
    },
  });
}

function banditPlan(name: string, vs: string, bandit: Record<string, unknown>) {
  return JSON.stringify({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'default' },
    spec: {
      target: { virtualService: { name: vs, route: 'main' } }, candidate: { revision: 'arm-b' }, owner: { team: 'ml-platform' },
      phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, minPercent: 5, cadence: '2s', rewardFreshness: '1m', ...bandit } }],
      gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.2 }],
      window: '2s', maxDuration: '20m',
    },
  });
}

describe('bandit phase', { concurrency: false }, () => {
  let up: Up;
  let token: string;
  const { ok, status: planStatus, serve, audit, waitPhase } = planTools(() => up);
  const status = (name: string) => planStatus<PlanStatus>(name);
  const sy = (...args: string[]) => run(process.execPath, [BIN, '--kubeconfig', up.kubeconfig, ...args]);
  const weights = async (vs: string) => {
    const out = JSON.parse(await ok(['get', 'virtualservice', vs, '-o', 'json']));
    const main = out.spec.http.find((r: { name: string }) => r.name === 'main');
    return Object.fromEntries(main.route.map((d: { destination: { host: string }; weight: number }) => [d.destination.host.split('.')[0], d.weight])) as Record<string, number>;
  };

  before(async () => {
    up = await startUp();
    for (const a of ARMS) await serve(a);
    const created = await sy('token', 'create', '--role', 'feedback', '--name', 'shop-frontend');
    assert.equal(created.code, 0, created.stderr);
    token = created.stdout.trim();
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('clicks at 4, 5 and 7 %: the allocation moves to the best arm, users stay on their arm, and it is promoted', async () => {
    await ok(['apply', '-f', '-'], virtualService('shop'));
    const users = shoppers(up, 'shop.default.example.com', token, { 'arm-a': 0.04, 'arm-b': 0.05, 'arm-c': 0.07 }, { rps: 200 });
    try {
      await ok(['apply', '-f', '-'], banditPlan('shop-bandit', 'shop', { stop: { probabilityBest: 0.99, minRewards: 500 } }));
      const done = await waitPhase<PlanStatus>('shop-bandit', ['Promoted', 'RolledBack', 'Aborted'], 10 * 60_000);
      assert.equal(done.phase, 'Promoted', done.message);
      assert.equal(done.bandit!.result, 'arm-c', JSON.stringify(done.bandit));
      const c = done.bandit!.arms.find((a) => a.name === 'arm-c')!;
      assert.ok(c.probabilityBest! >= 0.99, `P(best) ${c.probabilityBest}`);
      assert.ok(done.bandit!.arms.every((a) => a.rewards >= 500), 'every arm earned the rewards the stopping rule needs');
      assert.ok(done.bandit!.arms.every((a) => a.ips !== undefined), 'inverse-propensity estimates from the logged propensities');
      // Promoted on evidence, not on P(best) alone: its always-valid interval lies above the fallback's.
      const a = done.bandit!.arms.find((x) => x.name === 'arm-a')!;
      assert.ok(c.rewardInterval![0] > a.rewardInterval![1], `arm-c ${c.rewardInterval} above arm-a ${a.rewardInterval}`);
      assert.deepEqual(await weights('shop'), { 'arm-a': 0, 'arm-b': 0, 'arm-c': 100 });
      const end = (await audit<{ verb: string; evidence?: { cause?: string } }>('shop-bandit')).at(-1)!;
      assert.match(JSON.stringify(end), /bandit-best-arm|bandit-value-remaining/);
    } finally {
      await users.stop();
    }
    const report = await sy('plan', 'report', 'shop-bandit', '-n', 'default');
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /Bandit \(thompson/);
    assert.match(report.stdout, /arm-c/);
  });

  test('guardrails: stale rewards freeze the allocation, learning can be switched off and on, out-of-range rewards freeze learning, kill -9 resumes, kill sends all to the fallback', async () => {
    await ok(['apply', '-f', '-'], virtualService('shop2'));
    // Few users, who come back often: while learning is off each must keep one arm.
    const users = shoppers(up, 'shop2.default.example.com', token, { 'arm-a': 0.05, 'arm-b': 0.05, 'arm-c': 0.05 }, { users: 300 });
    let last: PlanStatus = {};
    const versionAfter = async (v: number, what: string) => until(what, async () => {
      const s = (last = await status('shop2-bandit'));
      return s.bandit && s.bandit.version > v ? s.bandit : undefined;
    }, 60_000, () => JSON.stringify(last).slice(0, 4000));
    const steady = async (ms: number) => {
      const first = (await status('shop2-bandit')).bandit!;
      await new Promise((r) => setTimeout(r, ms));
      const last = (await status('shop2-bandit')).bandit!;
      return { first, last };
    };
    try {
      // Never stops on its own: every guardrail is exercised on a running bandit.
      await ok(['apply', '-f', '-'], banditPlan('shop2-bandit', 'shop2', { rewardFreshness: '5s', stop: { minRewards: 1_000_000 } }));
      let b = await versionAfter(1, 'the allocation to be recomputed from rewards');
      assert.equal(b.learning, true);

      // No rewards for longer than rewardFreshness: the allocation stays as it was, and status says why.
      users.reward('none');
      const stale = await until('the bandit to see its rewards are stale', async () => {
        const s = (await status('shop2-bandit')).bandit!;
        return s.hold && /fresh|stale|no reward/i.test(s.hold) ? s : undefined;
      }, 30_000);
      const held = await steady(5000);
      assert.equal(held.last.version, held.first.version, `no new allocation without fresh rewards (${stale.hold})`);
      assert.deepEqual(held.last.arms.map((a) => a.weight), held.first.arms.map((a) => a.weight));
      users.reward('clicks');
      b = await versionAfter(held.last.version, 'learning to resume once rewards are fresh');
      assert.equal(b.hold, undefined);

      // The operator's no-learning mode: the allocation stays fixed while rewards still arrive and count.
      const off = await sy('plan', 'learning-off', 'shop2-bandit', '-n', 'default');
      assert.equal(off.code, 0, off.stderr);
      await until('learning to be off', async () => ((await status('shop2-bandit')).bandit!.learning === false ? true : undefined), 30_000);
      const fixedFrom = Date.now() + 500;
      const fixed = await steady(6000);
      assert.equal(fixed.last.version, fixed.first.version, 'no new allocation while learning is off');
      const seenArms = new Map<string, Set<string>>();
      for (const a of users.answers.filter((x) => x.at > fixedFrom && x.arm)) (seenArms.get(a.user) ?? seenArms.set(a.user, new Set()).get(a.user)!).add(a.arm);
      const returning = [...seenArms.values()];
      assert.ok(returning.length > 100, `${returning.length} users`);
      assert.ok(returning.every((arms) => arms.size === 1), 'each user kept one arm while the allocation stayed put');
      assert.ok(new Set(returning.flatMap((arms) => [...arms])).size >= 2, 'users are spread over the arms');
      assert.ok(fixed.last.arms.reduce((n, a) => n + a.rewards, 0) > fixed.first.arms.reduce((n, a) => n + a.rewards, 0), 'rewards still logged');
      const on = await sy('plan', 'learning-on', 'shop2-bandit', '-n', 'default');
      assert.equal(on.code, 0, on.stderr);
      b = await versionAfter(fixed.last.version, 'learning to resume after learning-on');

      // kill -9 of the whole process: after the restart the plan has the allocation it had.
      const before = (await status('shop2-bandit')).bandit!;
      const vsBefore = await weights('shop2');
      await users.stop();
      up.proc.kill('SIGKILL');
      await up.stop();
      up = await startUp([], up.dataDir);
      const resumed = (await status('shop2-bandit')).bandit!;
      assert.ok(resumed.version >= before.version, `allocation v${resumed.version} after the restart, v${before.version} before`);
      if (resumed.version === before.version) assert.deepEqual(await weights('shop2'), vsBefore, 'the route kept its weights');
      assert.ok(resumed.arms.reduce((n, a) => n + a.rewards, 0) >= before.arms.reduce((n, a) => n + a.rewards, 0), 'the posterior kept what it learnt');
    } finally {
      await users.stop().catch(() => undefined);
    }
    for (const a of ARMS) await ok(['wait', '--for=condition=Ready', `isvc/${a}`, '--timeout=90s']);
    const again = shoppers(up, 'shop2.default.example.com', token, { 'arm-a': 0.05, 'arm-b': 0.05, 'arm-c': 0.05 });
    try {
      const b = await versionAfter((await status('shop2-bandit')).bandit!.version, 'learning after the restart');
      // Rewards outside the declared range (a click is 0 or 1): learning freezes, nothing is learnt from them.
      again.reward('outOfRange');
      const frozen = await until('out-of-range rewards to freeze learning', async () => {
        const s = (await status('shop2-bandit')).bandit!;
        return s.hold && /range/i.test(s.hold) ? s : undefined;
      }, 30_000);
      assert.ok(frozen.version >= b.version);
      const still = await steady(5000);
      assert.equal(still.last.version, still.first.version, `no allocation learnt from bad rewards (${frozen.hold})`);

      // Kill: everything to the fallback arm at once.
      const killed = await sy('plan', 'kill', 'shop2-bandit', '-n', 'default', '--reason', 'bandit e2e');
      assert.equal(killed.code, 0, killed.stderr);
      const done = await waitPhase<PlanStatus>('shop2-bandit', ['Aborted'], 30_000);
      assert.equal(done.phase, 'Aborted');
      assert.deepEqual(await weights('shop2'), { 'arm-a': 100, 'arm-b': 0, 'arm-c': 0 });
      const mark = Date.now() + 500;
      await new Promise((r) => setTimeout(r, 3000));
      const after = again.answers.filter((a) => a.at > mark);
      assert.ok(after.length > 100 && after.every((a) => a.arm === 'arm-a'), 'every answer after the kill from the fallback arm');
    } finally {
      await again.stop();
    }
  });

  test('an arm whose model starts failing is frozen at 0 within one cadence; the others keep learning', async () => {
    await ok(['apply', '-f', '-'], virtualService('shop3'));
    const users = shoppers(up, 'shop3.default.example.com', token, { 'arm-a': 0.05, 'arm-b': 0.06, 'arm-c': 0.07 });
    try {
      await ok(['apply', '-f', '-'], banditPlan('shop3-bandit', 'shop3', { stop: { minRewards: 1_000_000 } }));
      await until('arm-b to serve', async () => ((await weights('shop3'))['arm-b']! > 0 && users.answers.some((a) => a.arm === 'arm-b') ? true : undefined), 60_000);
      // arm-b's model is replaced by one that fails every inference (its new revision takes its traffic when ready).
      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'arm-b', namespace: 'default' },
        spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/fails-at-inference/' } } },
      }));
      const firstError = await until('arm-b to fail', async () => users.answers.find((a) => a.arm === 'arm-b' && a.status >= 500)?.at, 120_000);
      let seen: PlanStatus = {};
      const frozenAt = await until('arm-b to be frozen', async () => {
        const b = (seen = await status('shop3-bandit')).bandit?.arms.find((a) => a.name === 'arm-b');
        return b?.frozen && (await weights('shop3'))['arm-b'] === 0 ? Date.now() : undefined;
      }, 60_000, () => `${JSON.stringify({ ...seen, state: undefined })}\n${up.output().split('\n').filter((l) => /arm-b|shop3/.test(l)).slice(-15).join('\n')}`);
      // One window to see the errors and one cadence to act on them, plus what a shared machine adds.
      assert.ok(frozenAt - firstError <= 2_000 + 2_000 + 3_000, `frozen ${frozenAt - firstError} ms after its first error`);
      const s = (await status('shop3-bandit')).bandit!;
      assert.match(s.arms.find((a) => a.name === 'arm-b')!.frozenWhy ?? '', /errorRate/);
      const v = s.version;
      const later = await until('the other arms to keep learning', async () => {
        const x = (await status('shop3-bandit')).bandit!;
        return x.version > v + 1 ? x : undefined;
      }, 30_000);
      assert.equal(later.arms.find((a) => a.name === 'arm-b')!.weight, 0, 'a frozen arm stays at 0');
      assert.equal((await status('shop3-bandit')).phase, 'Progressing');
      const mark = Date.now() + 500;
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(users.answers.filter((a) => a.at > mark).every((a) => a.arm !== 'arm-b'), 'no user is sent to the frozen arm');
    } finally {
      await users.stop();
    }
  });
  test('on an InferenceService the arms are its baseline and candidate revisions: the candidate is deployed at once, and the better one is promoted', async () => {
    await serve('shop4');
    const users = shoppers(up, 'shop4.default.example.com', token, { baseline: 0.03, candidate: 0.12 }, {
      model: 'shop4', armOf: (revision) => (revision === 'shop4-predictor-00001' ? 'baseline' : revision === '' ? '' : 'candidate'),
    });
    try {
      await ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'shop4-bandit', namespace: 'default' },
        spec: {
          target: { inferenceService: 'shop4' }, candidate: { storageUri: 'pvc://models/iris-v2/' }, owner: { team: 'ml-platform' },
          phases: [{ bandit: { algorithm: 'thompson', reward: { metric: 'click' }, minPercent: 10, cadence: '2s', rewardFreshness: '1m', stop: { probabilityBest: 0.99, minRewards: 300 } } }],
          gates: [{ metric: 'errorRate', max: 0.05 }, { metric: 'outputPSI', max: 0.3 }],
          window: '2s', maxDuration: '20m', rollback: { keepWarm: '1h' },
        },
      }));
      const done = await waitPhase<PlanStatus & { candidateRevision?: string }>('shop4-bandit', ['Promoted', 'RolledBack', 'Aborted'], 8 * 60_000);
      assert.equal(done.phase, 'Promoted', done.message);
      assert.equal(done.bandit!.result, done.candidateRevision, JSON.stringify(done.bandit));
      assert.ok(users.answers.some((a) => a.arm === 'candidate'), 'the candidate revision served');
      const isvc = JSON.parse(await ok(['get', 'isvc', 'shop4', '-o', 'json']));
      assert.equal(isvc.spec.predictor.canaryTrafficPercent, undefined, 'promoted as KServe promotes: the field removed');
    } finally {
      await users.stop();
    }
  });
});
