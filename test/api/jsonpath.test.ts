import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnCell, evaluateJsonPath, JsonPathError } from '../../src/api/jsonpath.ts';

const doc = {
  status: {
    url: 'http://x',
    conditions: [{ type: 'IngressReady', status: 'False' }, { type: 'Ready', status: 'True' }],
    traffic: [
      { tag: 'prev', percent: 90, latestRevision: false, n: 1 },
      { tag: 'latest', percent: 10, latestRevision: true, n: 5 },
    ],
  },
  spec: { containers: [{ name: 'a' }, { name: 'b' }], 'dotted.key': 7 },
};

test('fields, indexes and wildcards', () => {
  assert.deepEqual(evaluateJsonPath(doc, '.status.url'), ['http://x']);
  assert.deepEqual(evaluateJsonPath(doc, '{.status.url}'), ['http://x']);
  assert.deepEqual(evaluateJsonPath(doc, '$.status.traffic[0].percent'), [90]);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[-1].tag'), ['latest']);
  assert.deepEqual(evaluateJsonPath(doc, '.spec.containers[*].name'), ['a', 'b']);
  assert.deepEqual(evaluateJsonPath(doc, ".spec['dotted.key']"), [7]);
  assert.deepEqual(evaluateJsonPath(doc, '.status.nope.deeper'), []);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[5]'), []);
});

test('filters on strings, booleans, numbers and existence', () => {
  assert.deepEqual(evaluateJsonPath(doc, ".status.conditions[?(@.type=='Ready')].status"), ['True']);
  assert.deepEqual(evaluateJsonPath(doc, '.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[?(@.latestRevision==true)].percent'), [10]);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[?(@.latestRevision==false)].percent'), [90]);
  assert.deepEqual(evaluateJsonPath(doc, ".status.traffic[?(@.tag!='prev')].tag"), ['latest']);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[?(@.n>=3)].tag'), ['latest']);
  assert.deepEqual(evaluateJsonPath(doc, '.status.traffic[?(@.tag)].n'), [1, 5]);
  assert.deepEqual(evaluateJsonPath(doc, ".status.traffic[?(@.tag=='none')].percent"), []);
});

test('columnCell: one value as is, several joined, none is null', () => {
  assert.equal(columnCell(doc, ".status.traffic[?(@.tag=='prev')].percent"), 90);
  assert.equal(columnCell(doc, '.spec.containers[*].name'), 'a b');
  assert.equal(columnCell(doc, '.status.missing'), null);
  assert.equal(columnCell(doc, '.spec.containers[0]'), '{"name":"a"}');
});

test('malformed paths throw', () => {
  assert.throws(() => evaluateJsonPath(doc, '.status[?(@.x=~/a/)]'), JsonPathError);
  assert.throws(() => evaluateJsonPath(doc, '.status.traffic[0'), JsonPathError);
});

test("kubectl's field syntax: escaped dots, names with slashes, .*, a leading @, and filters on nested paths", () => {
  const obj = { metadata: { annotations: { 'serving.kserve.io/deploymentMode': 'Standard' } }, items: [{ a: { b: [1, 2] }, on: false }, { a: { b: [3] } }] };
  assert.deepEqual(evaluateJsonPath(obj, '.metadata.annotations.serving\\.kserve\\.io/deploymentMode'), ['Standard']);
  assert.deepEqual(evaluateJsonPath(obj, '@.metadata.*'), [{ 'serving.kserve.io/deploymentMode': 'Standard' }]);
  assert.deepEqual(evaluateJsonPath(obj, '.items[?(@.a.b[0]>=2)].a.b[0]'), [3]);
  // As client-go: an existence filter keeps items whose path selects anything, false included.
  assert.deepEqual(evaluateJsonPath(obj, '.items[?(@.on)].a.b'), [[1, 2]]);
  assert.throws(() => evaluateJsonPath(obj, '..a'), /recursive descent/);
});
