// GrowthBook conformance: every case of the cohort-assignment sections of the
// SDK's shared cases.json (copied with its provenance into
// test/fixtures/growthbook), compared the way the SDK's own json.test.ts does
// (hash and chooseVariation exactly; ranges and weights floored to 8 decimals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace, type BucketRange } from '../../src/core/hash.ts';

const casesUrl = new URL('../fixtures/growthbook/cases.json', import.meta.url);
const cases = JSON.parse(readFileSync(casesUrl, 'utf8')) as Record<string, unknown>;

function section<T>(name: string): T[] {
  const rows = cases[name];
  assert.ok(Array.isArray(rows) && rows.length > 0, `cases.json section "${name}" is missing or empty`);
  console.log(`growthbook ${name}: ${rows.length} cases`);
  return rows as T[];
}

const floor8 = (n: number) => Math.floor(n * 1e8) / 1e8;
const floorRanges = (rs: readonly BucketRange[]) => rs.map((r) => r.map(floor8));

test('hash: every case', () => {
  for (const [seed, value, version, expected] of section<[string, string, number, number | null]>('hash')) {
    assert.equal(hash(seed, value, version), expected, `hash(${JSON.stringify(seed)}, ${JSON.stringify(value)}, ${version})`);
  }
});

test('getBucketRange: every case', () => {
  for (const [name, [n, coverage, weights], expected] of section<[string, [number, number, number[] | null], BucketRange[]]>('getBucketRange')) {
    assert.deepEqual(floorRanges(getBucketRanges(n, coverage, weights ?? undefined)), floorRanges(expected), name);
  }
});

test('chooseVariation: every case', () => {
  for (const [name, n, ranges, expected] of section<[string, number, BucketRange[], number]>('chooseVariation')) {
    assert.equal(chooseVariation(n, ranges), expected, name);
  }
});

test('getEqualWeights: every case', () => {
  for (const [n, expected] of section<[number, number[]]>('getEqualWeights')) {
    assert.deepEqual(getEqualWeights(n).map(floor8), expected.map(floor8), `getEqualWeights(${n})`);
  }
});

test('inNamespace: every case', () => {
  for (const [name, id, ns, expected] of section<[string, string, [string, number, number], boolean]>('inNamespace')) {
    assert.equal(inNamespace(id, ns), expected, name);
  }
});

// GrowthBook's hashFnv32a as published (shift-add multiply on a JS number,
// string concatenation); ours avoids allocation, so check they agree bit for
// bit, including lone and paired surrogates (hashed as UTF-16 code units).
function referenceFnv(str: string): number {
  let hval = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    hval ^= str.charCodeAt(i);
    hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}
function referenceHash(seed: string, value: string, version: number): number | null {
  if (version === 2) return (referenceFnv(referenceFnv(seed + value) + '') % 10000) / 10000;
  if (version === 1) return (referenceFnv(value + seed) % 1000) / 1000;
  return null;
}

test('allocation-free hash agrees with the published algorithm on arbitrary UTF-16 strings', () => {
  let x = 12345;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const alphabet = ['a', 'Z', '0', '9', '_', ' ', 'é', '中', '😀', '\ud800', '\udfff', '\u0000', '\uffff'];
  const str = () => Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  for (let i = 0; i < 2000; i++) {
    const seed = str();
    const value = str();
    for (const version of [1, 2]) assert.equal(hash(seed, value, version), referenceHash(seed, value, version), `${JSON.stringify(seed)} ${JSON.stringify(value)} v${version}`);
    assert.equal(inNamespace(value, [seed, 0, 0.5]), (referenceHash('__' + seed, value, 1) ?? 1) < 0.5);
  }
  // A non-BMP character is two code units, not one code point.
  assert.notEqual(hash('', '😀', 2), hash('', String.fromCharCode(0xf600), 2));
});

test('a unit in the 10% canary stays in it when the canary grows to 50%', () => {
  const before = getBucketRanges(2, 1, [0.9, 0.1]);
  const after = getBucketRanges(2, 1, [0.5, 0.5]);
  let inCanary = 0;
  for (let i = 0; i < 10_000; i++) {
    const h = hash('checkout-salt', `user-${i}`, 2)!;
    if (chooseVariation(h, before) === 1) {
      inCanary++;
      assert.equal(chooseVariation(h, after), 1, `user-${i} left the canary when it grew`);
    }
  }
  // Binomial(10000, 0.1): sd = 30, so ±6 sd is [820, 1180].
  assert.ok(inCanary >= 820 && inCanary <= 1180, `canary held ${inCanary} of 10000 units`);
});
