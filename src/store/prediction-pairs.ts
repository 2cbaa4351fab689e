// Shadow pairs from the prediction log: every shadow (mirror) answer of a
// revision written since a cursor, each joined with the primary answer to
// the same request id. The cursor is the mirror row's rowid, so each answer
// is read once however late it was written; rows younger than a grace
// period wait, so the primary answer (written by the same batching writer)
// has time to land. A request answered twice by the shadow counts once.
import type Database from 'better-sqlite3';

export interface ShadowPairQuery {
  namespace: string;
  service: string;
  /** The shadow revision (the candidate). */
  revision: string;
  /** Rowid of the last mirror row already read (0 for none). */
  after: number;
  /** Only mirror rows answered before this time (epoch ms) are read. */
  beforeMs: number;
  limit?: number;
}

export interface ShadowPairRow {
  requestId: string;
  candidate: { status: number; latencyMs: number; output: unknown };
  /** Absent when the primary's row was not found. */
  baseline?: { status: number; latencyMs: number; output: unknown };
  cohort: Record<string, string> | null;
}

/** A primary's answer lands within this long of its shadow's (the shadow's deadline is shorter). */
const PRIMARY_SLACK_MS = 30_000;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.parse(v as string));

export function readShadowPairs(db: Database.Database, q: ShadowPairQuery): { pairs: ShadowPairRow[]; cursor: number } {
  // Retention may have emptied the table since, and rowids then start again.
  const max = (db.prepare('SELECT max(rowid) AS m FROM predictions').get() as { m: number | null }).m ?? 0;
  const after = q.after > max ? 0 : q.after;
  const mirrors = db.prepare(`SELECT rowid, request_id, time, status, latency_ms, output FROM predictions m
    WHERE m.rowid > @after AND m.role = 'mirror' AND m.namespace = @namespace AND m.service = @service AND m.revision = @revision
      AND NOT EXISTS (SELECT 1 FROM predictions d WHERE d.role = 'mirror' AND d.request_id = m.request_id AND d.revision = m.revision AND d.rowid < m.rowid)
    ORDER BY m.rowid LIMIT @limit`).all({ ...q, after, limit: q.limit ?? 10_000 }) as Array<{ rowid: number; request_id: string; time: number; status: number; latency_ms: number; output: string | null }>;
  // Stop at the first row still inside the grace period: everything after it waits for the next read.
  const young = mirrors.findIndex((m) => m.time >= q.beforeMs);
  const ready = young < 0 ? mirrors : mirrors.slice(0, young);
  if (ready.length === 0) return { pairs: [], cursor: after };
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of ready) {
    lo = Math.min(lo, m.time);
    hi = Math.max(hi, m.time);
  }
  // The primaries' ids first (a minute of rows around the copies), then the answers of those that pair:
  // reading every row's output would copy a minute of answers into JavaScript at every look, on the
  // event loop the gateway shares.
  const wanted = new Set(ready.map((m) => m.request_id));
  const found = new Map<string, number>();
  const ids = db.prepare(`SELECT rowid, request_id FROM predictions
    WHERE namespace = @namespace AND service = @service AND time BETWEEN @from AND @to AND role = 'primary'`).raw().iterate({ namespace: q.namespace, service: q.service, from: lo - PRIMARY_SLACK_MS, to: hi + PRIMARY_SLACK_MS }) as Iterable<[number, string]>;
  for (const [rowid, id] of ids) if (wanted.has(id) && !found.has(id)) found.set(id, rowid);
  const answer = db.prepare('SELECT status, latency_ms, output, cohort FROM predictions WHERE rowid = ?');
  const primaries = new Map<string, { status: number; latency_ms: number; output: string | null; cohort: string | null }>();
  for (const [id, rowid] of found) primaries.set(id, answer.get(rowid) as { status: number; latency_ms: number; output: string | null; cohort: string | null });
  const pairs = ready.map((m): ShadowPairRow => {
    const p = primaries.get(m.request_id);
    return {
      requestId: m.request_id,
      candidate: { status: m.status, latencyMs: m.latency_ms, output: json(m.output) },
      ...(p ? { baseline: { status: p.status, latencyMs: p.latency_ms, output: json(p.output) } } : {}),
      cohort: p ? json(p.cohort) : null,
    };
  });
  return { pairs, cursor: ready[ready.length - 1]!.rowid };
}
