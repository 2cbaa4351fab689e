import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allocation, chooseArm, epsilonAt, probabilityBest, ucbIndex, valueRemaining, type ArmStats, type BanditPolicy } from '../../src/analysis/bandit.ts';
import { logBeta, normalCdf } from '../../src/analysis/special.ts';
import { seededRandom } from '../../src/core/random.ts';

const binary = (pulls: number, successes: number): ArmStats => ({ pulls, rewardSum: successes, rewardSumSq: successes });
/** Continuous rewards of a given count, mean and (population) variance. */
const moments = (pulls: number, mean: number, variance: number): ArmStats => ({ pulls, rewardSum: pulls * mean, rewardSumSq: pulls * (variance + mean * mean) });
const policy = (algorithm: BanditPolicy['algorithm'], o: Partial<BanditPolicy> = {}): BanditPolicy => ({ algorithm, reward: 'binary', ...o });

/** How often each arm is chosen in `n` calls. */
function frequencies(p: BanditPolicy, arms: ArmStats[], t: number, n: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const counts = new Array<number>(arms.length).fill(0);
  for (let i = 0; i < n; i++) counts[chooseArm(p, arms, t, rand)]!++;
  return counts.map((c) => c / n);
}

/** A Monte Carlo share of n draws agrees with probability q within 4.5 standard errors. */
function nearShare(label: string, got: number, q: number, n: number) {
  const bound = 4.5 * Math.sqrt(Math.max(q * (1 - q), 1 / n) / n);
  assert.ok(Math.abs(got - q) <= bound, `${label}: ${got} vs ${q} (± ${bound.toFixed(4)})`);
}

const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);

test('UCB1 plays an untried arm first, then the arm with the largest mean + sqrt(2 ln t / n)', () => {
  const p = policy('ucb');
  assert.equal(chooseArm(p, [binary(10, 5), binary(0, 0), binary(3, 1)], 14, seededRandom(1)), 1);
  assert.deepEqual(allocation(p, [binary(10, 5), binary(0, 0), binary(0, 0)], 11, seededRandom(1)), [0, 0.5, 0.5]);
  // A well-measured 0.6 against a barely-measured 0.5: the exploration bonus wins.
  const arms = [binary(100, 60), binary(10, 5)];
  assert.equal(ucbIndex(p, arms[0]!, 111), 0.6 + Math.sqrt((2 * Math.log(111)) / 100));
  assert.equal(ucbIndex(p, arms[1]!, 111), 0.5 + Math.sqrt((2 * Math.log(111)) / 10));
  assert.equal(chooseArm(p, arms, 111, seededRandom(1)), 1);
  assert.deepEqual(allocation(p, arms, 111, seededRandom(1)), [0, 1]);
  // Both well measured: the better mean wins.
  assert.equal(chooseArm(p, [binary(1000, 600), binary(1000, 500)], 2001, seededRandom(1)), 0);
  // Equal indexes: the allocation splits, and a pull picks either.
  assert.deepEqual(allocation(p, [binary(50, 20), binary(50, 20)], 101, seededRandom(1)), [0.5, 0.5]);
  const f = frequencies(p, [binary(50, 20), binary(50, 20)], 101, 4000, 2);
  nearShare('tie', f[0]!, 0.5, 4000);
});

test('UCB-tuned bounds the exploration by the arm\'s variance: a steady arm needs less of it than UCB1 gives', () => {
  // Continuous rewards in [0, 1]: A always pays 0.5 (50 pulls), B pays 0.6 on average with variance 0.24 (200 pulls).
  const arms = [moments(50, 0.5, 0), moments(200, 0.6, 0.24)];
  const t = 251;
  const ln = Math.log(t);
  assert.equal(chooseArm(policy('ucb', { reward: 'continuous' }), arms, t, seededRandom(1)), 0);
  const tuned = policy('ucbTuned', { reward: 'continuous' });
  const vA = Math.min(0.25, 0 + Math.sqrt((2 * ln) / 50));
  assert.ok(Math.abs(ucbIndex(tuned, arms[0]!, t) - (0.5 + Math.sqrt((ln / 50) * vA))) < 1e-12);
  assert.equal(chooseArm(tuned, arms, t, seededRandom(1)), 1);
  assert.deepEqual(allocation(tuned, arms, t, seededRandom(1)), [0, 1]);
  // The same rewards on a declared range of [0, 10] make the same choices.
  const scaled = [moments(50, 5, 0), moments(200, 6, 24)];
  assert.equal(chooseArm({ ...tuned, rewardRange: [0, 10] }, scaled, t, seededRandom(1)), 1);
  assert.equal(chooseArm(policy('ucb', { reward: 'continuous', rewardRange: [0, 10] }), scaled, t, seededRandom(1)), 0);
});

test('ε-greedy plays untried arms first, then a uniformly random arm with probability ε, else the best mean', () => {
  const p = policy('epsilonGreedy');
  const fresh = frequencies(p, [binary(5, 4), binary(0, 0), binary(0, 0)], 6, 2000, 3);
  assert.equal(fresh[0], 0);
  nearShare('untried arm 1', fresh[1]!, 0.5, 2000);
  const arms = [binary(100, 30), binary(100, 50), binary(100, 40)];
  // The random source decides: below ε explores (the next draw picks the arm), at or above it exploits.
  const script = (...xs: number[]) => () => xs.shift()!;
  assert.equal(chooseArm(p, arms, 301, script(0.05, 0.1)), 0);
  assert.equal(chooseArm(p, arms, 301, script(0.05, 0.9)), 2);
  assert.equal(chooseArm(p, arms, 301, script(0.5)), 1);
  const alloc = allocation(p, arms, 301, seededRandom(1));
  assert.deepEqual(alloc.map((x) => +x.toFixed(12)), [0.1 / 3, 0.9 + 0.1 / 3, 0.1 / 3].map((x) => +x.toFixed(12)));
  const f = frequencies(p, arms, 301, 20_000, 4);
  f.forEach((x, i) => nearShare(`arm ${i}`, x, alloc[i]!, 20_000));
  // Equal best means split the exploiting share.
  assert.deepEqual(allocation({ ...p, epsilon: 0.2 }, [binary(10, 5), binary(10, 5), binary(10, 1)], 31, seededRandom(1)).map((x) => +x.toFixed(12)), [0.4 + 0.2 / 3, 0.4 + 0.2 / 3, 0.2 / 3].map((x) => +x.toFixed(12)));
});

test('decaying ε keeps ε for the first 100 steps per arm, then falls as 1/t', () => {
  const p = policy('epsilonGreedy', { epsilon: 0.2, epsilonDecay: true });
  assert.equal(epsilonAt(p, 3, 1), 0.2);
  assert.equal(epsilonAt(p, 3, 300), 0.2);
  assert.ok(Math.abs(epsilonAt(p, 3, 3000) - 0.02) < 1e-15);
  assert.equal(epsilonAt({ ...p, epsilonDecay: false }, 3, 3000), 0.2);
  const alloc = allocation(p, [binary(1000, 100), binary(1000, 300), binary(1000, 200)], 3000, seededRandom(1));
  assert.ok(Math.abs(alloc[1]! - (0.98 + 0.02 / 3)) < 1e-12);
});

/** P(θ_B > θ_A) for θ_A ~ Beta(aA, bA), θ_B ~ Beta(aB, bB), aB an integer (Miller's closed form). */
function betaBeats(aA: number, bA: number, aB: number, bB: number): number {
  let p = 0;
  for (let i = 0; i < aB; i++) p += Math.exp(logBeta(aA + i, bA + bB) - Math.log(bB + i) - logBeta(1 + i, bB) - logBeta(aA, bA));
  return p;
}

test('Thompson: the allocation is P(arm is best) under Beta(1 + s, 1 + f) posteriors, and pulls follow it', () => {
  const p = policy('thompson');
  for (const [a, b] of [[[100, 20], [100, 28]], [[40, 4], [15, 2]], [[0, 0], [3, 3]]] as const) {
    const arms = [binary(a[0], a[1]), binary(b[0], b[1])];
    const want = betaBeats(1 + a[1], 1 + a[0] - a[1], 1 + b[1], 1 + b[0] - b[1]);
    const samples = 20_000;
    const alloc = allocation(p, arms, 1, seededRandom(5), samples);
    nearShare(`P(best) ${JSON.stringify(arms)}`, alloc[1]!, want, samples);
    assert.equal(sum(alloc), 1);
    const f = frequencies(p, arms, 1, 5000, 6);
    nearShare(`pulls ${JSON.stringify(arms)}`, f[1]!, want, 5000);
  }
  const three = allocation(p, [binary(30, 10), binary(30, 12), binary(5, 1)], 66, seededRandom(7));
  assert.ok(Math.abs(sum(three) - 1) < 1e-12);
});

test('Thompson on continuous rewards: with many rewards P(best) is the normal one of the difference of means', () => {
  const p = policy('thompson', { reward: 'continuous' });
  const arms = [moments(1000, 10, 16), moments(800, 10.3, 25)];
  const want = normalCdf(0.3 / Math.sqrt(16 / 1000 + 25 / 800));
  const samples = 20_000;
  const got = probabilityBest(p, arms, seededRandom(8), samples)[1]!;
  // The Student t posterior with ~1000 degrees of freedom is within 0.005 of the normal here.
  assert.ok(Math.abs(got - want) < 4.5 * Math.sqrt((want * (1 - want)) / samples) + 0.005, `${got} vs ${want}`);
  // Without rewards every arm draws from the same pooled prior: an even split.
  const none = allocation(p, [moments(0, 0, 0), moments(0, 0, 0), moments(0, 0, 0)], 1, seededRandom(9), 6000);
  none.forEach((x) => nearShare('no rewards', x, 1 / 3, 6000));
  // An untried arm beside measured ones is still explored: it draws from the pooled prior.
  const fresh = allocation(p, [moments(50, 1, 1), moments(50, 1.2, 1), moments(0, 0, 0)], 101, seededRandom(10));
  assert.ok(fresh[2]! > 0.1, `untried arm gets ${fresh[2]}`);
});

test('stopping rule: probability best and value remaining shrink as evidence accumulates', () => {
  const p = policy('thompson');
  const clear = [binary(5000, 500), binary(5000, 650)];
  assert.ok(probabilityBest(p, clear, seededRandom(11))[1]! > 0.999);
  assert.equal(valueRemaining(p, clear, seededRandom(11)), 0);
  // Two equal arms: the 95th percentile of max(0, θ_other − θ_leader) / θ_leader, with θ_other − θ_leader ≈ N(0, 2p(1 − p)/n),
  // is 1.645 · sqrt(2p(1 − p)/n) / p; its Monte Carlo error at 4000 draws is about 4 %.
  for (const n of [400, 10_000]) {
    const want = (1.645 * Math.sqrt((2 * 0.25) / n)) / 0.5;
    const got = valueRemaining(p, [binary(n, n / 2), binary(n, n / 2)], seededRandom(12), 4000);
    assert.ok(Math.abs(got / want - 1) < 0.15, `n ${n}: ${got} vs ${want}`);
  }
  // Continuous rewards are judged relative to the leader's posterior mean.
  const c = policy('thompson', { reward: 'continuous' });
  const vr = valueRemaining(c, [moments(10_000, 20, 100), moments(10_000, 20, 100)], seededRandom(13), 4000);
  const want = (1.645 * Math.sqrt((2 * 100) / 10_000)) / 20;
  assert.ok(Math.abs(vr / want - 1) < 0.15, `${vr} vs ${want}`);
});

test('bad totals, steps and rates are refused with the field named', () => {
  const rand = seededRandom(1);
  assert.throws(() => chooseArm(policy('thompson'), [binary(3, 4)], 1, rand), /arms\[0\]: binary rewards must total between 0 and pulls/);
  assert.throws(() => chooseArm(policy('ucb'), [binary(3, 1)], 0, rand), /t is the 1-based step/);
  assert.throws(() => chooseArm(policy('ucb'), [], 1, rand), /at least one arm/);
  assert.throws(() => allocation(policy('epsilonGreedy', { epsilon: 1.5 }), [binary(3, 1)], 1, rand), /epsilon must be in \[0, 1\]/);
  assert.throws(() => chooseArm(policy('ucb', { reward: 'continuous', rewardRange: [1, 1] }), [binary(3, 1)], 4, rand), /rewardRange/);
  assert.throws(() => probabilityBest(policy('thompson'), [binary(3, 1)], rand, 0), /samples must be a positive integer/);
});

// The reference simulations' setup (Chapelle & Li 2011): ten arms, the best at 0.5, nine at 0.4.
const reference = JSON.parse(readFileSync(new URL('../fixtures/bandits/bandit_reference_regret_T1e5_R200.json', import.meta.url), 'utf8'));
const setup = reference['cl_k10_e0.1'];

test('short-horizon regret of each algorithm agrees with the reference simulations (10 arms, T = 1000)', () => {
  const runs = 60;
  const T = 1000;
  const mu: number[] = setup.mu;
  const best = Math.max(...mu);
  for (const [name, p] of [['ts', policy('thompson')], ['ucb1', policy('ucb')], ['egreedy_0.1', policy('epsilonGreedy', { epsilon: 0.1 })]] as const) {
    const rand = seededRandom(100);
    let total = 0;
    for (let r = 0; r < runs; r++) {
      const arms = mu.map(() => binary(0, 0));
      for (let t = 1; t <= T; t++) {
        const a = chooseArm(p, arms, t, rand);
        const reward = rand() < mu[a]! ? 1 : 0;
        arms[a]!.pulls++;
        arms[a]!.rewardSum += reward;
        arms[a]!.rewardSumSq += reward;
        total += best - mu[a]!;
      }
    }
    const ref = setup.algos[name]['1000'];
    // The mean of `runs` runs of the same algorithm lies within 4.5 standard errors of the reference mean.
    const bound = (4.5 * ref.sd) / Math.sqrt(runs);
    const mean = total / runs;
    assert.ok(Math.abs(mean - ref.mean) < bound, `${name}: mean regret ${mean.toFixed(1)} vs reference ${ref.mean.toFixed(1)} ± ${bound.toFixed(1)}`);
  }
});
