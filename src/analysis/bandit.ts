// Multi-armed bandit allocation: which arm to play next, and the share of
// traffic each arm gets now. Pure functions over per-arm reward totals; the
// random source is passed in so simulations and tests are reproducible.
//
// The algorithms, as the reference simulations define them (docs/bandits.md):
// - thompson: draw each arm's mean from its posterior (Beta(1 + successes,
//   1 + failures) for binary rewards; Normal-Inverse-Gamma for continuous
//   ones, see bandit-posterior.ts) and play the largest draw.
// - ucb (UCB1, Auer, Cesa-Bianchi & Fischer 2002): play each arm once, then
//   the arm maximising mean + sqrt(2 ln t / n).
// - ucbTuned (same paper): mean + sqrt((ln t / n) · min(1/4, V)), with
//   V = the arm's reward variance + sqrt(2 ln t / n), a bound on its variance.
// - epsilonGreedy: play untried arms first, then with probability ε a
//   uniformly random arm, else the best empirical mean (ties at random).
//
// t is the step about to be played (1-based: assignments so far + 1) and
// n an arm's rewarded pulls; under delayed rewards the two differ, and a
// reward simply updates the totals when it arrives.
import { betaDraw } from '../core/random.ts';
import { argmax, posterior, probabilityBestOf, valueRemainingOf, DEFAULT_SAMPLES, type ArmStats, type RewardKind } from './bandit-posterior.ts';

export { applyLimits, limitsProblem, type Limits } from './bandit-limits.ts';
export { ipsEstimates, ipsFromTotals, type IpsEstimate, type LoggedReward, type LoggedTotals } from './bandit-ips.ts';
export { DEFAULT_SAMPLES, VALUE_REMAINING_QUANTILE, type ArmStats, type RewardKind } from './bandit-posterior.ts';

export type BanditAlgorithm = 'thompson' | 'ucb' | 'ucbTuned' | 'epsilonGreedy';
export interface BanditPolicy {
  algorithm: BanditAlgorithm;
  reward: RewardKind;
  /** epsilonGreedy's exploration rate, default 0.1. */
  epsilon?: number;
  /** epsilonGreedy: ε_t = ε · min(1, 100·K / t) — the full ε for the first 100 steps per arm, then falling as 1/t. */
  epsilonDecay?: boolean;
  /** The range continuous rewards lie in, [0, 1] unless given: UCB's confidence widths assume it. Binary rewards are in [0, 1]. */
  rewardRange?: readonly [number, number];
}

export const DEFAULT_EPSILON = 0.1;
/** With epsilonDecay, ε stays whole for this many steps per arm (Auer et al.'s ε_n-greedy decays as cK/(d²n) after a flat start). */
export const EPSILON_DECAY_STEPS_PER_ARM = 100;

/** The exploration rate of ε-greedy at step t among k arms. */
export function epsilonAt(p: BanditPolicy, k: number, t: number): number {
  const e = p.epsilon ?? DEFAULT_EPSILON;
  return p.epsilonDecay ? e * Math.min(1, (EPSILON_DECAY_STEPS_PER_ARM * k) / t) : e;
}

function meanOf(s: ArmStats): number {
  return s.pulls > 0 ? s.rewardSum / s.pulls : 0;
}

/** An arm's upper confidence bound at step t, in units of the reward range (∞ for an untried arm). */
export function ucbIndex(p: BanditPolicy, s: ArmStats, t: number): number {
  const n = s.pulls;
  if (n === 0) return Infinity;
  const lo = p.reward === 'binary' || !p.rewardRange ? 0 : p.rewardRange[0];
  const width = p.reward === 'binary' || !p.rewardRange ? 1 : p.rewardRange[1] - lo;
  const mean = (meanOf(s) - lo) / width;
  const explore = Math.log(t) / n;
  if (p.algorithm !== 'ucbTuned') return mean + Math.sqrt(2 * explore);
  const variance = Math.max(0, s.rewardSumSq / n - meanOf(s) ** 2) / (width * width);
  return mean + Math.sqrt(explore * Math.min(0.25, variance + Math.sqrt(2 * explore)));
}

function check(p: BanditPolicy, arms: readonly ArmStats[], t: number): void {
  if (arms.length === 0) throw new RangeError('a bandit needs at least one arm');
  if (!(t >= 1)) throw new RangeError(`t is the 1-based step about to be played, got ${t}`);
  const e = p.epsilon ?? DEFAULT_EPSILON;
  if (!(e >= 0 && e <= 1)) throw new RangeError(`epsilon must be in [0, 1], got ${e}`);
  if (p.rewardRange && !(p.rewardRange[1] > p.rewardRange[0])) throw new RangeError(`rewardRange must be [low, high] with low < high, got [${p.rewardRange.join(', ')}]`);
  for (let i = 0; i < arms.length; i++) {
    const s = arms[i]!;
    if (!(s.pulls >= 0) || !Number.isFinite(s.rewardSum) || !(s.rewardSumSq >= 0)) throw new RangeError(`arms[${i}] has invalid totals (pulls ${s.pulls}, rewardSum ${s.rewardSum}, rewardSumSq ${s.rewardSumSq})`);
    if (p.reward === 'binary' && !(s.rewardSum >= 0 && s.rewardSum <= s.pulls)) throw new RangeError(`arms[${i}]: binary rewards must total between 0 and pulls, got ${s.rewardSum} of ${s.pulls}`);
  }
}

/** Arms without a reward yet, which UCB and ε-greedy play first. */
function untried(arms: readonly ArmStats[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < arms.length; i++) if (arms[i]!.pulls === 0) out.push(i);
  return out;
}

/** One pull: the arm to play at step t (1-based). */
export function chooseArm(p: BanditPolicy, arms: readonly ArmStats[], t: number, rand: () => number): number {
  check(p, arms, t);
  const k = arms.length;
  switch (p.algorithm) {
    case 'thompson': {
      // Binary: the Beta draws inline, without building the posterior object — this runs per pull.
      if (p.reward === 'binary') return argmax(k, (i) => betaDraw(rand, 1 + arms[i]!.rewardSum, 1 + arms[i]!.pulls - arms[i]!.rewardSum), rand);
      const post = posterior(p.reward, arms);
      return argmax(k, (i) => post.draw(i, rand), rand);
    }
    case 'ucb':
    case 'ucbTuned':
      return argmax(k, (i) => ucbIndex(p, arms[i]!, t), rand);
    case 'epsilonGreedy': {
      let fresh = 0;
      for (const s of arms) if (s.pulls === 0) fresh++;
      if (fresh > 0) return untried(arms)[Math.floor(rand() * fresh)]!;
      if (rand() < epsilonAt(p, k, t)) return Math.floor(rand() * k);
      return argmax(k, (i) => meanOf(arms[i]!), rand);
    }
  }
}

/** Every index whose score equals the largest. */
function maxima(k: number, score: (i: number) => number): number[] {
  const scores = Array.from({ length: k }, (_, i) => score(i));
  const top = Math.max(...scores);
  return scores.flatMap((s, i) => (s === top ? [i] : []));
}

/**
 * The allocation a gateway applies: each arm's probability of being chosen now by chooseArm
 * (sums to 1). Thompson: P(arm is best) by Monte Carlo over the posteriors; UCB: all on the
 * largest index (ties split); ε-greedy: untried arms split everything, else ε/K each and the
 * rest on the best mean (ties split).
 */
export function allocation(p: BanditPolicy, arms: readonly ArmStats[], t: number, rand: () => number, samples = DEFAULT_SAMPLES): number[] {
  check(p, arms, t);
  const k = arms.length;
  const share = (chosen: readonly number[], mass: number, base = 0): number[] => {
    const w = new Array<number>(k).fill(base);
    for (const i of chosen) w[i]! += mass / chosen.length;
    return w;
  };
  switch (p.algorithm) {
    case 'thompson':
      return probabilityBestOf(p.reward, arms, rand, samples);
    case 'ucb':
    case 'ucbTuned':
      return share(maxima(k, (i) => ucbIndex(p, arms[i]!, t)), 1);
    case 'epsilonGreedy': {
      const fresh = untried(arms);
      if (fresh.length > 0) return share(fresh, 1);
      const e = epsilonAt(p, k, t);
      return share(maxima(k, (i) => meanOf(arms[i]!)), 1 - e, e / k);
    }
  }
}

/** P(arm is best) per arm under the reward model's posterior (whatever the algorithm), by Monte Carlo. */
export function probabilityBest(p: BanditPolicy, arms: readonly ArmStats[], rand: () => number, samples = DEFAULT_SAMPLES): number[] {
  check(p, arms, 1);
  return probabilityBestOf(p.reward, arms, rand, samples);
}

/** The value remaining if we stopped now on the likely best arm: the 95th percentile of the relative regret (see valueRemainingOf). */
export function valueRemaining(p: BanditPolicy, arms: readonly ArmStats[], rand: () => number, samples = DEFAULT_SAMPLES): number {
  check(p, arms, 1);
  return valueRemainingOf(p.reward, arms, rand, samples);
}
