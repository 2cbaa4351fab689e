import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseOutput, countInstances } from '../../src/gateway/telemetry/outputs.ts';

test('V1 classifier outputs become labels; probability vectors their argmax', () => {
  assert.deepEqual(analyseOutput('{"predictions":[1,0,2]}', 3), { invalid: false, labels: ['1', '0', '2'] });
  assert.deepEqual(analyseOutput('{"predictions":["spam","ham"]}'), { invalid: false, labels: ['spam', 'ham'] });
  assert.deepEqual(analyseOutput('{"predictions":[[0.1,0.7,0.2],[0.9,0.05,0.05]]}', 2), { invalid: false, labels: ['1', '0'] });
});

test('V1 numeric outputs become scores (one float makes the whole answer scores)', () => {
  assert.deepEqual(analyseOutput('{"predictions":[0.25,1,[0.5]]}'), { invalid: false, scores: [0.25, 1, 0.5] });
});

test('V2 outputs follow shape and datatype', () => {
  const v2 = (datatype: string, shape: number[], data: unknown[]) => JSON.stringify({ model_name: 'm', outputs: [{ name: 'y', datatype, shape, data }] });
  assert.deepEqual(analyseOutput(v2('INT64', [3], [1, 1, 0]), 3), { invalid: false, labels: ['1', '1', '0'] });
  // FP32 values that happen to be whole numbers stay scores.
  assert.deepEqual(analyseOutput(v2('FP32', [2, 1], [1, 0.5])), { invalid: false, scores: [1, 0.5] });
  assert.deepEqual(analyseOutput(v2('FP32', [2, 3], [0.1, 0.8, 0.1, 0.6, 0.3, 0.1])), { invalid: false, labels: ['1', '0'] });
  assert.deepEqual(analyseOutput(v2('FP32', [2, 3], [0.1, 0.8, 0.1])), { invalid: true, reason: 'nan' });
});

test('invalid outputs are detected by reason', () => {
  assert.deepEqual(analyseOutput('<html>502</html>'), { invalid: true, reason: 'not_json' });
  assert.deepEqual(analyseOutput('{"predictions":[0.5,NaN]}'), { invalid: true, reason: 'nan' });
  assert.deepEqual(analyseOutput('{"predictions":[-Infinity]}'), { invalid: true, reason: 'nan' });
  assert.deepEqual(analyseOutput('{"predictions":[0.5,null]}'), { invalid: true, reason: 'nan' });
  assert.deepEqual(analyseOutput('{"predictions":[]}'), { invalid: true, reason: 'no_outputs' });
  assert.deepEqual(analyseOutput('{"error":"boom"}'), { invalid: true, reason: 'no_outputs' });
  assert.deepEqual(analyseOutput('{"predictions":[1,2]}', 3), { invalid: true, reason: 'shape' });
  // A string that merely mentions NaN is not a NaN output.
  assert.deepEqual(analyseOutput('{"predictions":["NaN"]}'), { invalid: false, labels: ['NaN'] });
});

test('instance counts come from V1 instances/inputs and V2 shape', () => {
  assert.equal(countInstances('{"instances":[[1,2],[3,4],[5,6]]}'), 3);
  assert.equal(countInstances('{"inputs":[[1,2]]}'), 1);
  assert.equal(countInstances(Buffer.from('{"inputs":[{"name":"x","shape":[4,2],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]}]}')), 4);
  assert.equal(countInstances('not json'), undefined);
});
