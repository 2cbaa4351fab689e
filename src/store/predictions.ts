// The prediction log: one row per sampled (request, role) — what answered,
// how, and what it said — in a `predictions` table of the store's SQLite
// file, through its own connection. The gateway only enqueues (O(1), never
// waits); a timer writes batches in one transaction each. A full queue drops
// the entry and counts it. Sampling hashes the request id, so a primary and
// its mirror are kept or dropped together and can be paired later.
import Database from 'better-sqlite3';
import { z } from 'zod';
import { parseJsonPath } from '../api/jsonpath.ts';
import { syError } from '../core/errors.ts';
import { hash } from '../core/hash.ts';

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
  /** Raw response body; parsed and redacted at write time, off the request path. */
  output?: Uint8Array | string;
  /** Raw request body, kept only if given (redacted the same way). */
  input?: Uint8Array | string;
  cohort?: Readonly<Record<string, string>>;
}

const Redaction = z.object({ request: z.array(z.string()).default([]), response: z.array(z.string()).default([]) });
export const PredictionLogConfig = z.object({
  /** Fraction of requests logged unless a service says otherwise (default 1). */
  sampleRate: z.number().min(0).max(1).default(1),
  /** Per service, keyed "namespace/service": sampleRate and JSON paths to replace with "[redacted]". */
  services: z.record(z.string(), z.object({ sampleRate: z.number().min(0).max(1).optional(), redact: Redaction.optional() })).default({}),
  redact: Redaction.default({ request: [], response: [] }),
  maxQueue: z.number().int().positive().default(10_000),
  batchSize: z.number().int().positive().default(500),
  flushIntervalMs: z.number().int().positive().default(1000),
  /** Bodies larger than this are stored as a "[too large: N bytes]" marker. */
  maxBodyBytes: z.number().int().positive().default(16_384),
  /** Rows older than this are pruned (default 7 days). */
  retentionMs: z.number().int().positive().default(7 * 24 * 3_600_000),
});
export type PredictionLogConfig = z.input<typeof PredictionLogConfig>;

export const REDACTED = '[redacted]';
type Steps = ReturnType<typeof parseJsonPath>;

function compilePaths(paths: readonly string[]): Steps[] {
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

function bodyText(body: Uint8Array | string | undefined, paths: readonly Steps[], maxBytes: number): string | null {
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
CREATE INDEX IF NOT EXISTS predictions_request ON predictions (request_id, role);
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

interface ServicePolicy {
  rate: number;
  request: Steps[];
  response: Steps[];
}

export class PredictionLog {
  readonly db: Database.Database;
  private readonly cfg: z.output<typeof PredictionLogConfig>;
  private readonly policies = new Map<string, Map<string, ServicePolicy>>();
  private readonly defaultPolicy: ServicePolicy;
  private queue: PredictionEntry[] = [];
  private scheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly insert: Database.Statement;
  private lastPruneMs = 0;
  /** Entries dropped: queue full, or their batch failed to write. */
  dropped = 0;
  written = 0;
  lastError: Error | undefined;

  constructor(opts: { path: string } & PredictionLogConfig, private readonly now: () => number = Date.now) {
    this.cfg = PredictionLogConfig.parse(opts);
    this.db = openPredictionsDb(opts.path);
    this.insert = this.db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, route, variant, revision, digest, role, status, latency_ms, output, input, cohort)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.defaultPolicy = { rate: this.cfg.sampleRate, request: compilePaths(this.cfg.redact.request), response: compilePaths(this.cfg.redact.response) };
    for (const [key, p] of Object.entries(this.cfg.services)) {
      const [ns, svc] = key.split('/');
      if (!ns || !svc) throw syError('SY_ERR_CONFIG', `prediction log service key ${key} must be "namespace/service"`);
      const redaction = p.redact ?? this.cfg.redact;
      let m = this.policies.get(ns);
      if (!m) this.policies.set(ns, (m = new Map()));
      m.set(svc, { rate: p.sampleRate ?? this.cfg.sampleRate, request: compilePaths(redaction.request), response: compilePaths(redaction.response) });
    }
    this.timer = setInterval(() => this.flush(), this.cfg.flushIntervalMs);
    this.timer.unref();
  }

  private policy(namespace: string, service: string): ServicePolicy {
    return this.policies.get(namespace)?.get(service) ?? this.defaultPolicy;
  }

  /** Whether this request is in the service's sample (same answer for its primary and mirror rows). */
  wants(namespace: string, service: string, requestId: string): boolean {
    const rate = this.policy(namespace, service).rate;
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    return (hash('predictions', requestId, 2) ?? 1) < rate;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues one entry if sampled; false when it was sampled out or dropped. Never writes or waits. */
  enqueue(e: PredictionEntry): boolean {
    if (!this.wants(e.namespace, e.service, e.requestId)) return false;
    if (this.queue.length >= this.cfg.maxQueue) {
      this.dropped++;
      return false;
    }
    this.queue.push(e);
    if (this.queue.length >= this.cfg.batchSize && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes everything queued, batchSize rows per transaction; returns rows written. */
  flush(): number {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return 0;
    this.queue = [];
    let done = 0;
    const write = this.db.transaction((rows: PredictionEntry[]) => {
      for (const e of rows) {
        const p = this.policy(e.namespace, e.service);
        this.insert.run(e.requestId, e.time, e.namespace, e.service, e.route ?? null, e.variant ?? null, e.revision ?? null, e.digest ?? null,
          e.role, e.status, e.latencyMs, bodyText(e.output, p.response, this.cfg.maxBodyBytes), bodyText(e.input, p.request, this.cfg.maxBodyBytes),
          e.cohort ? JSON.stringify(e.cohort) : null);
      }
    });
    for (let i = 0; i < batch.length; i += this.cfg.batchSize) {
      const rows = batch.slice(i, i + this.cfg.batchSize);
      try {
        write(rows);
        done += rows.length;
      } catch (err) {
        this.dropped += rows.length;
        this.lastError = err as Error;
      }
    }
    this.written += done;
    this.prune();
    return done;
  }

  private prune(): void {
    const now = this.now();
    if (now - this.lastPruneMs < 60_000) return;
    this.lastPruneMs = now;
    try {
      this.db.prepare('DELETE FROM predictions WHERE time < ?').run(now - this.cfg.retentionMs);
    } catch (err) {
      this.lastError = err as Error;
    }
  }

  query(q: PredictionQuery & { paired: true }): PredictionPair[];
  query(q: PredictionQuery): PredictionRow[];
  query(q: PredictionQuery): PredictionRow[] | PredictionPair[] {
    return queryPredictions(this.db, q);
  }

  /** Flushes what is queued and closes the connection. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }
}

export const PredictionQuery = z.object({
  namespace: z.string().min(1),
  service: z.string().min(1).optional(),
  /** Epoch ms; rows at or after it. */
  sinceMs: z.number().int().nonnegative().optional(),
  paired: z.boolean().optional(),
  role: z.enum(['primary', 'mirror']).optional(),
  limit: z.number().int().positive().max(10_000).default(100),
});
export type PredictionQuery = z.input<typeof PredictionQuery>;

export interface PredictionRow {
  requestId: string;
  time: number;
  namespace: string;
  service: string;
  route: string | null;
  variant: string | null;
  revision: string | null;
  digest: string | null;
  role: PredictionRole;
  status: number;
  latencyMs: number;
  output: unknown;
  input: unknown;
  cohort: Record<string, string> | null;
}

export interface PredictionPair {
  requestId: string;
  primary: PredictionRow;
  mirror: PredictionRow;
}

const COLUMNS = ['request_id', 'time', 'namespace', 'service', 'route', 'variant', 'revision', 'digest', 'role', 'status', 'latency_ms', 'output', 'input', 'cohort'];

function toRow(r: Record<string, unknown>, prefix = ''): PredictionRow {
  const get = (c: string) => r[prefix + c];
  const json = (c: string) => (get(c) === null || get(c) === undefined ? null : JSON.parse(get(c) as string));
  return {
    requestId: get('request_id') as string, time: get('time') as number, namespace: get('namespace') as string, service: get('service') as string,
    route: get('route') as string | null, variant: get('variant') as string | null, revision: get('revision') as string | null, digest: get('digest') as string | null,
    role: get('role') as PredictionRole, status: get('status') as number, latencyMs: get('latency_ms') as number,
    output: json('output'), input: json('input'), cohort: json('cohort') as Record<string, string> | null,
  };
}

/** Newest first. With `paired`, each primary row joined with every mirror row of the same request id. */
export function queryPredictions(db: Database.Database, q: PredictionQuery & { paired: true }): PredictionPair[];
export function queryPredictions(db: Database.Database, q: PredictionQuery): PredictionRow[] | PredictionPair[];
export function queryPredictions(db: Database.Database, input: PredictionQuery): PredictionRow[] | PredictionPair[] {
  const q = PredictionQuery.parse(input);
  const where = ['p.namespace = @namespace'];
  if (q.service) where.push('p.service = @service');
  if (q.sinceMs !== undefined) where.push('p.time >= @sinceMs');
  const params = { namespace: q.namespace, service: q.service, sinceMs: q.sinceMs, limit: q.limit, role: q.role };
  if (!q.paired) {
    if (q.role) where.push('p.role = @role');
    const rows = db.prepare(`SELECT p.* FROM predictions p WHERE ${where.join(' AND ')} ORDER BY p.time DESC, p.rowid DESC LIMIT @limit`).all(params);
    return (rows as Array<Record<string, unknown>>).map((r) => toRow(r));
  }
  const cols = (alias: string) => COLUMNS.map((c) => `${alias}.${c} AS ${alias}_${c}`).join(', ');
  const rows = db.prepare(`SELECT ${cols('p')}, ${cols('m')} FROM predictions p JOIN predictions m ON m.request_id = p.request_id AND m.role = 'mirror'
    WHERE p.role = 'primary' AND ${where.join(' AND ')} ORDER BY p.time DESC, p.rowid DESC LIMIT @limit`).all(params);
  return (rows as Array<Record<string, unknown>>).map((r) => ({ requestId: r.p_request_id as string, primary: toRow(r, 'p_'), mirror: toRow(r, 'm_') }));
}
