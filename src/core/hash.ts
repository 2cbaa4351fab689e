// GrowthBook-compatible cohort hashing (FNV-1a 32 + bucket ranges).
//
// Sticky cohorts must put a unit in the same variation as GrowthBook's SDKs
// would, so these mirror packages/sdk-js/src/util.ts of growthbook/growthbook
// (spec 0.8.0) case for case; the SDK's cases.json (test/fixtures/growthbook)
// proves it. hash() runs per request on the gateway, so it never allocates:
// no string concatenation, no number-to-string conversion.

/** [start, end) of the hash interval a variation owns. */
export type BucketRange = readonly [number, number];

const FNV_OFFSET = 0x811c9dc5;
// GrowthBook multiplies with shifts (h<<1)+(h<<4)+(h<<7)+(h<<8)+(h<<24)+h,
// which is h*0x01000193 mod 2^32; Math.imul gives the same bits directly.
const FNV_PRIME = 0x01000193;

/** Continue an FNV-1a state over a string's UTF-16 code units (as JS charCodeAt). */
function fnvString(state: number, s: string): number {
  let h = state;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Continue an FNV-1a state over the decimal digits of a uint32 (as if `n + ""`). */
function fnvDecimal(state: number, n: number): number {
  let h = state;
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div /= 10) {
    const digit = Math.floor(n / div) % 10;
    h = Math.imul(h ^ (48 + digit), FNV_PRIME);
  }
  return h;
}

/**
 * GrowthBook's hash: a number in [0, 1), or null for an unknown version.
 * Version 2 (unbiased): fnv(fnv(seed + value) as decimal) % 10000 / 10000.
 * Version 1 (legacy, biased): fnv(value + seed) % 1000 / 1000.
 */
export function hash(seed: string, value: string, version: number): number | null {
  if (version === 2) {
    const inner = fnvString(fnvString(FNV_OFFSET, seed), value) >>> 0;
    const outer = fnvDecimal(FNV_OFFSET, inner) >>> 0;
    return (outer % 10000) / 10000;
  }
  if (version === 1) {
    const h = fnvString(fnvString(FNV_OFFSET, value), seed) >>> 0;
    return (h % 1000) / 1000;
  }
  return null;
}

/** n equal weights summing to 1; [] for n <= 0. */
export function getEqualWeights(n: number): number[] {
  if (n <= 0) return [];
  return new Array<number>(n).fill(1 / n);
}

/** True when n lies in [start, end). */
export function inRange(n: number, range: BucketRange): boolean {
  return n >= range[0] && n < range[1];
}

/**
 * Ranges for numVariations variations: variation i owns
 * [sum(w<i), sum(w<i) + coverage*w_i). Coverage is clamped to [0, 1];
 * weights of the wrong length or not summing to 1 (±0.01) fall back to equal
 * weights. Each variation's range starts at the same place whatever the
 * coverage, and growing a later variation's weight only extends ranges, which
 * is what keeps a unit in its variation as a canary grows.
 */
export function getBucketRanges(numVariations: number, coverage: number | undefined, weights?: readonly number[]): BucketRange[] {
  let cov = coverage === undefined ? 1 : coverage;
  if (cov < 0) cov = 0;
  else if (cov > 1) cov = 1;

  const equal = getEqualWeights(numVariations);
  let w: readonly number[] = weights ?? equal;
  if (w.length !== numVariations) w = equal;
  const total = w.reduce((sum, x) => sum + x, 0);
  // NaN totals pass this check in GrowthBook too; kept for parity.
  if (total < 0.99 || total > 1.01) w = equal;

  let cumulative = 0;
  return w.map((x) => {
    const start = cumulative;
    cumulative += x;
    return [start, start + cov * x] as const;
  });
}

/** Index of the first range holding n, or -1 when n falls in no range (outside coverage). */
export function chooseVariation(n: number, ranges: readonly BucketRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    if (inRange(n, ranges[i]!)) return i;
  }
  return -1;
}

/**
 * Whether a unit is in a namespace slice [start, end): GrowthBook hashes the
 * unit with seed "__" + namespace id using hash version 1.
 */
export function inNamespace(hashValue: string, namespace: readonly [string, number, number]): boolean {
  // Inline of hash("__" + id, hashValue, 1) without building the seed string.
  const h = fnvString(fnvString(fnvString(FNV_OFFSET, hashValue), '__'), namespace[0]) >>> 0;
  const n = (h % 1000) / 1000;
  return n >= namespace[1] && n < namespace[2];
}
