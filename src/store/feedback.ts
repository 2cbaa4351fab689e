// Feedback as the analysis and reports read it: the `feedback` table of the
// prediction log's database (schema: predictions-write.ts), one row per
// event — what was posted (metric, value, event time, request id, unit key's
// keyed hash) and what it joined (service, revision, variant, the
// prediction's time and cohort). Events are written by the log's writer
// thread (feedback-write.ts, through PredictionLog.postFeedback); these
// functions only read, on any connection to the file.
import type Database from 'better-sqlite3';

export interface FeedbackRow {
  rowid: number;
  revision: string | null;
  variant: string | null;
  /** The unit key's keyed hash (hmac-sha256:...): posted with the event, or the joined prediction's. */
  unit: string | null;
  requestId: string | null;
  value: number;
  /** When it happened (the event's time, or when it was received). */
  eventMs: number;
  /** When the prediction it joined was made: the analysis counts the event in this window. */
  predictionMs: number | null;
  cohort: Record<string, string> | null;
  matched: boolean;
}

const DEFAULT_READ_LIMIT = 10_000;

/**
 * Events of one service and metric stored after the cursor `after` (a rowid; 0 from the start),
 * oldest first, at most `limit` (default 10 000); `cursor` is where the next read starts. Only
 * events that joined a prediction have a service, so every row here is matched.
 */
export function readFeedback(
  db: Database.Database,
  q: { namespace: string; service: string; metric: string; after: number; limit?: number },
): { events: FeedbackRow[]; cursor: number } {
  const rows = db.prepare(`SELECT rowid, revision, variant, unit, request_id, value, event_ms, prediction_ms, cohort, matched FROM feedback
    WHERE namespace = ? AND service = ? AND metric = ? AND rowid > ? ORDER BY rowid LIMIT ?`)
    .all(q.namespace, q.service, q.metric, q.after, q.limit ?? DEFAULT_READ_LIMIT) as Array<Record<string, unknown>>;
  const events = rows.map((r): FeedbackRow => ({
    rowid: r.rowid as number, revision: r.revision as string | null, variant: r.variant as string | null, unit: r.unit as string | null,
    requestId: r.request_id as string | null, value: r.value as number, eventMs: r.event_ms as number,
    predictionMs: r.prediction_ms as number | null, cohort: r.cohort === null ? null : (JSON.parse(r.cohort as string) as Record<string, string>),
    matched: r.matched === 1,
  }));
  return { events, cursor: events.length > 0 ? events[events.length - 1]!.rowid : q.after };
}

/**
 * Events of a namespace (of one service, when given) received since `sinceMs`: how many joined a
 * prediction (`accepted`), how many did not (`unmatched`: they have no service, so a service's
 * count has none), and the accepted ones per metric.
 */
export function feedbackCounts(
  db: Database.Database,
  q: { namespace: string; service?: string; sinceMs?: number },
): { accepted: number; unmatched: number; byMetric: Record<string, number> } {
  const service = q.service === undefined ? '' : 'AND service = @service';
  const rows = db.prepare(`SELECT metric, matched, count(*) AS n FROM feedback
    WHERE namespace = @namespace ${service} AND received_ms >= @sinceMs GROUP BY metric, matched`)
    .all({ namespace: q.namespace, sinceMs: q.sinceMs ?? 0, ...(q.service === undefined ? {} : { service: q.service }) }) as Array<{ metric: string; matched: number; n: number }>;
  const out = { accepted: 0, unmatched: 0, byMetric: {} as Record<string, number> };
  for (const r of rows) {
    if (r.matched === 1) {
      out.accepted += r.n;
      out.byMetric[r.metric] = (out.byMetric[r.metric] ?? 0) + r.n;
    } else out.unmatched += r.n;
  }
  return out;
}
