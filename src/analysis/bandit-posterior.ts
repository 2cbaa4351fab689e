// The posterior of each arm's mean reward: what Thompson sampling draws
// from, and what a stopping rule reads — P(arm is best) and the value
// remaining (Scott 2010, "A modern Bayesian look at the multi-armed bandit";
// Google Analytics' content experiments).
//
// Binary rewards: Beta(1 + successes, 1 + failures), the uniform prior.
// Continuous rewards: Normal-Inverse-Gamma, conjugate to a normal reward of
// unknown mean and variance, with a prior fitted to the rewards pooled over
// all arms (mean μ₀ and variance s₀², worth one observation: κ₀ = 1, α₀ = 1,
// β₀ = s₀²). An arm without rewards then draws from a Student t with 2
// degrees of freedom around the pooled mean with the pooled spread: as
// uncertain as the data allow, without a reward scale to configure.
import { betaDraw, gammaDraw, normalDraw } from '../core/random.ts';

export type RewardKind = 'binary' | 'continuous';

/** Rewards observed so far for one arm (pulls = rewarded assignments). */
export interface ArmStats {
  pulls: number;
  rewardSum: number;
  rewardSumSq: number;
}

/** Monte Carlo draws per estimate unless the caller passes its own (standard error of a probability ≤ 0.5/√2000 ≈ 0.011). */
export const DEFAULT_SAMPLES = 2000;
/** The value remaining is this quantile of the relative regret of stopping now (Scott 2010: 95th percentile). */
export const VALUE_REMAINING_QUANTILE = 0.95;

export interface Posterior {
  /** One draw of arm i's mean reward. */
  draw(i: number, rand: () => number): number;
  /** Arm i's posterior mean. */
  mean(i: number): number;
}

export function posterior(reward: RewardKind, arms: readonly ArmStats[]): Posterior {
  return reward === 'binary' ? betaPosterior(arms) : normalInverseGammaPosterior(arms);
}

function betaPosterior(arms: readonly ArmStats[]): Posterior {
  const a = arms.map((s) => 1 + s.rewardSum);
  const b = arms.map((s) => 1 + s.pulls - s.rewardSum);
  return {
    draw: (i, rand) => betaDraw(rand, a[i]!, b[i]!),
    mean: (i) => a[i]! / (a[i]! + b[i]!),
  };
}

function normalInverseGammaPosterior(arms: readonly ArmStats[]): Posterior {
  let n0 = 0;
  let sum0 = 0;
  let sq0 = 0;
  for (const s of arms) {
    n0 += s.pulls;
    sum0 += s.rewardSum;
    sq0 += s.rewardSumSq;
  }
  const mu0 = n0 > 0 ? sum0 / n0 : 0;
  const var0 = n0 > 0 ? Math.max(0, sq0 / n0 - mu0 * mu0) : 0;
  const params = arms.map((s) => {
    const n = s.pulls;
    const mean = n > 0 ? s.rewardSum / n : 0;
    const ss = n > 0 ? Math.max(0, s.rewardSumSq - s.rewardSum * mean) : 0;
    return {
      mu: (mu0 + s.rewardSum) / (1 + n),
      kappa: 1 + n,
      alpha: 1 + n / 2,
      beta: var0 + ss / 2 + (n * (mean - mu0) ** 2) / (2 * (1 + n)),
    };
  });
  return {
    // σ² ~ InvGamma(α, β) = β / Gamma(α); μ | σ² ~ N(μₙ, σ²/κ): marginally a Student t with 2α degrees of freedom.
    draw: (i, rand) => {
      const p = params[i]!;
      if (p.beta === 0) return p.mu;
      return p.mu + normalDraw(rand) * Math.sqrt(p.beta / (p.kappa * gammaDraw(rand, p.alpha)));
    },
    mean: (i) => params[i]!.mu,
  };
}

/** The index of the largest score; ties broken uniformly at random (a reservoir of one). */
export function argmax(k: number, score: (i: number) => number, rand: () => number): number {
  let best = -Infinity;
  let at = 0;
  let ties = 0;
  for (let i = 0; i < k; i++) {
    const s = score(i);
    if (s > best) {
      best = s;
      at = i;
      ties = 1;
    } else if (s === best && rand() * ++ties < 1) {
      at = i;
    }
  }
  return at;
}

/** `samples` joint draws of every arm's mean (row-major: draw j of arm i at j·K + i), and how often each arm drew the largest. */
function jointDraws(reward: RewardKind, arms: readonly ArmStats[], rand: () => number, samples: number) {
  if (!(Number.isInteger(samples) && samples >= 1)) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const post = posterior(reward, arms);
  const k = arms.length;
  const draws = new Float64Array(samples * k);
  const wins = new Array<number>(k).fill(0);
  for (let j = 0; j < samples; j++) {
    const row = j * k;
    for (let i = 0; i < k; i++) draws[row + i] = post.draw(i, rand);
    wins[argmax(k, (i) => draws[row + i]!, rand)]!++;
  }
  return { post, draws, wins };
}

/** P(arm is best) under the posterior, by Monte Carlo: the share of joint draws each arm wins. */
export function probabilityBestOf(reward: RewardKind, arms: readonly ArmStats[], rand: () => number, samples = DEFAULT_SAMPLES): number[] {
  return jointDraws(reward, arms, rand, samples).wins.map((w) => w / samples);
}

/**
 * The value remaining: the 95th percentile, over posterior draws, of how much better the best
 * arm of the draw is than the arm we would stop on (the one most often best), relative to that
 * arm's value — (max θ − θ*) / θ*. Binary rewards divide by the draw θ* (Scott 2010); continuous
 * ones, which may be near or below zero, by |posterior mean of that arm| (∞ when that is 0 and
 * anything remains).
 */
export function valueRemainingOf(reward: RewardKind, arms: readonly ArmStats[], rand: () => number, samples = DEFAULT_SAMPLES): number {
  const { post, draws, wins } = jointDraws(reward, arms, rand, samples);
  const k = arms.length;
  let leader = 0;
  for (let i = 1; i < k; i++) {
    if (wins[i]! > wins[leader]! || (wins[i] === wins[leader] && post.mean(i) > post.mean(leader))) leader = i;
  }
  const regret = new Float64Array(samples);
  for (let j = 0; j < samples; j++) {
    const row = j * k;
    let top = -Infinity;
    for (let i = 0; i < k; i++) top = Math.max(top, draws[row + i]!);
    const mine = draws[row + leader]!;
    const scale = reward === 'binary' ? mine : Math.abs(post.mean(leader));
    regret[j] = top === mine ? 0 : (top - mine) / scale;
  }
  regret.sort();
  return regret[Math.ceil(VALUE_REMAINING_QUANTILE * samples) - 1]!;
}
