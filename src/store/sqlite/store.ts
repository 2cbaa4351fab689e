// The embedded Store: one SQLite file (better-sqlite3, WAL, synchronous=FULL).
// Every write is one IMMEDIATE transaction that bumps the global revision,
// writes the object, appends the watch event and the audit record; watchers
// are told only after it commits. better-sqlite3 is synchronous, so reading
// history and registering a watcher happen in one step with no commit between.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isSwitchyardError, syError } from '../../core/errors.ts';
import { matchesLabels } from '../labels.ts';
import {
  alreadyExistsError, auditResource, changed, checkPrecondition, keyOf, notFoundError, prepareCreate, prepareGracefulDelete, prepareUpdate, withResourceVersion,
} from '../objects.ts';
import { WatchHub, type Change } from '../watch-hub.ts';
import { SqliteAuditLog } from './audit-log.ts';
import { migrate } from './migrations.ts';
import type {
  AuditEntry, AuditQuery, AuditRecord, AuditVerification, DeleteOptions, KubeObject, ListOptions, ListResult, ObjectKey,
  ResourceType, Store, WatchEvent, WatchOptions, WriteOptions,
} from '../types.ts';

export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. ':memory:' works for throwaway stores. */
  path: string;
  now?: () => Date;
  uid?: () => string;
  /** Revisions of watch history kept for resuming watches (default 10000). */
  historyLimit?: number;
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface EventRow {
  revision: number;
  type: Change['type'];
  api_group: string;
  resource: string;
  json: string;
  prev_json: string | null;
}

/** The codes of a write that found no space: SQLite's, and the file system's underneath it. */
const DISK_FULL = new Set(['SQLITE_FULL', 'ENOSPC']);

/**
 * Any failure that is not already a Switchyard error becomes SY_ERR_STORE carrying its cause; a full
 * disk becomes SY_ERR_STORE_FULL naming where space is needed. SQLite rolls the transaction back, so
 * nothing of the write was made, and the next write succeeds once space returns.
 */
function storeError(what: string, err: unknown, path: string): Error {
  if (isSwitchyardError(err)) return err;
  const e = err as { code?: string; message?: string };
  if (e?.code && DISK_FULL.has(e.code)) {
    return syError('SY_ERR_STORE_FULL', `store ${what} failed: the disk holding ${dirname(path)} is full (${e.code}); nothing was written. Free space there: writes succeed again without a restart`, { cause: err });
  }
  const code = e?.code ? ` (${e.code})` : '';
  return syError('SY_ERR_STORE', `store ${what} failed${code}: ${e?.message ?? String(err)}`, { cause: err });
}

export class SqliteStore implements Store {
  private readonly hub = new WatchHub();
  private readonly audit: SqliteAuditLog;
  private readonly listStatements = new Map<string, Database.Statement>();
  private readonly s;
  private readonly guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw storeError(what, err, this.db.name);
    }
  };

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
    private readonly uid: () => string,
    private readonly historyLimit: number,
  ) {
    this.audit = new SqliteAuditLog(db, now);
    this.s = {
      meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      getObject: db.prepare('SELECT json FROM objects WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?').pluck(),
      insertObject: db.prepare(
        'INSERT INTO objects (api_group, resource, namespace, name, uid, resource_version, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      updateObject: db.prepare(
        'UPDATE objects SET resource_version = ?, json = ? WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?',
      ),
      deleteObject: db.prepare('DELETE FROM objects WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?'),
      insertEvent: db.prepare(
        'INSERT INTO events (revision, type, api_group, resource, namespace, name, json, prev_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      pruneEvents: db.prepare('DELETE FROM events WHERE revision <= ?'),
      eventsAfter: db.prepare('SELECT * FROM events WHERE revision > ? AND api_group = ? AND resource = ? ORDER BY revision'),
    };
  }

  private metaNumber(key: string): number {
    return Number(this.s.meta.get(key) ?? 0);
  }

  private stored(key: ObjectKey): KubeObject | undefined {
    const json = this.s.getObject.get(key.group, key.resource, key.namespace, key.name) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as KubeObject);
  }

  /** Claims the next revision and records its event, dropping history beyond historyLimit. */
  private recordChange(key: ObjectKey, type: Change['type'], object: KubeObject, revision: number, prev?: KubeObject): Change {
    this.s.setMeta.run(String(revision), 'revision');
    this.s.insertEvent.run(revision, type, key.group, key.resource, key.namespace, key.name, JSON.stringify(object), prev ? JSON.stringify(prev) : null);
    const compactTo = revision - this.historyLimit;
    if (compactTo > this.metaNumber('compacted_revision')) {
      this.s.pruneEvents.run(compactTo);
      this.s.setMeta.run(String(compactTo), 'compacted_revision');
    }
    return { revision, type, group: key.group, resource: key.resource, object, ...(prev ? { prev } : {}) };
  }

  /** Runs fn in one IMMEDIATE transaction; publishes its change only after commit. */
  private write(what: string, fn: () => { result: KubeObject; change?: Change }): KubeObject {
    const { result, change } = this.guard(what, () => this.db.transaction(fn).immediate());
    if (change) this.hub.publish(change);
    return result;
  }

  async create(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const key = keyOf(type, obj);
    return this.write('create', () => {
      if (this.stored(key)) throw alreadyExistsError(key);
      const revision = this.metaNumber('revision') + 1;
      const created = prepareCreate(obj, { uid: this.uid(), resourceVersion: String(revision), now: this.now() });
      this.s.insertObject.run(key.group, key.resource, key.namespace, key.name, created.metadata.uid, revision, JSON.stringify(created));
      this.audit.append({ actor: opts.actor.name, verb: opts.verb ?? 'create', resource: auditResource(key), after: created });
      return { result: created, change: this.recordChange(key, 'ADDED', created, revision) };
    });
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    return this.guard('get', () => this.stored(key));
  }

  private listStatement(namespace: boolean, name: boolean): Database.Statement {
    const id = `${namespace}/${name}`;
    let stmt = this.listStatements.get(id);
    if (!stmt) {
      const where = ['api_group = @group', 'resource = @resource'];
      if (namespace) where.push('namespace = @namespace');
      if (name) where.push('name = @name');
      stmt = this.db.prepare(`SELECT json FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name`).pluck();
      this.listStatements.set(id, stmt);
    }
    return stmt;
  }

  async list(type: ResourceType, opts: ListOptions = {}): Promise<ListResult> {
    return this.guard('list', () =>
      // One read transaction: the items and the revision come from the same snapshot.
      this.db.transaction(() => {
        const stmt = this.listStatement(opts.namespace !== undefined, opts.name !== undefined);
        const rows = stmt.all({ group: type.group, resource: type.resource, namespace: opts.namespace, name: opts.name }) as string[];
        const items = rows
          .map((json) => JSON.parse(json) as KubeObject)
          .filter((o) => matchesLabels(opts.labelSelector ?? [], o.metadata.labels));
        return { items, resourceVersion: String(this.metaNumber('revision')) };
      })(),
    );
  }

  async update(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const key = keyOf(type, obj);
    return this.write('update', () => {
      const stored = this.stored(key);
      if (!stored) throw notFoundError(key);
      checkPrecondition(key, stored, obj.metadata.resourceVersion);
      const next = prepareUpdate(stored, obj, opts.subresource);
      if (!changed(stored, next)) return { result: stored };
      const revision = this.metaNumber('revision') + 1;
      next.metadata.resourceVersion = String(revision);
      this.s.updateObject.run(revision, JSON.stringify(next), key.group, key.resource, key.namespace, key.name);
      const verb = opts.verb ?? (opts.subresource === 'status' ? 'update/status' : 'update');
      this.audit.append({ actor: opts.actor.name, verb, resource: auditResource(key), before: stored, after: next, ...(opts.evidence === undefined ? {} : { evidence: opts.evidence }) });
      return { result: next, change: this.recordChange(key, 'MODIFIED', next, revision, stored) };
    });
  }

  async delete(key: ObjectKey, opts: DeleteOptions): Promise<KubeObject> {
    return this.write('delete', () => {
      const stored = this.stored(key);
      if (!stored) throw notFoundError(key);
      checkPrecondition(key, stored, opts.resourceVersion);
      if ((opts.gracePeriodSeconds ?? 0) > 0) return this.markDeleted(key, stored, opts);
      const revision = this.metaNumber('revision') + 1;
      this.s.deleteObject.run(key.group, key.resource, key.namespace, key.name);
      this.audit.append({ actor: opts.actor.name, verb: 'delete', resource: auditResource(key), before: stored });
      // As in Kubernetes, the deleted object is reported at the delete's revision.
      const deleted = withResourceVersion(stored, String(revision));
      return { result: deleted, change: this.recordChange(key, 'DELETED', deleted, revision) };
    });
  }

  /** A graceful delete: the object stays, marked, until a delete without a grace period. */
  private markDeleted(key: ObjectKey, stored: KubeObject, opts: DeleteOptions): { result: KubeObject; change?: Change } {
    const next = prepareGracefulDelete(stored, opts.gracePeriodSeconds!, this.now());
    if (!next) return { result: stored };
    const revision = this.metaNumber('revision') + 1;
    next.metadata.resourceVersion = String(revision);
    this.s.updateObject.run(revision, JSON.stringify(next), key.group, key.resource, key.namespace, key.name);
    this.audit.append({ actor: opts.actor.name, verb: 'delete', resource: auditResource(key), before: stored, after: next });
    return { result: next, change: this.recordChange(key, 'MODIFIED', next, revision, stored) };
  }

  async watch(type: ResourceType, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<() => void> {
    return this.guard('watch', () => {
      if (opts.resourceVersion === undefined) {
        return this.hub.subscribe(type, opts, this.metaNumber('revision'), [], onEvent);
      }
      if (!/^\d+$/.test(opts.resourceVersion)) {
        throw syError('SY_ERR_BAD_REQUEST', `invalid resourceVersion "${opts.resourceVersion}": must be a decimal revision`);
      }
      const from = Number(opts.resourceVersion);
      const compacted = this.metaNumber('compacted_revision');
      if (from < compacted) throw syError('SY_ERR_GONE', `too old resource version: ${from} (${compacted})`);
      const rows = this.s.eventsAfter.all(from, type.group, type.resource) as EventRow[];
      const replay = rows.map((r): Change => ({
        revision: r.revision,
        type: r.type,
        group: r.api_group,
        resource: r.resource,
        object: JSON.parse(r.json) as KubeObject,
        ...(r.prev_json === null ? {} : { prev: JSON.parse(r.prev_json) as KubeObject }),
      }));
      return this.hub.subscribe(type, opts, from, replay, onEvent);
    });
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    return this.guard('appendAudit', () => this.db.transaction(() => this.audit.append(entry)).immediate());
  }

  async listAudit(opts: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.guard('listAudit', () => this.audit.list(opts));
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.guard('verifyAudit', () => this.audit.verify());
  }

  async close(): Promise<void> {
    this.hub.stopAll();
    if (this.db.open) this.guard('close', () => this.db.close());
  }
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  let db: Database.Database | undefined;
  try {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk (WAL fsynced) before the write returns.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return new SqliteStore(db, opts.now ?? (() => new Date()), opts.uid ?? randomUUID, opts.historyLimit ?? 10000);
  } catch (err) {
    db?.close();
    throw storeError(`open ${opts.path}`, err, opts.path);
  }
}
