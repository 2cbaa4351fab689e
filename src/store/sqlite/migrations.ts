// SQLite schema, as an ordered list of migrations. A database records the
// versions it has applied in schema_version; opening applies the rest, each
// in its own transaction. Never edit a shipped migration: append a new one.
import type Database from 'better-sqlite3';
import { syError } from '../../core/errors.ts';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'objects, events, audit, meta',
    sql: `
      -- Key/value bookkeeping: revision, compacted_revision, audit_head_seq, audit_head_hash.
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE objects (
        api_group TEXT NOT NULL,
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL UNIQUE,
        resource_version INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (api_group, resource, namespace, name)
      ) STRICT;

      -- One row per revision, kept for the last historyLimit revisions so a
      -- watch can resume. prev_json: the object before a MODIFIED change.
      CREATE TABLE events (
        revision INTEGER PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
        api_group TEXT NOT NULL,
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        json TEXT NOT NULL,
        prev_json TEXT
      ) STRICT;

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        verb TEXT NOT NULL,
        resource TEXT NOT NULL,
        digest_before TEXT NOT NULL,
        digest_after TEXT NOT NULL,
        evidence TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;

      INSERT INTO meta (key, value) VALUES ('revision', '0'), ('compacted_revision', '0');
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings db up to SCHEMA_VERSION; refuses a database written by a newer Switchyard. */
export function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const currentVersion = () => (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  const current = currentVersion();
  if (current > SCHEMA_VERSION) {
    throw syError('SY_ERR_STORE', `database schema version ${current} is newer than this Switchyard supports (${SCHEMA_VERSION}); upgrade Switchyard`);
  }
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    // Re-read under the write lock: another process may have just migrated.
    db.transaction(() => {
      if (currentVersion() >= m.version) return;
      db.exec(m.sql);
      record.run(m.version, new Date().toISOString());
    }).immediate();
  }
}
