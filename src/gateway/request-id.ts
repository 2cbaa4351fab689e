// Request ids the gateway generates: UUID version 7 (RFC 9562) — 48 bits of
// Unix milliseconds, a 12-bit counter within the millisecond (the RFC's
// "fixed-length dedicated counter", method 1), then 62 random bits drawn
// again whenever the counter wraps or the millisecond changes. Time-ordered
// ids keep the prediction log's pairing index (mirror rows by request id)
// appending at its end instead of dirtying a random page per row, and an id
// costs two string concatenations instead of a random UUID's formatting.
import { randomBytes } from 'node:crypto';

const HEX3: string[] = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

let lastMs = -1;
let prefix = '';
let suffix = '';
let counter = 0;

/** `-Vxxx-xxxxxxxxxxxx` with the RFC 4122 variant bits (10) and 62 random bits. */
function randomTail(): string {
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
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
