// The audit table of the SQLite store. append() must run inside the caller's
// write transaction, so a record and the change it describes commit together
// (or not at all) and the head in meta moves with them.
import type Database from 'better-sqlite3';
import { sha256Hex } from '../../core/canonical.ts';
import { GENESIS_HASH, auditHash, verifyChain, type AuditHead } from '../audit-chain.ts';
import type { AuditEntry, AuditQuery, AuditRecord, AuditVerification } from '../types.ts';

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  verb: string;
  resource: string;
  digest_before: string;
  digest_after: string;
  evidence: string | null;
  prev_hash: string;
  hash: string;
}

function fromRow(row: AuditRow): AuditRecord {
  const record: AuditRecord = {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    verb: row.verb,
    resource: row.resource,
    digestBefore: row.digest_before,
    digestAfter: row.digest_after,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  // SQL NULL = no evidence; the text 'null' = evidence that is JSON null.
  if (row.evidence !== null) record.evidence = JSON.parse(row.evidence);
  return record;
}

export class SqliteAuditLog {
  private readonly insert: Database.Statement;
  private readonly readMeta: Database.Statement;
  private readonly writeMeta: Database.Statement;
  private readonly list_: Database.Statement;
  private readonly listNewest: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly now: () => Date) {
    this.insert = db.prepare(
      `INSERT INTO audit (seq, time, actor, verb, resource, digest_before, digest_after, evidence, prev_hash, hash)
       VALUES (@seq, @time, @actor, @verb, @resource, @digestBefore, @digestAfter, @evidence, @prevHash, @hash)`,
    );
    this.readMeta = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.writeMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    // resource is 'group/resource/namespace/name' (no part holds a '/'): the namespace is between the second and third slash.
    const matching = `SELECT * FROM audit WHERE seq > @since
         AND (@resource IS NULL OR resource = @resource)
         AND (@verbPrefix IS NULL OR substr(verb, 1, length(@verbPrefix)) = @verbPrefix)
         AND (@namespace IS NULL OR resource GLOB '*/*/' || @namespace || '/*')`;
    this.list_ = db.prepare(`${matching} ORDER BY seq LIMIT @limit`);
    this.listNewest = db.prepare(`SELECT * FROM (${matching} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`);
  }

  /** The (seq, hash) of the last record as recorded in meta, or undefined for an empty log. */
  head(): AuditHead | undefined {
    const seq = this.readMeta.get('audit_head_seq') as string | undefined;
    const hash = this.readMeta.get('audit_head_hash') as string | undefined;
    if (seq === undefined || hash === undefined) return undefined;
    return { seq: Number(seq), hash };
  }

  /** Appends one record; call inside a write transaction. */
  append(entry: AuditEntry): AuditRecord {
    const head = this.head();
    const unhashed = {
      seq: (head?.seq ?? 0) + 1,
      time: this.now().toISOString(),
      actor: entry.actor,
      verb: entry.verb,
      resource: entry.resource,
      digestBefore: entry.before === undefined ? '' : sha256Hex(entry.before),
      digestAfter: entry.after === undefined ? '' : sha256Hex(entry.after),
      prevHash: head?.hash ?? GENESIS_HASH,
      ...(entry.evidence === undefined ? {} : { evidence: entry.evidence }),
    };
    const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
    this.insert.run({ ...record, evidence: record.evidence === undefined ? null : JSON.stringify(record.evidence) });
    this.writeMeta.run('audit_head_seq', String(record.seq));
    this.writeMeta.run('audit_head_hash', record.hash);
    return record;
  }

  list(q: AuditQuery = {}): AuditRecord[] {
    // substr, not LIKE: a prefix with % or _ means itself.
    const rows = (q.newest ? this.listNewest : this.list_).all({
      since: q.sinceSeq ?? 0, limit: q.limit ?? -1, resource: q.resource ?? null, verbPrefix: q.verbPrefix ?? null,
      namespace: q.namespace === undefined ? null : globLiteral(q.namespace),
    }) as AuditRow[];
    return rows.map(fromRow);
  }

  /** Reads the whole log in one snapshot and checks the chain and head. */
  verify(): AuditVerification {
    return this.db.transaction(() => {
      // Read the head first: the connection runs no other statement while iterating.
      const head = this.head();
      const rows = this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditRow>;
      const records = (function* () {
        for (const row of rows) yield fromRow(row);
      })();
      return verifyChain(records, head);
    })();
  }
}

/** `text` as a GLOB pattern that matches only itself. */
function globLiteral(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}
