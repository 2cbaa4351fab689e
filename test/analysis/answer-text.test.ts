import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { answerText, clip, compactNumbers } from '../../src/analysis/answer-text.ts';

test('an answer without its envelope: V1 predictions, V2 outputs by name, numbers to 3 significant digits', () => {
  assert.equal(answerText({ predictions: [[0.123456, 0.876544]] }), '[[0.123,0.877]]');
  assert.equal(answerText({ model_name: 'm', id: 'a-b-c', outputs: [{ name: 'label', data: [2] }, { name: 'p', data: [0.0123456, 0.98765] }] }), 'label=[2] p=[0.0123,0.988]');
  assert.equal(answerText(null), '');
  assert.equal(answerText({ error: 'boom' }), '{"error":"boom"}');
  assert.equal(answerText({ predictions: Array(40).fill(1) }, 20), '[1,1,1,1,1,1,1,1,1,…');
  assert.deepEqual(compactNumbers([1.23456, 'x', [2.34567]]), [1.23, 'x', [2.35]]);
  assert.equal(clip('abc', 3), 'abc');
});
