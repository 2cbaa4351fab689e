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
    const value: unknown = JSON.parse(text);
    // Nothing to redact: the text is known to be JSON and is kept as sent.
    return paths.length === 0 ? text : JSON.stringify(redact(value, paths));
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

/** Values per row in the flat encoding that crosses to the worker (one array of primitives clones far cheaper than objects). */
export const FIELDS = 14;

/** Appends one entry to `out` in column order; bodies become text (a Buffer would cross with its whole backing buffer). */
export function encodeRow(e: PredictionEntry, out: unknown[]): void {
  out.push(e.requestId, e.time, e.namespace, e.service, e.route ?? null, e.variant ?? null, e.revision ?? null, e.digest ?? null,
    e.role, e.status, e.latencyMs, textOf(e.output), textOf(e.input), e.cohort ? JSON.stringify(e.cohort) : null);
}

function textOf(b: Uint8Array | string | undefined): string | null {
  if (b === undefined) return null;
  return typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

export class PredictionWriter {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly policies: Policies;
  private readonly write: (flat: unknown[], from: number, to: number) => void;
  private lastPruneMs = 0;

  constructor(path: string, private readonly cfg: WriterConfig) {
    this.policies = new Policies(cfg);
    this.db = openPredictionsDb(path);
    this.insert = this.db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, route, variant, revision, digest, role, status, latency_ms, output, input, cohort)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.write = this.db.transaction((v: unknown[], from: number, to: number) => {
      for (let i = from * FIELDS; i < to * FIELDS; i += FIELDS) {
        const p = this.policies.of(v[i + 2] as string, v[i + 3] as string);
        const output = v[i + 11] as string | null;
        const input = v[i + 12] as string | null;
        this.insert.run(v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7], v[i + 8], v[i + 9], v[i + 10],
          output === null ? null : bodyText(output, p.response, cfg.maxBodyBytes), input === null ? null : bodyText(input, p.request, cfg.maxBodyBytes), v[i + 13]);
      }
    });
  }

  /** Writes rows (encodeRow's flat encoding), batchSize per transaction; a failed transaction's rows are counted, not retried. Prunes at most once a minute. */
  writeAll(flat: unknown[], nowMs: number): WriteResult {
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
