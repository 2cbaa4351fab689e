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
  /** The reward that followed; 0 for a binary reward's assignment that passed zeroAfter without one (a non-conversion). */
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

/** One arm's logged rows summed (what a database can aggregate): Σ reward/propensity, its square, Σ 1/propensity, rows. */
export interface LoggedTotals {
  n: number;
  sum: number;
  sumSq: number;
  inverse: number;
}

/** Each arm's IPS and SNIPS estimate of its mean reward had it received all the traffic. */
export function ipsEstimates(logged: ReadonlyArray<LoggedReward>, arms: number): IpsEstimate[] {
  if (!(Number.isInteger(arms) && arms >= 1)) throw new RangeError(`arms must be a positive integer, got ${arms}`);
  const totals: LoggedTotals[] = Array.from({ length: arms }, () => ({ n: 0, sum: 0, sumSq: 0, inverse: 0 }));
  logged.forEach((r, row) => {
    if (!(Number.isInteger(r.arm) && r.arm >= 0 && r.arm < arms)) throw new RangeError(`logged[${row}].arm must be an arm index in [0, ${arms}), got ${r.arm}`);
    if (!(r.propensity > 0 && r.propensity <= 1)) throw new RangeError(`logged[${row}].propensity must be in (0, 1], got ${r.propensity}`);
    if (!Number.isFinite(r.reward)) throw new RangeError(`logged[${row}].reward must be a finite number, got ${r.reward}`);
    const x = r.reward / r.propensity;
    const t = totals[r.arm]!;
    t.sum += x;
    t.sumSq += x * x;
    t.inverse += 1 / r.propensity;
    t.n++;
  });
  return ipsFromTotals(totals);
}

/** The same estimates from each arm's totals. */
export function ipsFromTotals(totals: ReadonlyArray<LoggedTotals>): IpsEstimate[] {
  const total = totals.reduce((a, t) => a + t.n, 0);
  return totals.map((t) => {
    const ips = total > 0 ? t.sum / total : 0;
    // The per-row term is reward/propensity on this arm's rows and 0 elsewhere.
    const variance = total > 1 ? Math.max(0, (t.sumSq - total * ips * ips) / (total - 1)) : 0;
    return { ips, ipsSe: total > 0 ? Math.sqrt(variance / total) : 0, snips: t.inverse > 0 ? t.sum / t.inverse : 0, n: t.n };
  });
}
