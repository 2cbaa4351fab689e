// Request ids the gateway generates: UUID version 7 (RFC 9562) — 48 bits of
// Unix milliseconds, a 12-bit counter within the millisecond (the RFC's
// "fixed-length dedicated counter", method 1), then 62 random bits drawn
// again whenever the counter wraps or the millisecond changes. Time-ordered
// ids keep the prediction log's pairing index (mirror rows by request id)
// appending at its end instead of dirtying a random page per row, and an id
// costs two string concatenations instead of a random UUID's formatting.
import { randomFillSync } from 'node:crypto';

const HEX3: string[] = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

let lastMs = -1;
let prefix = '';
let suffix = '';
let counter = 0;

// Random bytes drawn 4 KiB at a time: one call to the CSPRNG per 512 tails, not one per millisecond.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** `-Vxxx-xxxxxxxxxxxx` with the RFC 4122 variant bits (10) and 62 random bits. */
function randomTail(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool[poolAt] = (pool[poolAt]! & 0x3f) | 0x80;
  const hex = pool.toString('hex', poolAt, (poolAt += 8));
  return `-${hex.slice(0, 4)}-${hex.slice(4)}`;
}

export function requestIdV7(nowMs = Date.now()): string {
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    const hex = nowMs.toString(16).padStart(12, '0');
    prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
    suffix = randomTail();
    counter = 0;
  } else if (++counter === 4096) {
    suffix = randomTail();
    counter = 0;
  }
  return prefix + HEX3[counter]! + suffix;
}
