// Off-policy estimates of each arm's mean reward from what a bandit logged:
// every assignment with the probability its arm had at that moment (the
// propensity) and the reward that followed. A bandit plays good arms more,
// so a plain per-arm mean is biased toward the periods an arm was favoured;
// weighting each reward by 1 / propensity undoes the policy (Horvitz &
// Thompson 1952). The self-normalised variant (Swaminathan & Joachims 2015)
// trades a small bias for much less variance when propensities are small.

export interface LoggedReward {
  arm: number;
  /** P(this arm was assigned) when it was, in (0, 1]. */
  propensity: number;
  /** The reward that followed; 0 for an assignment whose reward never came (a non-conversion). */
  reward: number;
}

export interface IpsEstimate {
  /** Inverse-propensity estimate: (1/N) Σ over this arm's rows of reward / propensity, N = every logged row. Unbiased. */
  ips: number;
  /** Its standard error, from the spread of the per-row terms. */
  ipsSe: number;
  /** Self-normalised: Σ reward / propensity ÷ Σ 1 / propensity over this arm's rows (0 when it has none: see n). */
  snips: number;
  /** Rows logged for this arm. */
  n: number;
}

/** Each arm's IPS and SNIPS estimate of its mean reward had it received all the traffic. */
export function ipsEstimates(logged: ReadonlyArray<LoggedReward>, arms: number): IpsEstimate[] {
  if (!(Number.isInteger(arms) && arms >= 1)) throw new RangeError(`arms must be a positive integer, got ${arms}`);
  const weighted = new Array<number>(arms).fill(0);
  const weightedSq = new Array<number>(arms).fill(0);
  const inverse = new Array<number>(arms).fill(0);
  const n = new Array<number>(arms).fill(0);
  logged.forEach((r, row) => {
    if (!(Number.isInteger(r.arm) && r.arm >= 0 && r.arm < arms)) throw new RangeError(`logged[${row}].arm must be an arm index in [0, ${arms}), got ${r.arm}`);
    if (!(r.propensity > 0 && r.propensity <= 1)) throw new RangeError(`logged[${row}].propensity must be in (0, 1], got ${r.propensity}`);
    if (!Number.isFinite(r.reward)) throw new RangeError(`logged[${row}].reward must be a finite number, got ${r.reward}`);
    const x = r.reward / r.propensity;
    weighted[r.arm]! += x;
    weightedSq[r.arm]! += x * x;
    inverse[r.arm]! += 1 / r.propensity;
    n[r.arm]!++;
  });
  const total = logged.length;
  return weighted.map((sum, a) => {
    const ips = total > 0 ? sum / total : 0;
    // The per-row term is reward/propensity on this arm's rows and 0 elsewhere.
    const variance = total > 1 ? Math.max(0, (weightedSq[a]! - total * ips * ips) / (total - 1)) : 0;
    return { ips, ipsSe: total > 0 ? Math.sqrt(variance / total) : 0, snips: inverse[a]! > 0 ? sum / inverse[a]! : 0, n: n[a]! };
  });
}
