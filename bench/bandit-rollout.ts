// One simulated bandit phase, for bench/bandit-stop.ts and the bandit phase's
// error-rate tests: the real phase (banditLook) on a simulated clock, each
// look carrying `perLook` assignments split by the allocation, until the
// phase ends or `looks` looks. Rewards are 0/1 clicks drawn as binomial
// counts, or revenue: a purchase with the arm's rate, of a lognormal value
// (median e³ ≈ 20, mean ≈ 33, a heavy right tail), else 0.
import { binomial, normalDraw } from '../src/core/random.ts';
import type { BanditPhaseSpec } from '../src/api/kinds/trafficplan.ts';
import { banditLook, startBandit, type ArmReading } from '../src/controllers/plan/bandit-phase.ts';

export interface SimulatedRollout {
  /** The arm promoted, if any (arm 0 is the fallback, never "promoted"). */
  promoted?: number;
  /** The arm P(best) alone would have stopped on first (≥ threshold with the rewards asked for), if any. */
  firstLikelyBest?: number;
  /** Looks until it ended (or all of them). */
  looks: number;
}

export type SimulatedReward = 'binary' | 'revenue';

/** Σ and Σ² of `n` rewards of an arm converting at `p`. */
function draw(kind: SimulatedReward, n: number, p: number, rand: () => number): { sum: number; sumSq: number } {
  const buyers = binomial(rand, n, p);
  if (kind === 'binary') return { sum: buyers, sumSq: buyers };
  let sum = 0;
  let sumSq = 0;
  for (let k = 0; k < buyers; k++) {
    const value = Math.exp(3 + normalDraw(rand));
    sum += value;
    sumSq += value * value;
  }
  return { sum, sumSq };
}

export function simulateBandit(phase: BanditPhaseSpec, rates: readonly number[], perLook: number, looks: number, lookMs: number, rand: () => number, threshold = 0.95, minRewards = 100, reward: SimulatedReward = 'binary'): SimulatedRollout {
  let s = startBandit(phase, rates.map((_, i) => `arm-${i}`), 0, 0);
  const totals: ArmReading[] = rates.map(() => ({ assigned: 0, rewarded: 0, sum: 0, sumSq: 0, outOfRange: 0 }));
  let firstLikelyBest: number | undefined;
  for (let look = 1; look <= looks; look++) {
    // A multinomial split of the look's assignments by the allocation, arm by arm.
    let left = perLook;
    let mass = 1;
    rates.forEach((p, i) => {
      const n = i === rates.length - 1 ? left : binomial(rand, left, Math.min(1, s.weights[i]! / mass));
      left -= n;
      mass -= s.weights[i]!;
      const d = draw(reward, n, p, rand);
      const t = totals[i]!;
      Object.assign(t, { assigned: t.assigned + n, rewarded: t.rewarded + n, sum: t.sum + d.sum, sumSq: t.sumSq + d.sumSq, lastRewardMs: look * lookMs });
    });
    const r = banditLook(phase, s, totals.map((t) => ({ ...t })), [], 0, look * lookMs, rand);
    s = r.state;
    const p = s.probabilityBest ?? [];
    const best = p.indexOf(Math.max(...p));
    if (firstLikelyBest === undefined && p[best]! >= threshold && s.stats.every((a) => a.pulls >= minRewards)) firstLikelyBest = best;
    if (r.end) return { ...(r.end.promote ? { promoted: r.end.best } : {}), ...(firstLikelyBest !== undefined ? { firstLikelyBest } : {}), looks: look };
  }
  return { ...(firstLikelyBest !== undefined ? { firstLikelyBest } : {}), looks };
}
