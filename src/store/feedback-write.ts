// Feedback ingest: each event is joined to the prediction it follows and
// stored in the `feedback` table of the prediction log's database, a whole
// batch in one transaction. It runs in the log's writer thread, after the
// prediction rows queued before it (predictions.ts hands them over in the
// same job), so feedback posted right after its prediction finds its row.
//
// What joins: an event with a request id, the primary row with that id —
// found by index when the request had a unit key (a plan with cohorts.unit,
// a sticky VirtualService route), otherwise by scanning the namespace's
// recent rows, newest first (at most `scanRows` of them, within `joinWindowMs`
// before the event, and not before a gateway-made id's own time) — every
// namespace's when the event names none. An event with a unit: that
// unit's first primary row in its namespace (its assignment). Events that
// join nothing are stored unmatched (matched = 0) and reported as such.
import type Database from 'better-sqlite3';
import type { FeedbackEvent, FeedbackResult, FeedbackStatus } from '../api/feedback.ts';
import { keyedHash } from './predictions-policy.ts';

export interface FeedbackJoinConfig {
  /** The prediction log's keyed-hash secret: units are stored and looked up as the log stores them. */
  hashKey: Uint8Array;
  /** How far before an event (a request id without a unit key) its prediction is looked for. */
  joinWindowMs: number;
  /** Rows of one namespace scanned, newest first, for such events of one batch. */
  scanRows: number;
}

/** The default join window: a day. */
export const DEFAULT_JOIN_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_SCAN_ROWS = 100_000;

/** What an event takes from the prediction it joined. */
interface Joined {
  namespace: string;
  service: string;
  revision: string | null;
  variant: string | null;
  time: number;
  cohort: string | null;
  unit: string | null;
}

const COLUMNS = 'namespace, service, revision, variant, time, cohort, unit';
// The conditions repeat the partial indexes' own, and each lookup names its index: without
// statistics SQLite would rather walk a namespace's every row by (namespace, service, time).
const KEYED = "unit IS NOT NULL AND role = 'primary'";

/** The join's lookups (exported so a test can check each one's query plan). */
export const JOIN_SQL = {
  byRequest: `SELECT ${COLUMNS} FROM predictions INDEXED BY predictions_request_unit WHERE request_id = ? AND ${KEYED} ORDER BY time DESC LIMIT 1`,
  byRequestIn: `SELECT ${COLUMNS} FROM predictions INDEXED BY predictions_request_unit WHERE request_id = ? AND ${KEYED} AND namespace = ? ORDER BY time DESC LIMIT 1`,
  byUnit: `SELECT ${COLUMNS} FROM predictions INDEXED BY predictions_unit WHERE namespace = ? AND unit = ? AND ${KEYED} ORDER BY time LIMIT 1`,
  // Newest first through the time index, so a prediction made moments ago is found after a few rows.
  recent: `SELECT request_id, ${COLUMNS} FROM predictions INDEXED BY predictions_time
    WHERE time >= ? AND time <= ? AND namespace = ? AND role = 'primary' ORDER BY time DESC`,
  recentAnywhere: `SELECT request_id, ${COLUMNS} FROM predictions INDEXED BY predictions_time
    WHERE time >= ? AND time <= ? AND role = 'primary' ORDER BY time DESC`,
};

export class FeedbackWriter {
  private readonly byRequest: Database.Statement;
  private readonly byRequestIn: Database.Statement;
  private readonly byUnit: Database.Statement;
  private readonly recent: Database.Statement;
  private readonly recentAnywhere: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly ingestAll: Database.Transaction<(events: FeedbackEvent[], receivedMs: number) => FeedbackResult>;

  constructor(db: Database.Database, private readonly cfg: FeedbackJoinConfig) {
    this.byRequest = db.prepare(JOIN_SQL.byRequest);
    this.byRequestIn = db.prepare(JOIN_SQL.byRequestIn);
    this.byUnit = db.prepare(JOIN_SQL.byUnit);
    this.recent = db.prepare(JOIN_SQL.recent);
    this.recentAnywhere = db.prepare(JOIN_SQL.recentAnywhere);
    this.insert = db.prepare(`INSERT OR IGNORE INTO feedback (id, namespace, received_ms, event_ms, metric, value, request_id, unit,
      service, revision, variant, prediction_ms, cohort, matched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.ingestAll = db.transaction((events: FeedbackEvent[], receivedMs: number) => this.store(events, receivedMs));
  }

  /** Joins and stores a batch in one transaction (all or nothing); answers each event's status in order. */
  ingest(events: FeedbackEvent[], receivedMs: number): FeedbackResult {
    // BEGIN IMMEDIATE: the join reads before the inserts write, and a read transaction that must then
    // write fails at once with "database is locked" when another connection (the store's) wrote
    // meanwhile — SQLite cannot wait there. Taking the write lock first waits for it instead.
    return this.ingestAll.immediate(events, receivedMs);
  }

  private store(events: FeedbackEvent[], receivedMs: number): FeedbackResult {
    const joined = this.join(events, receivedMs);
    const result: FeedbackResult = { accepted: 0, duplicates: 0, unmatched: 0, events: [] };
    events.forEach((e, i) => {
      const p = joined[i];
      const namespace = e.namespace ?? p?.namespace ?? '';
      const unit = e.unit !== undefined ? keyedHash(this.cfg.hashKey, namespace, e.unit) : p?.unit ?? null;
      const stored = this.insert.run(e.id, namespace, receivedMs, e.eventMs ?? receivedMs, e.metric, e.value, e.requestId ?? null, unit,
        p?.service ?? null, p?.revision ?? null, p?.variant ?? null, p?.time ?? null, p?.cohort ?? null, p ? 1 : 0).changes > 0;
      const status: FeedbackStatus = !stored ? 'duplicate' : p ? 'accepted' : 'unmatched';
      if (status === 'accepted') result.accepted++;
      else if (status === 'duplicate') result.duplicates++;
      else result.unmatched++;
      result.events.push({ id: e.id, status });
    });
    return result;
  }

  /** The prediction each event follows (undefined: none found). */
  private join(events: FeedbackEvent[], receivedMs: number): Array<Joined | undefined> {
    const out: Array<Joined | undefined> = events.map((e) => {
      if (e.unit !== undefined) return this.byUnit.get(e.namespace, keyedHash(this.cfg.hashKey, e.namespace!, e.unit)) as Joined | undefined;
      return (e.namespace === undefined ? this.byRequest.get(e.requestId) : this.byRequestIn.get(e.requestId, e.namespace)) as Joined | undefined;
    });
    // Request ids without a unit key: one bounded scan per namespace (every namespace's rows for
    // events that name none: the id is the application's, the namespace often not) finds all of a batch's.
    const missing = new Map<string | undefined, Map<string, number[]>>();
    events.forEach((e, i) => {
      if (out[i] !== undefined || e.requestId === undefined) return;
      const ids = missing.get(e.namespace) ?? missing.set(e.namespace, new Map()).get(e.namespace)!;
      (ids.get(e.requestId) ?? ids.set(e.requestId, []).get(e.requestId)!).push(i);
    });
    for (const [namespace, ids] of missing) {
      const floor = (i: number) => this.floorOf(events[i]!, receivedMs);
      const earliest = Math.min(...[...ids.values()].flat().map(floor));
      let scanned = 0;
      const rows = namespace === undefined ? this.recentAnywhere.iterate(earliest, receivedMs) : this.recent.iterate(earliest, receivedMs, namespace);
      for (const row of rows as Iterable<Joined & { request_id: string }>) {
        const waiting = ids.get(row.request_id);
        if (waiting) {
          // The newest row of the id comes first: one older than an event's window leaves it unmatched.
          const { request_id: _, ...p } = row;
          for (const i of waiting) if (row.time >= floor(i)) out[i] = p;
          ids.delete(row.request_id);
        }
        if (ids.size === 0 || ++scanned >= this.cfg.scanRows) break;
      }
    }
    return out;
  }

  /**
   * How far back an unkeyed request id's prediction may be: the join window before the event
   * (its time, or when it was received, whichever is earlier), but never before a gateway-made
   * id (UUIDv7) was made — so an unknown recent id costs a scan of moments, not of the window.
   */
  private floorOf(e: FeedbackEvent, receivedMs: number): number {
    const windowFloor = Math.min(e.eventMs ?? receivedMs, receivedMs) - this.cfg.joinWindowMs;
    const made = requestIdTime(e.requestId!);
    // The row's time is when the answer was sent; the id's, when the request arrived (≤ 1 s of clock slack).
    return made === undefined ? windowFloor : Math.max(windowFloor, made - 1000);
  }
}

/** The millisecond a UUIDv7 request id (what the gateway makes: src/gateway/request-id.ts) was made in; undefined for any other id. */
export function requestIdTime(id: string): number | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.exec(id);
  return m ? Number.parseInt(m[1]! + m[2]!, 16) : undefined;
}
