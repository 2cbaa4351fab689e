// The prediction log's write side: redaction, the table, and batched inserts
// in one transaction per batch plus periodic pruning. It runs in the log's
// worker thread (predictions-worker.ts), which owns its own connection, so
// SQLite's synchronous writes never block the gateway's event loop.
import Database from 'better-sqlite3';
import { parseJsonPath } from '../api/jsonpath.ts';
import { syError } from '../core/errors.ts';
import type { PredictionEntry } from './predictions.ts';

export const REDACTED = '[redacted]';
type Steps = ReturnType<typeof parseJsonPath>;

export function compilePaths(paths: readonly string[]): Steps[] {
  return paths.map((p) => {
    const steps = parseJsonPath(p);
    if (steps.some((s) => s.kind === 'filter')) throw syError('SY_ERR_CONFIG', `prediction log redaction path ${p}: filters are not supported, use fields, [n] and [*]`);
    return steps;
  });
}

/** Replaces whatever each path selects in `root` (in place) with "[redacted]"; a path that selects the root redacts it all. */
export function redact(root: unknown, paths: readonly Steps[]): unknown {
  for (const steps of paths) {
    if (steps.length === 0) return REDACTED;
    let nodes: unknown[] = [root];
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const last = i === steps.length - 1;
      const next: unknown[] = [];
      for (const n of nodes) {
        if (typeof n !== 'object' || n === null) continue;
        const rec = n as Record<string, unknown>;
        const keys: Array<string | number> =
          step.kind === 'field' ? (Object.hasOwn(rec, step.name) ? [step.name] : [])
          : step.kind === 'index' ? (Array.isArray(n) && step.index < n.length && step.index >= -n.length ? [step.index < 0 ? n.length + step.index : step.index] : [])
          : Array.isArray(n) ? n.map((_, k) => k) : Object.keys(rec);
        for (const k of keys) {
          if (last) (rec as Record<string | number, unknown>)[k] = REDACTED;
          else next.push((rec as Record<string | number, unknown>)[k]);
        }
      }
      nodes = next;
    }
  }
  return root;
}

export function bodyText(body: Uint8Array | string | undefined, paths: readonly Steps[], maxBytes: number): string | null {
  if (body === undefined) return null;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > maxBytes) return JSON.stringify(`[too large: ${size} bytes]`);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.stringify(redact(JSON.parse(text), paths));
  } catch {
    // Not JSON: redaction cannot see inside it, so with any path configured the text is not kept.
    return JSON.stringify(paths.length > 0 ? REDACTED : text);
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  request_id TEXT NOT NULL, time INTEGER NOT NULL, namespace TEXT NOT NULL, service TEXT NOT NULL,
  route TEXT, variant TEXT, revision TEXT, digest TEXT, role TEXT NOT NULL, status INTEGER NOT NULL,
  latency_ms REAL NOT NULL, output TEXT, input TEXT, cohort TEXT);
CREATE INDEX IF NOT EXISTS predictions_service_time ON predictions (namespace, service, time);
-- Only mirror rows are looked up by request id (pairing). Indexing every row by its random id
-- made each batch dirty a page per row: 80 % of the log's write cost.
DROP INDEX IF EXISTS predictions_request;
CREATE INDEX IF NOT EXISTS predictions_mirror_request ON predictions (request_id) WHERE role = 'mirror';
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (time);`;

/** Opens (or shares) the store's database file for the prediction log: WAL, and a short busy wait. */
export function openPredictionsDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 1000');
  db.exec(SCHEMA);
  return db;
}

export interface ServicePolicy {
  rate: number;
  request: Steps[];
  response: Steps[];
}

/** What the write side needs of the log's (parsed) configuration; plain data, so it crosses to the worker. */
export interface WriterConfig {
  sampleRate: number;
  services: Record<string, { sampleRate?: number | undefined; redact?: { request: string[]; response: string[] } | undefined }>;
  redact: { request: string[]; response: string[] };
  batchSize: number;
  maxBodyBytes: number;
  retentionMs: number;
}

/** Sampling rate and redaction per "namespace/service", and the default. */
export class Policies {
  private readonly byService = new Map<string, Map<string, ServicePolicy>>();
  readonly fallback: ServicePolicy;

  constructor(cfg: WriterConfig) {
    this.fallback = { rate: cfg.sampleRate, request: compilePaths(cfg.redact.request), response: compilePaths(cfg.redact.response) };
    for (const [key, p] of Object.entries(cfg.services)) {
      const [ns, svc] = key.split('/');
      if (!ns || !svc) throw syError('SY_ERR_CONFIG', `prediction log service key ${key} must be "namespace/service"`);
      const redaction = p.redact ?? cfg.redact;
      let m = this.byService.get(ns);
      if (!m) this.byService.set(ns, (m = new Map()));
      m.set(svc, { rate: p.sampleRate ?? cfg.sampleRate, request: compilePaths(redaction.request), response: compilePaths(redaction.response) });
    }
  }

  of(namespace: string, service: string): ServicePolicy {
    return this.byService.get(namespace)?.get(service) ?? this.fallback;
  }
}

export interface WriteResult {
  written: number;
  /** Rows of batches whose transaction failed. */
  failed: number;
  error?: string;
}

export class PredictionWriter {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly policies: Policies;
  private readonly write: (rows: PredictionEntry[]) => void;
  private lastPruneMs = 0;

  constructor(path: string, private readonly cfg: WriterConfig) {
    this.policies = new Policies(cfg);
    this.db = openPredictionsDb(path);
    this.insert = this.db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, route, variant, revision, digest, role, status, latency_ms, output, input, cohort)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.write = this.db.transaction((rows: PredictionEntry[]) => {
      for (const e of rows) {
        const p = this.policies.of(e.namespace, e.service);
        this.insert.run(e.requestId, e.time, e.namespace, e.service, e.route ?? null, e.variant ?? null, e.revision ?? null, e.digest ?? null,
          e.role, e.status, e.latencyMs, bodyText(e.output, p.response, cfg.maxBodyBytes), bodyText(e.input, p.request, cfg.maxBodyBytes),
          e.cohort ? JSON.stringify(e.cohort) : null);
      }
    });
  }

  /** Writes `rows`, batchSize per transaction; a failed transaction's rows are counted, not retried. Prunes at most once a minute. */
  writeAll(rows: PredictionEntry[], nowMs: number): WriteResult {
    const r: WriteResult = { written: 0, failed: 0 };
    for (let i = 0; i < rows.length; i += this.cfg.batchSize) {
      const batch = rows.slice(i, i + this.cfg.batchSize);
      try {
        this.write(batch);
        r.written += batch.length;
      } catch (err) {
        r.failed += batch.length;
        r.error = (err as Error).message;
      }
    }
    if (nowMs - this.lastPruneMs >= 60_000) {
      this.lastPruneMs = nowMs;
      try {
        this.db.prepare('DELETE FROM predictions WHERE time < ?').run(nowMs - this.cfg.retentionMs);
      } catch (err) {
        r.error = (err as Error).message;
      }
    }
    return r;
  }

  close(): void {
    this.db.close();
  }
}
