// One simulated bandit phase, for bench/bandit-stop.ts and the bandit phase's
// error-rate tests: the real phase (banditLook) on a simulated clock, each
// look carrying `perLook` assignments split by the allocation and their 0/1
// rewards drawn as binomial counts, until the phase ends or `looks` looks.
import { binomial } from '../src/core/random.ts';
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

export function simulateBandit(phase: BanditPhaseSpec, rates: readonly number[], perLook: number, looks: number, lookMs: number, rand: () => number, threshold = 0.95, minRewards = 100): SimulatedRollout {
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
      const clicks = binomial(rand, n, p);
      const t = totals[i]!;
      Object.assign(t, { assigned: t.assigned + n, rewarded: t.rewarded + n, sum: t.sum + clicks, sumSq: t.sumSq + clicks, lastRewardMs: look * lookMs });
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
