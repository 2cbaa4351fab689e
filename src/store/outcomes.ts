// Outcome totals per arm from the prediction log and its feedback: how many
// units (or requests) each revision served in a time range, and the per-unit
// totals of a feedback metric over them (events counted at their
// prediction's time, within the attribution window). Computed in SQL from
// the durable log at every look, so a restarted plan sees all of it.
import type Database from 'better-sqlite3';

/** One arm's totals (the analysis reads them as its ArmOutcome). */
export interface ArmOutcome {
  exposed: number;
  converted: number;
  sum: number;
  sumSq: number;
  events: number;
  den?: number;
  denSq?: number;
  cross?: number;
}
export interface OutcomePair {
  baseline: ArmOutcome;
  candidate: ArmOutcome;
}

const emptyArm = (): ArmOutcome => ({ exposed: 0, converted: 0, sum: 0, sumSq: 0, events: 0 });

export interface OutcomeQuery {
  namespace: string;
  service: string;
  baselineRevision: string;
  candidateRevision: string;
  metric: string;
  /** ratio: the denominator metric. */
  denominator?: string;
  per: 'unit' | 'request';
  /** Predictions at or after fromMs and before toMs are the experiment's exposures. */
  fromMs: number;
  toMs: number;
  /**
   * An A/B test: exposures count from the candidate's first answer at or after fromMs, nothing before.
   * Until its new revision is ready every request is the baseline's, those of units hashed to the
   * candidate too; counting them would unbalance the arms (a sample ratio mismatch the rollout itself caused).
   */
  fromCandidateStart?: boolean;
  attributionMs: number;
  /** Per value of this stratum too. */
  stratum?: string;
}

export interface OutcomeRead extends OutcomePair {
  slices?: Record<string, OutcomePair>;
}

type Row = Record<string, number | string | null>;

function sliceExpr(stratum: string | undefined, column: string): string {
  return stratum === undefined ? "''" : `coalesce(json_extract(${column}, '$."' || @stratum || '"'), '')`;
}

export function readOutcomes(db: Database.Database, q: OutcomeQuery): OutcomeRead {
  const key = q.per === 'unit' ? 'unit' : 'request_id';
  let from = q.fromMs;
  if (q.fromCandidateStart) {
    const first = db.prepare(`SELECT MIN(time) AS t FROM predictions WHERE role = 'primary' AND namespace = ? AND service = ? AND revision = ? AND time >= ? AND time < ?`)
      .get(q.namespace, q.service, q.candidateRevision, q.fromMs, q.toMs) as Row;
    if (first.t === null || first.t === undefined) return { baseline: emptyArm(), candidate: emptyArm(), ...(q.stratum !== undefined ? { slices: {} } : {}) };
    from = Number(first.t);
  }
  const params = {
    namespace: q.namespace, service: q.service, b: q.baselineRevision, c: q.candidateRevision, metric: q.metric,
    den: q.denominator ?? '', from, to: q.toMs, attribution: q.attributionMs, stratum: q.stratum ?? '',
  };
  // Exposures: distinct units (or requests) each arm answered in the range.
  const exposure = db.prepare(`SELECT revision, ${sliceExpr(q.stratum, 'cohort')} AS slice, COUNT(DISTINCT ${key}) AS n FROM predictions
    WHERE role = 'primary' AND namespace = @namespace AND service = @service AND time >= @from AND time < @to
      AND revision IN (@b, @c) ${q.per === 'unit' ? 'AND unit IS NOT NULL' : ''}
    GROUP BY revision, slice`).all(params) as Row[];
  // Per exposed unit: the metric's total (and the denominator's, for a ratio), then summed per arm.
  const outcomes = db.prepare(`SELECT revision, slice, COUNT(*) AS units, SUM(num > 0) AS converted, SUM(num) AS s, SUM(num * num) AS ss,
      SUM(events) AS events, SUM(den) AS d, SUM(den * den) AS dd, SUM(num * den) AS x
    FROM (SELECT revision, ${sliceExpr(q.stratum, 'cohort')} AS slice, ${key} AS k,
        SUM(CASE WHEN metric = @metric THEN value ELSE 0 END) AS num, SUM(CASE WHEN metric = @den THEN value ELSE 0 END) AS den,
        SUM(metric = @metric) AS events
      FROM feedback
      WHERE namespace = @namespace AND service = @service AND matched = 1 AND metric IN (@metric, @den)
        AND prediction_ms >= @from AND prediction_ms < @to AND event_ms <= prediction_ms + @attribution
        AND revision IN (@b, @c) AND ${key} IS NOT NULL
      GROUP BY revision, slice, k)
    GROUP BY revision, slice`).all(params) as Row[];
  const arms = new Map<string, ArmOutcome>();
  const arm = (revision: string, slice: string) => {
    const id = `${revision}\u0000${slice}`;
    let a = arms.get(id);
    if (!a) arms.set(id, (a = emptyArm()));
    return a;
  };
  for (const r of exposure) arm(String(r.revision), String(r.slice)).exposed += Number(r.n);
  for (const r of outcomes) {
    const a = arm(String(r.revision), String(r.slice));
    a.converted += Number(r.converted ?? 0);
    a.sum += Number(r.s ?? 0);
    a.sumSq += Number(r.ss ?? 0);
    a.events += Number(r.events ?? 0);
    if (q.denominator) {
      a.den = (a.den ?? 0) + Number(r.d ?? 0);
      a.denSq = (a.denSq ?? 0) + Number(r.dd ?? 0);
      a.cross = (a.cross ?? 0) + Number(r.x ?? 0);
    }
  }
  const total = (revision: string): ArmOutcome => {
    const out = emptyArm();
    for (const [id, a] of arms) {
      if (!id.startsWith(`${revision}\u0000`)) continue;
      out.exposed += a.exposed;
      out.converted += a.converted;
      out.sum += a.sum;
      out.sumSq += a.sumSq;
      out.events += a.events;
      if (a.den !== undefined) {
        out.den = (out.den ?? 0) + a.den;
        out.denSq = (out.denSq ?? 0) + (a.denSq ?? 0);
        out.cross = (out.cross ?? 0) + (a.cross ?? 0);
      }
    }
    return out;
  };
  const read: OutcomeRead = { baseline: total(q.baselineRevision), candidate: total(q.candidateRevision) };
  if (q.stratum !== undefined) {
    const slices: Record<string, OutcomePair> = {};
    for (const [id, a] of arms) {
      const [revision, slice] = id.split('\u0000') as [string, string];
      if (slice === '') continue;
      const pair = (slices[slice] ??= { baseline: emptyArm(), candidate: emptyArm() });
      if (revision === q.baselineRevision) pair.baseline = a;
      else pair.candidate = a;
    }
    read.slices = slices;
  }
  return read;
}

/** One bandit arm as the prediction log knows it: a service (and revision, when arms share a service). */
export interface ArmKey {
  namespace: string;
  service: string;
  revision?: string;
  /** A VirtualService destination's subset. */
  variant?: string;
}

export interface ArmRewards {
  /** Requests the arm answered since fromMs (its assignments). */
  assigned: number;
  /** Reward events joined to those requests (one per request counts: the first). */
  rewarded: number;
  sum: number;
  sumSq: number;
  /** Reward values outside [min, max]: not learnt from. */
  outOfRange: number;
  /** Assignments older than zeroAfter with no reward event (binary rewards): each counts as a reward of 0. */
  implicitZeros?: number;
  /** The latest reward's arrival (epoch ms), when any. */
  lastRewardMs?: number;
  /** Assignments logged with a propensity, summed for inverse-propensity estimates: those learnt from (a missing reward counts 0 only past zeroAfter). */
  logged?: { n: number; sum: number; sumSq: number; inverse: number };
}

/**
 * Reward events of `metric` in a namespace since fromMs that joined no prediction (an unknown
 * request id or unit): a bandit does not learn while they are more than a few.
 */
export function countUnmatchedRewards(db: Database.Database, q: { namespace: string; metric: string; fromMs: number }): number {
  const row = db.prepare('SELECT COUNT(*) AS n FROM feedback WHERE namespace = ? AND metric = ? AND matched = 0 AND received_ms >= ?').get(q.namespace, q.metric, q.fromMs) as Row;
  return Number(row.n ?? 0);
}

/**
 * Rewards per bandit arm: assignments (primary rows of the arm since fromMs,
 * on `route` when given) and the reward metric's events joined to them, each
 * request counted once whenever its reward arrived. Values outside
 * [min, max] are counted apart and left out of the sums. With zeroAfterMs
 * (binary rewards), only assignments made more than that before toMs are
 * learnt from: a reward event's value, or an implicit zero when none came.
 * Younger ones wait, clicked or not — clicks arrive at once and zeros only
 * after zeroAfter, so counting a young click would read an arm's rate from
 * its clicks alone, and most of all for the arm with the most recent traffic.
 */
export function readArmRewards(db: Database.Database, q: { arms: readonly ArmKey[]; route?: string; metric: string; fromMs: number; min?: number; max?: number; zeroAfterMs?: number; toMs?: number }): ArmRewards[] {
  // Assignments in all, and those made by @cutoff (older than zeroAfter): with no reward by now, those count as 0.
  const assigned = db.prepare(`SELECT COUNT(*) AS n, SUM(time <= @cutoff) AS old FROM predictions WHERE role = 'primary' AND namespace = @namespace AND service = @service
    AND time >= @from AND (@revision IS NULL OR revision = @revision) AND (@variant IS NULL OR variant = @variant) AND (@route IS NULL OR route = @route)`);
  // Learnt from: rewards of assignments made by @matureBy (all of them without zeroAfter). Out-of-range values and freshness: every reward.
  const rewards = db.prepare(`SELECT SUM(made <= @matureBy) AS n, SUM(CASE WHEN ok AND made <= @matureBy THEN v ELSE 0 END) AS s,
      SUM(CASE WHEN ok AND made <= @matureBy THEN v * v ELSE 0 END) AS ss, SUM(NOT ok AND made <= @matureBy) AS badLearnt,
      SUM(NOT ok) AS bad, MAX(received) AS last, SUM(made <= @cutoff) AS old
    FROM (SELECT request_id, MIN(value) AS v, MIN(received_ms) AS received, MIN(prediction_ms) AS made, (MIN(value) >= @min AND MIN(value) <= @max) AS ok FROM feedback
      WHERE namespace = @namespace AND service = @service AND metric = @metric AND matched = 1 AND prediction_ms >= @from
        AND (@revision IS NULL OR revision = @revision) AND (@variant IS NULL OR variant = @variant) AND request_id IS NOT NULL
      GROUP BY request_id)`);
  // Off-policy: every assignment logged with its propensity, and the (first, in-range) reward that followed it.
  // As for learning, a missing reward is a 0 only for a binary reward with zeroAfter (and only once that
  // has passed); otherwise the assignment waits for its reward: a revenue never posted is not a revenue of 0.
  const offPolicy = db.prepare(`SELECT COUNT(*) AS n, SUM(x) AS s, SUM(x * x) AS ss, SUM(1.0 / propensity) AS inv
    FROM (SELECT p.propensity, COALESCE(f.v, 0) / p.propensity AS x FROM predictions p
      LEFT JOIN (SELECT request_id, MIN(value) AS v FROM feedback WHERE namespace = @namespace AND metric = @metric AND matched = 1
        AND prediction_ms >= @from AND request_id IS NOT NULL GROUP BY request_id HAVING MIN(value) >= @min AND MIN(value) <= @max) f ON f.request_id = p.request_id
      WHERE p.role = 'primary' AND p.namespace = @namespace AND p.service = @service AND p.time >= @from AND p.time <= @matureBy AND p.propensity > 0
        AND (@zeroing OR f.v IS NOT NULL)
        AND (@revision IS NULL OR p.revision = @revision) AND (@variant IS NULL OR p.variant = @variant) AND (@route IS NULL OR p.route = @route))`);
  return q.arms.map((a) => {
    const zeroing = q.zeroAfterMs !== undefined && q.toMs !== undefined;
    const cutoff = zeroing ? q.toMs! - q.zeroAfterMs! : -Infinity;
    const p = {
      namespace: a.namespace, service: a.service, revision: a.revision ?? null, variant: a.variant ?? null, route: q.route ?? null, from: q.fromMs, metric: q.metric,
      min: q.min ?? -Infinity, max: q.max ?? Infinity, cutoff, matureBy: zeroing ? cutoff : Infinity, zeroing: zeroing ? 1 : 0,
    };
    const as = assigned.get(p) as Row;
    const r = rewards.get(p) as Row;
    const implicitZeros = Math.max(0, Number(as.old ?? 0) - Number(r.old ?? 0));
    const out: ArmRewards = {
      assigned: Number(as.n ?? 0), rewarded: Number(r.n ?? 0) - Number(r.badLearnt ?? 0), sum: Number(r.s ?? 0), sumSq: Number(r.ss ?? 0),
      outOfRange: Number(r.bad ?? 0), implicitZeros,
    };
    if (r.last !== null && r.last !== undefined) out.lastRewardMs = Number(r.last);
    const o = offPolicy.get(p) as Row;
    if (Number(o.n ?? 0) > 0) out.logged = { n: Number(o.n), sum: Number(o.s ?? 0), sumSq: Number(o.ss ?? 0), inverse: Number(o.inv ?? 0) };
    return out;
  });
}
