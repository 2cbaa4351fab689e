import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { comparedText, outputText, parseSince } from '../../src/cli/commands/predictions.ts';

test('predictions --since takes Go durations as kubectl does, and days; anything else names the flag', () => {
  assert.deepEqual(['90s', '5m', '1h30m', '500ms', '7d', '1.5d'].map(parseSince), [90_000, 300_000, 5_400_000, 500, 604_800_000, 129_600_000]);
  for (const bad of ['', '5', '0s', '-5m', 'yesterday', '1w']) {
    assert.throws(() => parseSince(bad), (err: Error & { code?: string }) => err.code === 'SY_ERR_CONFIG' && err.message === `--since must be a duration like 30s, 5m, 1h30m or 1d, got "${bad}"`, bad);
  }
});

test('answers read as a person compares them: V1 predictions, V2 outputs by name, numbers shortened, no envelope', () => {
  const v2 = { model_name: 'species', id: 'ce5c7c01-57a3-4e23-87ea-cf3a', parameters: {}, outputs: [{ name: 'predict', shape: [1, 3], datatype: 'FP32', data: [0.005681231152266264, 0.9695422053337097, 0.024776609614491463] }] };
  assert.equal(outputText(v2), 'predict=[0.00568,0.97,0.0248]');
  assert.equal(outputText({ predictions: [1, 0] }), '[1,0]');
  assert.equal(outputText('upstream error'), 'upstream error');
  // A shadow pair as it was compared: the labels (argmax of each probability row) of a batch.
  const batch = { outputs: [{ name: 'predict', shape: [2, 3], datatype: 'FP32', data: [0.9, 0.05, 0.05, 0.1, 0.2, 0.7] }] };
  assert.equal(comparedText(batch), 'predict labels [0, 2]');
  assert.equal(comparedText({ predictions: [2.5] }), 'predictions=[2.5]');
});
