// Canonical JSON: one spelling per value (object keys sorted by code unit,
// no whitespace), so equal values give equal bytes and therefore equal
// digests. Used for audit digests, the audit hash chain and "did the spec
// change" comparisons.
import { createHash } from 'node:crypto';

/**
 * Like JSON.stringify (undefined object members dropped, undefined array
 * items and non-finite numbers become null, toJSON honoured) but with object
 * keys sorted at every depth.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    // undefined, functions and symbols have no JSON form.
    return JSON.stringify(value) as string | undefined;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const text = write(record[key]);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/** sha256 (lower-case hex) of the canonical JSON of value. */
export function sha256Hex(value: unknown): string {
  return sha256Text(canonicalJson(value));
}

/** sha256 (lower-case hex) of a UTF-8 string. */
export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
