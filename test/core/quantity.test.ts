import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseByteQuantity } from '../../src/core/quantity.ts';

test('byte quantities: binary and decimal suffixes, plain bytes; anything else is undefined', () => {
  assert.equal(parseByteQuantity('64Mi'), 64 * 1024 * 1024);
  assert.equal(parseByteQuantity('512Ki'), 512 * 1024);
  assert.equal(parseByteQuantity('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(parseByteQuantity('3M'), 3_000_000);
  assert.equal(parseByteQuantity('1048576'), 1048576);
  for (const bad of ['64MB', '-1Mi', 'Mi', '1m', '', '1 Mi']) assert.equal(parseByteQuantity(bad), undefined, bad);
});
