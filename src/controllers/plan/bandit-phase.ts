// A bandit phase at one look, pure: the allocation between arms learnt from
// rewards (src/analysis/bandit.ts), with the seed's guardrails around it —
// floors and ceilings per arm; arms whose guardrail gates fail frozen at 0
// (their traffic to the fallback arm); reward sanity (values out of range, a
// reward rate jumping beyond a bound) and freshness (no reward for
// rewardFreshness) freeze learning, or fall back; an operator's no-learning
// mode keeps the allocation fixed while everything is still logged. It ends
// when one arm is best with the asked probability (or the value the others
// could still win back is small), or at maxDuration; an arm other than the
// fallback is promoted only once it is shown better than the fallback
// (src/analysis/bandit-evidence.ts), else the fallback is kept.
import { banditStopRule, type BanditPhaseSpec } from '../../api/kinds/trafficplan.ts';
import { allocation, applyLimits, ipsFromTotals, probabilityBest, valueRemaining, type ArmStats, type BanditPolicy, type IpsEstimate, type LoggedTotals } from '../../analysis/bandit.ts';
import { armIntervals, shownBetter } from '../../analysis/bandit-evidence.ts';
import { optionalDurationMs as goDurationMs } from '../../core/duration.ts';
import type { ArmRewards } from '../../store/outcomes.ts';


/** One arm's rewards since the phase began, as the prediction log's outcome query reads them. */
export type ArmReading = ArmRewards;

export interface BanditState {
  arms: string[];
  /** Index of the fallback arm (the baseline unless the plan names another). */
  fallback: number;
  /** The allocation applied (fractions summing to 1) and its version. */
  weights: number[];
  version: number;
  allocatedAt: number;
  /** What the allocation learnt from: rewarded assignments per arm. */
  stats: ArmStats[];
  /** Assignments per arm (rewarded or not): assigned − rewarded are pending. */
  assigned: number[];
  /** Arms held at 0 because their guardrails failed, and why. */
  frozen: boolean[];
  frozenWhy: Array<string | null>;
  /** The operator's switch: false is the no-learning mode. */
  learning: boolean;
  /** Learning is held by a guardrail (reward sanity, freshness): why. */
  hold?: string;
  /** Reward rate per arm at the last allocation, for the jump check. */
  rates?: number[];
  /** Rewards learnt from when the allocation was last recomputed: without new ones it stays (no churn of users between arms). */
  allocatedRewards?: number;
  probabilityBest?: number[];
  valueRemaining?: number;
  /** Each arm's always-valid interval for its mean reward (src/analysis/bandit-evidence.ts): a promotion needs the arm's above the fallback's. */
  intervals?: Array<[number, number]>;
  /** The leading arm being confirmed against the fallback: the two share the traffic until it is shown better or no longer leads. */
  confirming?: number;
  /** Each arm's inverse-propensity estimates from the logged assignments, when the gateway logged propensities. */
  offPolicy?: IpsEstimate[];
  lastRewardMs?: number;
  /** The arm the stopping rule picked while its guardrail gates have not passed yet: promoting it waits for them. */
  awaiting?: { arm: number; why: string };
  /** The last allocations, oldest first, for status and charts. */
  history: Array<{ at: number; weights: number[] }>;
}

export interface BanditEnd {
  /** The arm that ends as the result (the fallback when nothing beat it). */
  best: number;
  promote: boolean;
  cause: string;
  reason: string;
}

const HISTORY = 60;

export function policyOf(b: BanditPhaseSpec): BanditPolicy {
  const kind = typeof b.reward === 'object' ? b.reward.kind : 'binary';
  return { algorithm: b.algorithm, reward: kind, ...(b.epsilon !== undefined ? { epsilon: b.epsilon } : {}), ...(b.epsilonDecay !== undefined ? { epsilonDecay: b.epsilonDecay } : {}) };
}

function limits(b: BanditPhaseSpec, frozen: boolean[]) {
  return { ...(b.minPercent !== undefined ? { min: b.minPercent / 100 } : {}), ...(b.maxPercent !== undefined ? { max: b.maxPercent / 100 } : {}), frozen };
}

export function startBandit(b: BanditPhaseSpec, arms: string[], fallback: number, now: number): BanditState {
  const frozen = arms.map(() => false);
  const weights = applyLimits(arms.map(() => 1 / arms.length), limits(b, frozen));
  return {
    arms, fallback, weights, version: 1, allocatedAt: now, stats: arms.map(() => ({ pulls: 0, rewardSum: 0, rewardSumSq: 0 })),
    assigned: arms.map(() => 0), frozen, frozenWhy: arms.map(() => null), learning: true, history: [{ at: now, weights }],
  };
}

/** Everything to the fallback arm (kill, stale rewards with onStale: fallback). */
export function fallbackWeights(s: BanditState): number[] {
  return s.arms.map((_, i) => (i === s.fallback ? 1 : 0));
}

function withAllocation(s: BanditState, weights: number[], now: number): BanditState {
  return { ...s, weights, version: s.version + 1, allocatedAt: now, history: [...s.history, { at: now, weights }].slice(-HISTORY) };
}

const rate = (a: ArmStats) => (a.pulls > 0 ? a.rewardSum / a.pulls : 0);

const total = (stats: readonly ArmStats[]) => stats.reduce((a, x) => a + x.pulls, 0);

/**
 * One look: take the rewards read, freeze arms whose guardrails failed, check
 * reward sanity and freshness, reallocate on the cadence, and say whether the
 * bandit ends. `armFailures[i]` is why arm i's guardrails failed (undefined: holding);
 * `unproven[i]` why they have not passed yet (undefined: every gate passed). An arm is
 * promoted only once its gates pass, as a canary's last step is: the reward says it
 * earns more, the gates that it is safe to serve everything.
 */
export function banditLook(b: BanditPhaseSpec, s: BanditState, readings: readonly ArmReading[], armFailures: ReadonlyArray<string | undefined>, phaseStartedAt: number, now: number, rand: () => number, unmatched = 0, unproven: ReadonlyArray<string | undefined> = []): { state: BanditState; end?: BanditEnd; notes: string[] } {
  const notes: string[] = [];
  let next: BanditState = { ...s, assigned: readings.map((r) => r.assigned) };
  if (readings.some((r) => r.logged)) next.offPolicy = ipsFromTotals(readings.map((r) => r.logged ?? { n: 0, sum: 0, sumSq: 0, inverse: 0 }));
  // Guardrails: an arm that fails is frozen at 0 for the rest of the phase; the fallback takes its traffic.
  const frozen = [...s.frozen];
  const why = [...s.frozenWhy];
  armFailures.forEach((f, i) => {
    if (f && !frozen[i] && i !== s.fallback) {
      frozen[i] = true;
      why[i] = f;
      notes.push(`arm ${s.arms[i]} frozen at 0: ${f}`);
    }
  });
  next = { ...next, frozen, frozenWhy: why };
  const lastRewardMs = Math.max(s.lastRewardMs ?? 0, ...readings.map((r) => r.lastRewardMs ?? 0)) || undefined;
  if (lastRewardMs !== undefined) next.lastRewardMs = lastRewardMs;
  // Reward sanity: values out of the declared range, or a reward rate that jumped, stop learning.
  // Implicit zeros (binary rewards with zeroAfter) are pulls that earned nothing: they add to n, not to the sums.
  const stats: ArmStats[] = readings.map((r) => ({ pulls: r.rewarded + (r.implicitZeros ?? 0), rewardSum: r.sum, rewardSumSq: r.sumSq }));
  let hold: string | undefined;
  const bad = readings.findIndex((r) => r.outOfRange > 0);
  if (bad >= 0) hold = `rewards outside the declared range for arm ${s.arms[bad]} (${readings[bad]!.outOfRange}): learning frozen, not learnt from`;
  // Rewards for requests nobody can find: the reward pipeline (ids, units, namespace) is broken.
  const rewarded = readings.reduce((a, r) => a + r.rewarded + r.outOfRange, 0);
  const maxShare = b.maxUnmatchedRewardShare ?? 0.05;
  if (!hold && unmatched > 0 && unmatched > maxShare * (rewarded + unmatched)) {
    hold = `${unmatched} rewards joined no known request (more than ${(100 * maxShare).toFixed(0)} % of ${rewarded + unmatched}; see \`switchyard feedback\`): learning frozen`;
  }
  if (!hold && b.maxRewardRateJump !== undefined && s.rates) {
    const jump = stats.findIndex((a, i) => a.pulls >= 30 && (s.stats[i]?.pulls ?? 0) >= 30 && Math.abs(rate(a) - s.rates![i]!) > b.maxRewardRateJump!);
    if (jump >= 0) hold = `arm ${s.arms[jump]}'s reward rate jumped from ${s.rates[jump]!.toFixed(3)} to ${rate(stats[jump]!).toFixed(3)} (more than maxRewardRateJump ${b.maxRewardRateJump}): learning frozen`;
  }
  // Freshness: no reward for rewardFreshness (counted from the phase's start until the first) freezes, or falls back.
  const fresh = goDurationMs(b.rewardFreshness);
  const stale = fresh !== undefined && now - (lastRewardMs ?? phaseStartedAt) > fresh;
  if (!hold && stale) hold = `no reward for more than rewardFreshness ${b.rewardFreshness}: ${b.onStale === 'fallback' ? 'everything to the fallback arm' : 'allocation frozen at its last value'}`;
  if (hold && hold !== s.hold) notes.push(hold);
  if (!hold && s.hold) notes.push('rewards are sane and fresh again: learning resumes');
  next = { ...next, ...(hold ? { hold } : {}) };
  if (!hold) delete next.hold;
  if (!hold) next.stats = stats;
  const cadence = goDurationMs(b.cadence) ?? 0;
  const policy = policyOf(b);
  if (stale && b.onStale === 'fallback') {
    if (next.weights.some((w, i) => w !== (i === s.fallback ? 1 : 0))) next = withAllocation(next, fallbackWeights(next), now);
  } else if (frozen.some((f, i) => f !== s.frozen[i])) {
    // A newly frozen arm leaves at once, whatever the cadence or learning mode.
    next = withAllocation(next, applyLimits(next.weights, limits(b, frozen)), now);
  } else if (!hold && next.learning && now - s.allocatedAt >= cadence && total(stats) > (s.allocatedRewards ?? 0)) {
    const t = total(stats) + 1;
    const learnt = s.confirming !== undefined && !frozen[s.confirming] ? confirmation(s.arms.length, s.confirming, s.fallback) : allocation(policy, stats, t, rand);
    next = withAllocation({ ...next, rates: stats.map(rate), allocatedRewards: total(stats) }, applyLimits(learnt, limits(b, frozen)), now);
  }
  // Where it stands, and whether it ends.
  const live = stats.map((a, i) => (frozen[i] ? { pulls: 0, rewardSum: 0, rewardSumSq: 0 } : a));
  const pBest = probabilityBest(policy, live, rand).map((p, i) => (frozen[i] ? 0 : p));
  next.probabilityBest = pBest;
  next.valueRemaining = valueRemaining(policy, live, rand);
  const best = pBest.indexOf(Math.max(...pBest));
  const stop = banditStopRule(b);
  next.intervals = armIntervals(policy.reward, stats, stop.alpha);
  const enough = live.every((a, i) => frozen[i] || a.pulls >= stop.minRewards);
  const threshold = stop.probabilityBest;
  const fallbackKept = (cause: string, why: string): BanditEnd => ({ best: s.fallback, promote: false, cause, reason: why });
  const verdict = (cause: string, what: string): BanditEnd => ({
    best, promote: best !== s.fallback, cause,
    reason: best !== s.fallback ? `${what}: arm ${s.arms[best]} is best with probability ${pct(pBest[best]!)} and ${aboveText(s.arms, next.intervals!, best, s.fallback)} — promoted` : `${what}: the fallback arm ${s.arms[best]} is best (probability ${pct(pBest[best]!)}) — kept`,
  });
  // A promotion waits for the best arm's gates (is it safe?) and for evidence that it earns more than the fallback (is it better?).
  const waiting = best !== s.fallback ? unproven[best] : undefined;
  const unshown = best !== s.fallback && !shownBetter(next.intervals, best, s.fallback) ? notShownBetter(next, best) : undefined;
  delete next.awaiting;
  const likelyBest = pBest[best]! >= threshold;
  // A leader not yet shown better is confirmed against the fallback, each taking half, for as long as it leads.
  delete next.confirming;
  if (!hold && next.learning && enough && unshown && !frozen[best] && (likelyBest || s.confirming === best)) {
    next.confirming = best;
    if (s.confirming !== best) notes.push(`arm ${s.arms[best]} is best with probability ${pct(pBest[best]!)}, but ${unshown}: it and the fallback arm now share the traffic until it is shown better or no longer leads`);
  }
  const practicallyEqual = stop.valueRemaining !== undefined && next.valueRemaining < stop.valueRemaining;
  const stopping = !hold && enough && (likelyBest || practicallyEqual);
  if (stopping && waiting) {
    next.awaiting = { arm: best, why: waiting };
    if (s.awaiting?.arm !== best) notes.push(`arm ${s.arms[best]} is best with probability ${pct(pBest[best]!)}; promoting it waits for its gates to pass: ${waiting}`);
  }
  if (stopping && !waiting && likelyBest && !unshown) return { state: next, end: verdict('bandit-best-arm', 'stopping rule'), notes };
  if (stopping && !waiting && practicallyEqual) {
    const bound = `the value the other arms could still win back (${next.valueRemaining.toPrecision(3)}) is below ${stop.valueRemaining}`;
    if (!unshown) return { state: next, end: verdict('bandit-value-remaining', bound), notes };
    return { state: next, end: fallbackKept('bandit-value-remaining', `${bound}, and ${unshown}: the fallback arm ${s.arms[s.fallback]} is kept`), notes };
  }
  const max = goDurationMs(b.maxDuration);
  if (max !== undefined && now - phaseStartedAt >= max) {
    const reached = `maxDuration ${b.maxDuration} reached`;
    if (likelyBest && waiting) return { state: next, end: fallbackKept('bandit-inconclusive', `${reached}: arm ${s.arms[best]} is best with probability ${pct(pBest[best]!)} but its gates have not passed (${waiting}): the fallback arm is kept`), notes };
    if (likelyBest && unshown) return { state: next, end: fallbackKept('bandit-inconclusive', `${reached}: arm ${s.arms[best]} is best with probability ${pct(pBest[best]!)} but ${unshown}: the fallback arm is kept`), notes };
    if (likelyBest) return { state: next, end: verdict('bandit-best-arm', `maxDuration ${b.maxDuration}`), notes };
    return { state: next, end: fallbackKept('bandit-inconclusive', `${reached} with no arm best with probability ${pct(threshold)} (best ${s.arms[best]} at ${pct(pBest[best]!)}): the fallback arm is kept`), notes };
  }
  return { state: next, notes };
}

/**
 * The allocation that confirms a leader: it and the fallback take half each (before the limits).
 * A bandit starves the arms it believes worse, the fallback among them, and an arm is shown better
 * only against the fallback's interval: at a 5 % floor the fallback's rewards come ten times
 * slower than at half, so the evidence would take ten times as long.
 */
function confirmation(arms: number, leader: number, fallback: number): number[] {
  return Array.from({ length: arms }, (_, i) => (i === leader || i === fallback ? 0.5 : 0));
}

/** Why arm `arm` is not shown better than the fallback yet, in words (its interval and the fallback's). */
export function notShownBetter(s: Pick<BanditState, 'arms' | 'fallback' | 'intervals'>, arm: number): string {
  return `its reward interval ${intervalText(s.intervals![arm]!)} does not lie above the fallback arm ${s.arms[s.fallback]}'s ${intervalText(s.intervals![s.fallback]!)} yet`;
}

const intervalText = ([lo, hi]: readonly [number, number], digits = 3) => `[${lo.toPrecision(digits)}, ${hi.toPrecision(digits)}]`;

/** "its reward interval [..] lies above the fallback arm X's [..]", with the digits that show it does (3 or more). */
export function aboveText(arms: readonly string[], intervals: ReadonlyArray<[number, number]>, arm: number, fallback: number): string {
  const [low, high] = [intervals[arm]![0], intervals[fallback]![1]];
  let digits = 3;
  while (digits < 8 && Number(low.toPrecision(digits)) <= Number(high.toPrecision(digits))) digits++;
  return `its reward interval ${intervalText(intervals[arm]!, digits)} lies above the fallback arm ${arms[fallback]}'s ${intervalText(intervals[fallback]!, digits)}`;
}

/** Rounded down, so an arm best with probability 0.9995 never reads as a certain 100 %. */
const pct = (x: number) => `${(Math.floor(x * 10_000) / 100).toFixed(2)} %`;

/**
 * What the leading arm's promotion waits for now, in words: its gates (is it safe?), evidence that
 * it earns more than the fallback (is it better?), or both; undefined when it waits for neither.
 */
export function promotionWait(s: BanditState): string | undefined {
  const arm = s.awaiting?.arm ?? s.confirming;
  if (arm === undefined) return undefined;
  const lead = `arm ${s.arms[arm]} is best${s.probabilityBest ? ` with probability ${pct(s.probabilityBest[arm]!)}` : ''}`;
  const gates = s.awaiting?.arm === arm ? `its gates to pass (${s.awaiting.why})` : undefined;
  const evidence = s.confirming === arm && s.intervals ? `evidence that it earns more: ${notShownBetter(s, arm)}` : undefined;
  const meanwhile = evidence ? '; meanwhile it and the fallback arm share the traffic' : '';
  return `${lead}; its promotion waits for ${[gates, evidence].filter(Boolean).join(' and for ')}${meanwhile}`;
}
