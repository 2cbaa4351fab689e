import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestIdV7 } from '../../src/gateway/request-id.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('generated request ids are RFC 9562 version 7 UUIDs carrying their millisecond', () => {
  const t = Date.UTC(2026, 10, 22, 8, 0, 0, 123);
  const id = requestIdV7(t);
  assert.match(id, V7);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), t);
});

test('ids are unique, also past 4096 in one millisecond, and sort by time across milliseconds', () => {
  const seen = new Set<string>();
  const t = 1_800_000_000_000;
  for (let i = 0; i < 10_000; i++) seen.add(requestIdV7(t));
  for (let i = 0; i < 10_000; i++) seen.add(requestIdV7());
  assert.equal(seen.size, 20_000);
  const a = requestIdV7(t + 1);
  const b = requestIdV7(t + 2);
  assert.ok(a < b, `${a} < ${b}`);
});
