import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipsEstimates, type LoggedReward } from '../../src/analysis/bandit-ips.ts';
import { seededRandom } from '../../src/core/random.ts';

test('IPS weights each reward by 1 / propensity over every logged row; SNIPS normalises by the weights of the arm\'s rows', () => {
  const logged: LoggedReward[] = [
    { arm: 0, propensity: 0.8, reward: 1 },
    { arm: 0, propensity: 0.8, reward: 0 },
    { arm: 1, propensity: 0.2, reward: 1 },
    { arm: 0, propensity: 0.5, reward: 1 },
  ];
  const [a, b, c] = ipsEstimates(logged, 3);
  assert.ok(Math.abs(a!.ips - (1 / 0.8 + 1 / 0.5) / 4) < 1e-12);
  assert.ok(Math.abs(a!.snips - (1 / 0.8 + 1 / 0.5) / (2 / 0.8 + 1 / 0.5)) < 1e-12);
  assert.equal(a!.n, 3);
  assert.ok(Math.abs(b!.ips - 5 / 4) < 1e-12);
  assert.equal(b!.snips, 1);
  assert.deepEqual(c, { ips: 0, ipsSe: 0, snips: 0, n: 0 });
});

/** One logged batch: n assignments drawn from the propensities at each row, Bernoulli rewards by arm (and row). */
function logBatch(rand: () => number, n: number, propensities: (row: number) => number[], rate: (arm: number, row: number) => number): LoggedReward[] {
  return Array.from({ length: n }, (_, row) => {
    const p = propensities(row);
    let u = rand();
    let arm = 0;
    while (arm < p.length - 1 && u >= p[arm]!) u -= p[arm++]!;
    return { arm, propensity: p[arm]!, reward: rand() < rate(arm, row) ? 1 : 0 };
  });
}

test('IPS is unbiased for each arm\'s mean under a skewed logging policy, and its standard error is honest', () => {
  const rand = seededRandom(31);
  const logging = [0.7, 0.2, 0.1];
  const mu = [0.1, 0.3, 0.5];
  const batches = 400;
  const n = 200;
  const sums = [0, 0, 0];
  const ses = [0, 0, 0];
  for (let b = 0; b < batches; b++) {
    ipsEstimates(logBatch(rand, n, () => logging, (a) => mu[a]!), 3).forEach((e, a) => {
      sums[a]! += e.ips;
      ses[a]! += e.ipsSe;
    });
  }
  mu.forEach((m, a) => {
    // One row's term is reward/propensity on arm a, else 0: variance μ/p − μ².
    const sd = Math.sqrt((m / logging[a]! - m * m) / n);
    const mean = sums[a]! / batches;
    const bound = (4.5 * sd) / Math.sqrt(batches);
    assert.ok(Math.abs(mean - m) < bound, `arm ${a}: mean IPS ${mean} vs ${m} ± ${bound}`);
    assert.ok(Math.abs(ses[a]! / batches / sd - 1) < 0.1, `arm ${a}: reported se ${ses[a]! / batches} vs ${sd}`);
  });
});

test('when the policy favoured an arm while it paid less, its plain mean is biased and IPS is not', () => {
  const rand = seededRandom(32);
  // Arm 0 pays 0.2 in the first half and 0.4 in the second (0.3 overall); the policy gave it 90 % then 10 %.
  const n = 40_000;
  const logged = logBatch(rand, n, (row) => (row < n / 2 ? [0.9, 0.1] : [0.1, 0.9]), (arm, row) => (arm === 0 ? (row < n / 2 ? 0.2 : 0.4) : 0.3));
  const rows = logged.filter((r) => r.arm === 0);
  const plain = rows.reduce((s, r) => s + r.reward, 0) / rows.length;
  assert.ok(Math.abs(plain - 0.22) < 0.01, `plain mean ${plain}`);
  const [arm0] = ipsEstimates(logged, 2);
  assert.ok(Math.abs(arm0!.ips - 0.3) < 4.5 * arm0!.ipsSe, `IPS ${arm0!.ips} ± ${arm0!.ipsSe}`);
  assert.ok(Math.abs(arm0!.snips - 0.3) < 4.5 * arm0!.ipsSe, `SNIPS ${arm0!.snips}`);
});

test('rows with an unknown arm or an impossible propensity are refused with the row named', () => {
  assert.throws(() => ipsEstimates([{ arm: 2, propensity: 0.5, reward: 1 }], 2), /logged\[0\].arm must be an arm index in \[0, 2\)/);
  assert.throws(() => ipsEstimates([{ arm: 0, propensity: 0.5, reward: 1 }, { arm: 1, propensity: 0, reward: 1 }], 2), /logged\[1\].propensity must be in \(0, 1\]/);
  assert.throws(() => ipsEstimates([], 0), /arms must be a positive integer/);
});
