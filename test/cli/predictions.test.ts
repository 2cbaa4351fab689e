import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseSince } from '../../src/cli/commands/predictions.ts';

test('predictions --since takes Go durations as kubectl does, and days; anything else names the flag', () => {
  assert.deepEqual(['90s', '5m', '1h30m', '500ms', '7d', '1.5d'].map(parseSince), [90_000, 300_000, 5_400_000, 500, 604_800_000, 129_600_000]);
  for (const bad of ['', '5', '0s', '-5m', 'yesterday', '1w']) {
    assert.throws(() => parseSince(bad), (err: Error & { code?: string }) => err.code === 'SY_ERR_CONFIG' && err.message === `--since must be a duration like 30s, 5m, 1h30m or 1d, got "${bad}"`, bad);
  }
});
