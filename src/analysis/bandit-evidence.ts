// Whether a bandit may promote its best arm: P(best) says which arm the
// rewards favour, but read at every look it crosses 0.95 by chance — two
// equal arms end with one "best at 95 %" in about half of all runs, and the
// candidate promoted in a quarter, whatever the traffic. A promotion changes
// what production serves, so it needs what a canary's gates need: evidence
// that holds at every look. Each arm's mean reward gets an always-valid
// interval (a confidence sequence over that arm's own rewards, so it stays
// valid however the bandit shifts traffic between arms), the level split over
// the arms so all hold together with probability ≥ 1 − α; an arm is shown
// better than the fallback when its interval lies wholly above the
// fallback's. An arm no better than the fallback is then promoted with
// probability ≤ α, at every traffic level and over any number of looks.
//   binary      Robbins' beta-binomial mixture (uniform prior): exact for 0/1 rewards
//   continuous  GrowthBook's sequential interval on the sample standard error
import type { ArmStats, RewardKind } from './bandit-posterior.ts';
import { DEFAULT_TUNING, sequentialInterval } from './outcomes.ts';
import { rateConfidenceSequence, UNIFORM_PRIOR } from './sequential.ts';

export type Interval = [number, number];

/** Each arm's always-valid interval for its mean reward; together they hold with probability ≥ 1 − alpha. */
export function armIntervals(reward: RewardKind, arms: readonly ArmStats[], alpha: number): Interval[] {
  const each = alpha / arms.length;
  return arms.map((a) => (reward === 'binary' ? rateConfidenceSequence(a.rewardSum, a.pulls, each, UNIFORM_PRIOR) : meanInterval(a, each)));
}

function meanInterval(a: ArmStats, alpha: number): Interval {
  if (a.pulls < 2) return [-Infinity, Infinity];
  const mean = a.rewardSum / a.pulls;
  const variance = Math.max(0, (a.rewardSumSq - a.pulls * mean * mean) / (a.pulls - 1));
  // A sample without spread says nothing about the spread to come: no interval yet.
  if (variance === 0) return [-Infinity, Infinity];
  return sequentialInterval(mean, Math.sqrt(variance / a.pulls), a.pulls, DEFAULT_TUNING, alpha);
}

/** Arm `arm` is shown better than arm `base`: its interval lies wholly above base's. */
export function shownBetter(intervals: readonly Interval[], arm: number, base: number): boolean {
  return intervals[arm]![0] > intervals[base]![1];
}
