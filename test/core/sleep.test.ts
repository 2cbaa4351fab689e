import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../src/core/sleep.ts';

test('sleep waits its time, and an abort ends it early without rejecting', async () => {
  let t0 = Date.now();
  await sleep(60);
  assert.ok(Date.now() - t0 >= 55, `slept ${Date.now() - t0} ms`);

  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  t0 = Date.now();
  await sleep(5000, ac.signal);
  assert.ok(Date.now() - t0 < 1000, `an abort ends the wait (${Date.now() - t0} ms)`);
  t0 = Date.now();
  await sleep(5000, ac.signal);
  assert.ok(Date.now() - t0 < 100, 'an aborted signal does not wait at all');
});
