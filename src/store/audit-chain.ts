// The audit log's hash chain, independent of where rows are kept. Each record
// commits to its own fields and to the previous record's hash; the store keeps
// the last (seq, hash) — the head — beside the log, written in the same
// transaction. Editing a row breaks its hash, deleting one breaks the seq run
// and the next prev_hash, and cutting the tail disagrees with the head.
import { canonicalJson, sha256Text } from '../core/canonical.ts';
import type { AuditRecord, AuditVerification } from './types.ts';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type UnhashedRecord = Omit<AuditRecord, 'hash'>;

/** hash = sha256(prevHash + canonical JSON of the record's other fields). */
export function auditHash(r: UnhashedRecord): string {
  const fields = {
    seq: r.seq,
    time: r.time,
    actor: r.actor,
    verb: r.verb,
    resource: r.resource,
    digestBefore: r.digestBefore,
    digestAfter: r.digestAfter,
    evidence: r.evidence,
  };
  return sha256Text(r.prevHash + canonicalJson(fields));
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Checks records (ascending seq, the whole log) against each other and the
 * head. Returns one problem line per finding, each naming a seq.
 */
export function verifyChain(records: Iterable<AuditRecord>, head: AuditHead | undefined): AuditVerification {
  const problems: string[] = [];
  let count = 0;
  let prev: AuditRecord | undefined;
  for (const r of records) {
    count++;
    const expectedSeq = prev ? prev.seq + 1 : 1;
    if (r.seq > expectedSeq) {
      const span = r.seq - 1 === expectedSeq ? `seq ${expectedSeq}` : `seq ${expectedSeq}..${r.seq - 1}`;
      problems.push(`${span}: missing (row deleted)`);
    }
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (r.prevHash !== expectedPrev) {
      problems.push(`seq ${r.seq}: prev_hash does not match the hash of ${prev ? `seq ${prev.seq}` : 'the chain start'} (a row before it was deleted or rewritten)`);
    }
    if (auditHash(r) !== r.hash) problems.push(`seq ${r.seq}: hash does not match its contents (row edited)`);
    prev = r;
  }
  const lastSeq = prev?.seq ?? 0;
  if (!head) {
    if (prev) problems.push(`seq ${lastSeq}: the log has records but no recorded head`);
  } else if (lastSeq < head.seq) {
    const span = lastSeq + 1 === head.seq ? `seq ${head.seq}` : `seq ${lastSeq + 1}..${head.seq}`;
    problems.push(`${span}: missing at the tail (log truncated; head is seq ${head.seq})`);
  } else if (lastSeq > head.seq) {
    problems.push(`seq ${head.seq + 1}..${lastSeq}: records beyond the recorded head (seq ${head.seq}) were added outside the store`);
  } else if (prev && prev.hash !== head.hash) {
    problems.push(`seq ${lastSeq}: hash differs from the recorded head (last row edited or replaced)`);
  }
  return { ok: problems.length === 0, records: count, problems };
}
