// The prediction log: one row per (request, role) — what answered, how, and
// what it said — in a `predictions` table of the store's SQLite file. By
// default a row keeps what gates, paired evidence and feedback joins need and
// no request body; a PredictionLogPolicy (predictions-policy.ts) keeps inputs
// for a sample of a service's requests, filtered by its JSON paths, and sets
// how long rows are kept. The gateway only enqueues (O(1), never waits); a
// timer (or a full batch) hands the queue to a worker thread that owns its own
// connection and writes one transaction per batch, so SQLite never blocks the
// event loop. A full queue (counting rows the worker has not written yet)
// drops the entry and counts it.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { FeedbackEvent, FeedbackResult } from '../api/feedback.ts';
import { syError } from '../core/errors.ts';
import { DEFAULT_JOIN_WINDOW_MS, DEFAULT_SCAN_ROWS } from './feedback-write.ts';
import { DEFAULT_RETENTION_MS, keepsInput, PolicySet, type PolicySource, type ResolvedPolicy } from './predictions-policy.ts';
import { encodeRow, openPredictionsDb, type PredictionEntry, type PredictionRole, type WriterConfig } from './predictions-write.ts';
import type { WorkerReply, WorkerRequest } from './predictions-worker.ts';

export type { PredictionEntry, PredictionRole };

export const PredictionLogConfig = z.object({
  maxQueue: z.number().int().positive().default(10_000),
  batchSize: z.number().int().positive().default(500),
  flushIntervalMs: z.number().int().positive().default(1000),
  /** Bodies larger than this are stored as a "[too large: N bytes]" marker. */
  maxBodyBytes: z.number().int().positive().default(16_384),
  /** Rows of services without a policy are deleted after this long (default 7 days). */
  retentionMs: z.number().int().positive().default(DEFAULT_RETENTION_MS),
  /** How often retention is enforced (besides at start and when policies change). */
  pruneIntervalMs: z.number().int().positive().default(60_000),
  /** Secret of the keyed hashes; `switchyard up` passes the data dir's, so hashes stay comparable across restarts. Default: random per process. */
  hashKey: z.custom<Uint8Array>((v) => v instanceof Uint8Array).optional(),
  /** PredictionLogPolicies in force at start; setPolicies replaces them. */
  policies: z.array(z.custom<PolicySource>()).default([]),
  /** Feedback for a request id without a unit key: its prediction is looked for this far before the event (default a day)... */
  joinWindowMs: z.number().int().positive().default(DEFAULT_JOIN_WINDOW_MS),
  /** ...among at most this many of the namespace's newest rows per batch. */
  feedbackScanRows: z.number().int().positive().default(DEFAULT_SCAN_ROWS),
});
export type PredictionLogConfig = z.input<typeof PredictionLogConfig>;

export { openPredictionsDb } from './predictions-write.ts';

/** The worker's entry, loaded through tsx's loader (workers do not inherit it in Node 20). */
function startWriter(path: string, cfg: WriterConfig): Worker {
  const entry = new URL('./predictions-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: { path, cfg } });
}

type Job = Omit<Extract<WorkerRequest, { seq: number }>, 'seq' | 'nowMs'>;
type Reply = Omit<Extract<WorkerReply, { seq: number }>, 'seq'>;

export class PredictionLog {
  /** A connection for queries (the API's); writes go through the worker's own. */
  readonly db: Database.Database;
  private readonly cfg: z.output<typeof PredictionLogConfig>;
  private policies: PolicySet;
  /**
   * Entries waiting for the worker, already in encodeRow's flat encoding: encoded as they arrive, so
   * the entry objects die young (a batch of them kept until the flush outlived the young generation,
   * and every row paid an old-generation collection), and the flush only swaps arrays.
   */
  private queue: unknown[] = [];
  private queuedRows = 0;
  private scheduled = false;
  private readonly timers: NodeJS.Timeout[];
  private readonly worker: Worker;
  /** Rows posted to the worker and not yet answered: they count against maxQueue. */
  private inFlight = 0;
  private seq = 0;
  /** The answer to the last job posted. */
  private tail: Promise<Reply> = Promise.resolve({ written: 0, failed: 0 });
  private readonly waiting = new Map<number, { rows: number; done: (reply: Reply) => void }>();
  private closing: Promise<void> | undefined;
  private broken = false;
  /** Entries dropped: queue full, their batch failed to write, or the writer died. */
  dropped = 0;
  written = 0;
  /** Rows deleted by retention: predictions, feedback. */
  pruned = 0;
  feedbackPruned = 0;
  lastError: Error | undefined;

  constructor(opts: { path: string } & PredictionLogConfig, private readonly now: () => number = Date.now) {
    this.cfg = PredictionLogConfig.parse(opts);
    this.policies = new PolicySet(this.cfg.policies);
    // Opened (schema created) here first, so the worker and queries never race on it.
    this.db = openPredictionsDb(opts.path);
    this.worker = startWriter(opts.path, {
      batchSize: this.cfg.batchSize, maxBodyBytes: this.cfg.maxBodyBytes, retentionMs: this.cfg.retentionMs,
      hashKey: this.cfg.hashKey ?? randomBytes(32), policies: this.cfg.policies,
      joinWindowMs: this.cfg.joinWindowMs, scanRows: this.cfg.feedbackScanRows,
    });
    this.worker.unref();
    this.worker.on('message', (m: WorkerReply) => this.answered(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the prediction log writer exited')));
    this.timers = [setInterval(() => void this.post(), this.cfg.flushIntervalMs), setInterval(() => void this.prune(), this.cfg.pruneIntervalMs)];
    for (const t of this.timers) t.unref();
    // Rows that outlived their retention while the log was closed go at once.
    void this.prune();
  }

  /** What applies to a service's rows: its policy (or the default), inputs kept or not, retention. */
  policy(namespace: string, service: string): ResolvedPolicy {
    return this.policies.of(namespace, service);
  }

  /** Replaces the policies in force (throws SY_ERR_CONFIG on a path it cannot use, changing nothing); resolves once the writer applies them and has enforced their retention. */
  setPolicies(sources: PolicySource[]): Promise<number> {
    this.policies = new PolicySet(sources);
    return this.job({ policies: sources, prune: true }).then((r) => r.pruned ?? 0);
  }

  /** Deletes rows older than their retention now; resolves with how many prediction rows. */
  prune(): Promise<number> {
    return this.job({ prune: true }).then((r) => r.pruned ?? 0);
  }

  /**
   * Joins a feedback batch to the predictions it follows and stores it (src/store/feedback-write.ts),
   * all or nothing. Whatever is queued goes to the writer first, in the same job, so an event posted
   * right after its prediction finds the prediction's row. Rejects with SY_ERR_UNAVAILABLE when the
   * log is closed or its writer stopped, SY_ERR_STORE when the batch could not be written.
   */
  async postFeedback(events: FeedbackEvent[]): Promise<FeedbackResult> {
    if (this.broken || this.closing) throw syError('SY_ERR_UNAVAILABLE', 'the prediction log is not running: feedback cannot be stored');
    const rows = this.take();
    const reply = await this.job({ ...(rows.count > 0 ? { rows: rows.flat } : {}), feedback: { events, receivedMs: this.now() } }, rows.count);
    if (reply.feedback) return reply.feedback;
    if (reply.feedbackError !== undefined) throw syError('SY_ERR_STORE', `the feedback batch was not stored: ${reply.feedbackError}`);
    throw syError('SY_ERR_UNAVAILABLE', `the prediction log writer stopped: ${reply.error ?? 'feedback cannot be stored'}`);
  }

  /** Entries not yet written: queued here or being written by the worker. */
  get queued(): number {
    return this.queuedRows + this.inFlight;
  }

  /** Queues one entry (its input only if a policy keeps it); false when dropped. Never writes or waits. */
  enqueue(e: PredictionEntry): boolean {
    if (this.broken || this.closing || this.queuedRows + this.inFlight >= this.cfg.maxQueue) {
      this.dropped++;
      return false;
    }
    if (e.input !== undefined && !keepsInput(this.policies.of(e.namespace, e.service), e.requestId)) e.input = undefined;
    encodeRow(e, this.queue);
    if (++this.queuedRows >= this.cfg.batchSize && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.post());
    }
    return true;
  }

  /** Takes what is queued, in the flat encoding the worker writes. */
  private take(): { flat: unknown[]; count: number } {
    const taken = { flat: this.queue, count: this.queuedRows };
    this.queue = [];
    this.queuedRows = 0;
    return taken;
  }

  /** Hands what is queued to the worker; resolves with the rows of it written (0 when nothing was queued). */
  private post(): Promise<number> {
    this.scheduled = false;
    if (this.queuedRows === 0 || this.broken) return Promise.resolve(0);
    const rows = this.take();
    return this.job({ rows: rows.flat }, rows.count).then((r) => r.written);
  }

  /** Posts one job; the worker answers jobs in order, so `tail` resolving means all before it are done. */
  private job(job: Job, rows = 0): Promise<Reply> {
    if (this.broken) return Promise.resolve({ written: 0, failed: rows, error: this.lastError?.message });
    const seq = ++this.seq;
    this.inFlight += rows;
    // Referenced only while a job is in flight: an idle log never keeps the process alive.
    if (this.waiting.size === 0) this.worker.ref();
    this.tail = new Promise((done) => {
      this.waiting.set(seq, { rows, done });
      this.worker.postMessage({ seq, nowMs: this.now(), ...job } satisfies WorkerRequest);
    });
    return this.tail;
  }

  private answered(m: WorkerReply): void {
    if ('closed' in m) return;
    const w = this.waiting.get(m.seq);
    if (!w) return;
    this.waiting.delete(m.seq);
    if (this.waiting.size === 0 && !this.closing) this.worker.unref();
    this.inFlight -= w.rows;
    this.written += m.written;
    this.dropped += m.failed;
    this.pruned += m.pruned ?? 0;
    this.feedbackPruned += m.feedbackPruned ?? 0;
    if (m.error !== undefined) this.lastError = new Error(m.error);
    w.done(m);
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = true;
    if (!this.closing) this.lastError = err;
    for (const w of this.waiting.values()) {
      this.dropped += w.rows;
      w.done({ written: 0, failed: w.rows, error: err.message });
    }
    this.waiting.clear();
    this.inFlight = 0;
    this.dropped += this.queuedRows;
    this.queue = [];
    this.queuedRows = 0;
  }

  /** Writes everything queued; resolves once it (and every batch before it) is written, with the rows of it written. */
  async flush(): Promise<number> {
    const n = this.post();
    await this.tail;
    return n;
  }

  query(q: PredictionQuery & { paired: true }): PredictionPair[];
  query(q: PredictionQuery): PredictionRow[];
  query(q: PredictionQuery): PredictionRow[] | PredictionPair[] {
    return queryPredictions(this.db, q);
  }

  /** Writes what is queued, stops the worker and closes the connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      await this.flush();
      if (!this.broken) {
        this.worker.ref();
        const closed = new Promise<void>((r) => this.worker.once('exit', () => r()));
        this.worker.postMessage({ close: true } satisfies WorkerRequest);
        await closed;
      }
      this.db.close();
    })();
    return this.closing;
  }
}

export const PredictionQuery = z.object({
  namespace: z.string().min(1),
  service: z.string().min(1).optional(),
  /** Epoch ms; rows at or after it. */
  sinceMs: z.number().int().nonnegative().optional(),
  paired: z.boolean().optional(),
  role: z.enum(['primary', 'mirror']).optional(),
  /** Only rows of this revision, or variant; with paired, of the primary row. */
  revision: z.string().min(1).optional(),
  variant: z.string().min(1).optional(),
  /** Only rows whose HTTP status is within [minStatus, maxStatus]. */
  minStatus: z.number().int().optional(),
  maxStatus: z.number().int().optional(),
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
  /** The unit key's keyed hash (hmac-sha256:...), when the request had one. */
  unit: string | null;
  /** A bandit's assignment: the allocation version and the served arm's probability under it. */
  allocation: number | null;
  propensity: number | null;
}

export interface PredictionPair {
  requestId: string;
  primary: PredictionRow;
  mirror: PredictionRow;
}

const COLUMNS = ['request_id', 'time', 'namespace', 'service', 'route', 'variant', 'revision', 'digest', 'role', 'status', 'latency_ms', 'output', 'input', 'cohort', 'unit', 'allocation', 'propensity'];

function toRow(r: Record<string, unknown>, prefix = ''): PredictionRow {
  const get = (c: string) => r[prefix + c];
  const json = (c: string) => (get(c) === null || get(c) === undefined ? null : JSON.parse(get(c) as string));
  return {
    requestId: get('request_id') as string, time: get('time') as number, namespace: get('namespace') as string, service: get('service') as string,
    route: get('route') as string | null, variant: get('variant') as string | null, revision: get('revision') as string | null, digest: get('digest') as string | null,
    role: get('role') as PredictionRole, status: get('status') as number, latencyMs: get('latency_ms') as number,
    output: json('output'), input: json('input'), cohort: json('cohort') as Record<string, string> | null, unit: get('unit') as string | null,
    allocation: (get('allocation') ?? null) as number | null, propensity: (get('propensity') ?? null) as number | null,
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
  if (q.revision !== undefined) where.push('p.revision = @revision');
  if (q.variant !== undefined) where.push('p.variant = @variant');
  if (q.minStatus !== undefined) where.push('p.status >= @minStatus');
  if (q.maxStatus !== undefined) where.push('p.status <= @maxStatus');
  const params = {
    namespace: q.namespace, service: q.service, sinceMs: q.sinceMs, limit: q.limit, role: q.role,
    revision: q.revision, variant: q.variant, minStatus: q.minStatus, maxStatus: q.maxStatus,
  };
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
