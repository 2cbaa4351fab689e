// The prediction log's write side: what a row keeps of its bodies, the table,
// batched inserts in one transaction per batch, and deletion by retention.
// It runs in the log's worker thread (predictions-worker.ts), which owns its
// own connection, so SQLite's synchronous writes never block the gateway.
import type Database from 'better-sqlite3';
import type { FeedbackEvent, FeedbackResult } from '../api/feedback.ts';
import { FeedbackWriter } from './feedback-write.ts';
import { filterInput, keyedHash, PolicySet, type InputRule, type PolicySource } from './predictions-policy.ts';
import { openSharedDb } from './shared-db.ts';

/** One answered request as the log receives it (built by the gateway side, written here). */
export type PredictionRole = 'primary' | 'mirror';

export interface PredictionEntry {
  requestId: string;
  /** Epoch ms of the response. */
  time: number;
  namespace: string;
  service: string;
  route?: string;
  variant?: string;
  revision?: string;
  /** Artifact digest of the revision's model (sha256:...). */
  digest?: string;
  role: PredictionRole;
  status: number;
  latencyMs: number;
  /** Raw response body; parsed at write time, off the request path. */
  output?: Uint8Array | string;
  /** Raw request body: kept only where a policy keeps this request's input, filtered at write time. */
  input?: Uint8Array | string;
  cohort?: Readonly<Record<string, string>>;
  /** The request's unit key (sticky assignment); stored as its keyed hash. */
  unit?: string;
  /** A bandit's assignment: the allocation version, and the probability the served arm had under it (propensity). */
  allocation?: number;
  propensity?: number;
}

const sizeOf = (text: string) => Buffer.byteLength(text);

/** An answer as stored: JSON as sent, other text as a JSON string, over the bound a marker. */
export function outputText(text: string, maxBytes: number): string {
  const size = sizeOf(text);
  if (size > maxBytes) return JSON.stringify(`[too large: ${size} bytes]`);
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

/** A request body as a policy keeps it: filtered by its paths; a body the paths cannot see into (not JSON) is not kept. */
export function inputText(text: string, rule: InputRule, hashValue: (v: unknown) => string, maxBytes: number): string {
  const size = sizeOf(text);
  if (size > maxBytes) return JSON.stringify(`[too large: ${size} bytes]`);
  const filtered = rule.keep !== undefined || rule.drop.length > 0 || rule.hash.length > 0;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return JSON.stringify(filtered ? `[not JSON: ${size} bytes]` : text);
  }
  return filtered ? JSON.stringify(filterInput(value, rule, hashValue) ?? null) : text;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  request_id TEXT NOT NULL, time INTEGER NOT NULL, namespace TEXT NOT NULL, service TEXT NOT NULL,
  route TEXT, variant TEXT, revision TEXT, digest TEXT, role TEXT NOT NULL, status INTEGER NOT NULL,
  latency_ms REAL NOT NULL, output TEXT, input TEXT, cohort TEXT, unit TEXT, allocation INTEGER, propensity REAL);
CREATE INDEX IF NOT EXISTS predictions_service_time ON predictions (namespace, service, time);
-- Only mirror rows are looked up by request id (pairing). Indexing every row by its random id
-- made each batch dirty a page per row: 80 % of the log's write cost.
DROP INDEX IF EXISTS predictions_request;
CREATE INDEX IF NOT EXISTS predictions_mirror_request ON predictions (request_id) WHERE role = 'mirror';
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (time);`;

/**
 * Outcome feedback (clicks, purchases, ...) joined to the prediction it follows (docs/feedback.md), and
 * what its joins and the experiments' exposure counts need. Only rows with a unit key (requests under a
 * plan with cohorts.unit, or a sticky VirtualService route) are indexed by request id and by unit:
 * the other rows keep the log's write cost and are found by a bounded scan of recent rows instead.
 * Keyed rows pay for it: their unit hashes land at random places of predictions_unit (≈ 2.5× the
 * write cost of an unkeyed row, measured with every row keyed); gateway-made request ids append.
 * Run after the unit column's migration: the partial indexes name it.
 */
const FEEDBACK_SCHEMA = `
CREATE INDEX IF NOT EXISTS predictions_request_unit ON predictions (request_id) WHERE unit IS NOT NULL AND role = 'primary';
CREATE INDEX IF NOT EXISTS predictions_unit ON predictions (namespace, unit, time) WHERE unit IS NOT NULL AND role = 'primary';
CREATE TABLE IF NOT EXISTS feedback (
  id TEXT NOT NULL, namespace TEXT NOT NULL, received_ms INTEGER NOT NULL, event_ms INTEGER NOT NULL,
  metric TEXT NOT NULL, value REAL NOT NULL,
  request_id TEXT, unit TEXT,
  service TEXT, revision TEXT, variant TEXT, prediction_ms INTEGER, cohort TEXT,
  matched INTEGER NOT NULL,
  UNIQUE (namespace, id));
-- readFeedback's cursor (rowid order), outcome totals by prediction time, retention and counts by receipt.
CREATE INDEX IF NOT EXISTS feedback_service ON feedback (namespace, service, metric);
CREATE INDEX IF NOT EXISTS feedback_service_metric ON feedback (namespace, service, metric, prediction_ms);
CREATE INDEX IF NOT EXISTS feedback_received ON feedback (received_ms);`;

/** Opens (or shares) the store's database file for the prediction log: WAL, and a short busy wait. */
export function openPredictionsDb(path: string): Database.Database {
  const db = openSharedDb(path);
  db.exec(SCHEMA);
  // Tables written before rows carried these columns gain them (NULL for old rows).
  const columns = db.prepare('PRAGMA table_info(predictions)').all() as Array<{ name: string }>;
  for (const [name, type] of [['unit', 'TEXT'], ['allocation', 'INTEGER'], ['propensity', 'REAL']]) {
    if (!columns.some((c) => c.name === name)) db.exec(`ALTER TABLE predictions ADD COLUMN ${name} ${type}`);
  }
  db.exec(FEEDBACK_SCHEMA);
  return db;
}

/** What the write side needs of the log's (parsed) configuration; plain data, so it crosses to the worker. */
export interface WriterConfig {
  batchSize: number;
  maxBodyBytes: number;
  /** Rows of services without a policy are deleted after this long. */
  retentionMs: number;
  /** The secret of keyed hashes (policy `hash` paths, unit keys). */
  hashKey: Uint8Array;
  policies: PolicySource[];
  /** Feedback joins (feedback-write.ts): how far before an event, and how many rows, a request id without a unit key is looked for. */
  joinWindowMs: number;
  scanRows: number;
  /** Rows per INSERT statement (default 32; bench/prediction-log.ts compares it with 1). */
  rowsPerStatement?: number;
}

export interface WriteResult {
  written: number;
  /** Rows of batches whose transaction failed. */
  failed: number;
  /** Rows deleted by retention: predictions, feedback. */
  pruned?: number;
  feedbackPruned?: number;
  /** The answer to a feedback batch, or why it was not stored. */
  feedback?: FeedbackResult;
  feedbackError?: string;
  error?: string;
}

/** Values per row in the flat encoding that crosses to the worker (one array of primitives clones far cheaper than objects). */
export const FIELDS = 17;
/** Rows per multi-row INSERT by default (17 × 32 = 544 parameters, far under SQLite's limit of 32766). */
const ROWS_PER_STATEMENT = 32;

/** Appends one entry to `out` in column order; bodies become text (a Buffer would cross with its whole backing buffer). */
export function encodeRow(e: PredictionEntry, out: unknown[]): void {
  out.push(e.requestId, e.time, e.namespace, e.service, e.route ?? null, e.variant ?? null, e.revision ?? null, e.digest ?? null,
    e.role, e.status, e.latencyMs, textOf(e.output), textOf(e.input), e.cohort ? JSON.stringify(e.cohort) : null, e.unit ?? null,
    e.allocation ?? null, e.propensity ?? null);
}

function textOf(b: Uint8Array | string | undefined): string | null {
  if (b === undefined) return null;
  return typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** The tables retention applies to, and the time a row's age is counted from. */
const AGED = { predictions: 'time', feedback: 'received_ms' } as const;

/**
 * Deletes rows older than the retention that applies to them: each service a policy names, each
 * namespace with a namespace-wide policy (less those services), everything else by the default.
 * Feedback follows the retention of the service it joined (unmatched feedback, with no service,
 * that of its namespace), counted from when it was received.
 */
export function pruneByRetention(db: Database.Database, policies: PolicySet, defaultMs: number, nowMs: number, table: keyof typeof AGED = 'predictions'): number {
  const time = AGED[table];
  const named = new Map<string, Set<string>>();
  const wide = new Set<string>();
  for (const p of policies.all()) {
    if (p.services) for (const s of p.services) (named.get(p.namespace) ?? named.set(p.namespace, new Set()).get(p.namespace)!).add(s);
    else wide.add(p.namespace);
  }
  let deleted = 0;
  const run = (sql: string, ...params: unknown[]) => (deleted += db.prepare(sql).run(...params).changes);
  for (const [ns, services] of named) {
    for (const svc of services) run(`DELETE FROM ${table} WHERE namespace = ? AND service = ? AND ${time} < ?`, ns, svc, nowMs - policies.of(ns, svc).retentionMs);
  }
  for (const ns of wide) {
    run(`DELETE FROM ${table} WHERE namespace = ? AND coalesce(service, '') NOT IN (SELECT value FROM json_each(?)) AND ${time} < ?`,
      ns, JSON.stringify([...(named.get(ns) ?? [])]), nowMs - policies.of(ns, '').retentionMs);
  }
  const pairs = [...named].flatMap(([ns, services]) => [...services].map((s) => `${ns}/${s}`));
  run(`DELETE FROM ${table} WHERE ${time} < ? AND namespace NOT IN (SELECT value FROM json_each(?))
    AND namespace || '/' || coalesce(service, '') NOT IN (SELECT value FROM json_each(?))`, nowMs - defaultMs, JSON.stringify([...wide]), JSON.stringify(pairs));
  return deleted;
}

/** Unit keys repeat (a user sends many requests) and an HMAC costs ≈ 8 µs: the last few thousand are remembered. */
class UnitHashes {
  private readonly known = new Map<string, string>();
  constructor(private readonly key: Uint8Array, private readonly max = 4096) {}

  of(namespace: string, unit: string): string {
    const k = `${namespace}\u0000${unit}`;
    let h = this.known.get(k);
    if (h === undefined) {
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(k, (h = keyedHash(this.key, namespace, unit)));
    }
    return h;
  }
}

export class PredictionWriter {
  private readonly db: Database.Database;
  private readonly units: UnitHashes;
  private readonly insertOne: Database.Statement;
  /** Several rows in one statement: SQLite's per-statement work (step, reset) is then paid once per group, not per row. */
  private readonly insertGroup: Database.Statement;
  private readonly feedback: FeedbackWriter;
  private policies: PolicySet;
  private readonly write: (flat: unknown[], from: number, to: number) => void;

  constructor(path: string, private readonly cfg: WriterConfig) {
    this.policies = new PolicySet(cfg.policies);
    this.units = new UnitHashes(cfg.hashKey);
    this.db = openPredictionsDb(path);
    this.feedback = new FeedbackWriter(this.db, { hashKey: cfg.hashKey, joinWindowMs: cfg.joinWindowMs, scanRows: cfg.scanRows });
    const insert = (rows: number) => this.db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, route, variant, revision, digest, role, status, latency_ms, output, input, cohort, unit, allocation, propensity)
      VALUES ${Array(rows).fill(`(${Array(FIELDS).fill('?').join(', ')})`).join(', ')}`);
    const GROUP = Math.max(1, cfg.rowsPerStatement ?? ROWS_PER_STATEMENT);
    this.insertOne = insert(1);
    this.insertGroup = insert(GROUP);
    const one: unknown[] = Array(FIELDS);
    const group: unknown[] = Array(GROUP * FIELDS);
    this.write = this.db.transaction((v: unknown[], from: number, to: number) => {
      let row = from;
      for (; row + GROUP <= to; row += GROUP) {
        for (let k = 0; k < GROUP; k++) this.columns(v, (row + k) * FIELDS, group, k * FIELDS);
        this.insertGroup.run(group);
      }
      for (; row < to; row++) {
        this.columns(v, row * FIELDS, one, 0);
        this.insertOne.run(one);
      }
    });
  }

  /** One row's column values, as stored, from the flat encoding at `i` into `out` at `o`. */
  private columns(v: unknown[], i: number, out: unknown[], o: number): void {
    const ns = v[i + 2] as string;
    const output = v[i + 11] as string | null;
    const input = v[i + 12] as string | null;
    const unit = v[i + 14] as string | null;
    // Re-resolved here: a policy removed since the request was queued keeps no input.
    const rule = this.policies.of(ns, v[i + 3] as string).inputs;
    for (let k = 0; k < 11; k++) out[o + k] = v[i + k];
    out[o + 11] = output === null ? null : outputText(output, this.cfg.maxBodyBytes);
    out[o + 12] = input === null || rule === undefined ? null : inputText(input, rule, (x) => keyedHash(this.cfg.hashKey, ns, x), this.cfg.maxBodyBytes);
    out[o + 13] = v[i + 13];
    out[o + 14] = unit === null ? null : this.units.of(ns, unit);
    out[o + 15] = v[i + 15];
    out[o + 16] = v[i + 16];
  }

  /** The policies in force from now on. */
  setPolicies(policies: PolicySource[]): void {
    this.policies = new PolicySet(policies);
  }

  /** Writes rows (encodeRow's flat encoding), batchSize per transaction; a failed transaction's rows are counted, not retried. */
  writeAll(flat: unknown[]): WriteResult {
    const r: WriteResult = { written: 0, failed: 0 };
    const rows = flat.length / FIELDS;
    for (let from = 0; from < rows; from += this.cfg.batchSize) {
      const to = Math.min(rows, from + this.cfg.batchSize);
      try {
        this.write(flat, from, to);
        r.written += to - from;
      } catch (err) {
        r.failed += to - from;
        r.error = (err as Error).message;
      }
    }
    return r;
  }

  /** Joins and stores a feedback batch (after the rows written before it), all or nothing. */
  ingestFeedback(events: FeedbackEvent[], receivedMs: number): Pick<WriteResult, 'feedback' | 'feedbackError'> {
    try {
      return { feedback: this.feedback.ingest(events, receivedMs) };
    } catch (err) {
      return { feedbackError: (err as Error).message };
    }
  }

  /** Deletes what retention says is too old (the log asks at start, every minute and when policies change). */
  prune(nowMs: number): WriteResult {
    const r: WriteResult = { written: 0, failed: 0 };
    try {
      r.pruned = pruneByRetention(this.db, this.policies, this.cfg.retentionMs, nowMs);
      r.feedbackPruned = pruneByRetention(this.db, this.policies, this.cfg.retentionMs, nowMs, 'feedback');
    } catch (err) {
      r.error = (err as Error).message;
    }
    return r;
  }

  close(): void {
    this.db.close();
  }
}
