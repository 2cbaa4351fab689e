import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { jsonpath } from '../../src/cli/jsonpath.ts';

const isvc = {
  metadata: { name: 'iris', annotations: { 'serving.kserve.io/deploymentMode': 'Standard' } },
  status: {
    url: 'http://iris.default.example.com',
    conditions: [
      { type: 'PredictorReady', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'Loading' },
    ],
    components: { predictor: { traffic: [{ tag: 'prev', percent: 90 }, { tag: 'latest', percent: 10, latestRevision: true }] } },
  },
};
const list = { kind: 'List', items: [isvc, { metadata: { name: 'ranking' }, status: { url: 'http://ranking.search.example.com' } }] };

test('field paths with and without braces, and surrounding text', () => {
  assert.equal(jsonpath('{.status.url}', isvc), 'http://iris.default.example.com');
  assert.equal(jsonpath('.metadata.name', isvc), 'iris');
  assert.equal(jsonpath('url={.status.url} name={.metadata.name}', isvc), 'url=http://iris.default.example.com name=iris');
  assert.equal(jsonpath('{.metadata.annotations.serving\\.kserve\\.io/deploymentMode}', isvc), 'Standard');
  assert.equal(jsonpath("{.metadata.annotations['serving.kserve.io/deploymentMode']}", isvc), 'Standard');
});

test('indexes, negative indexes and [*]', () => {
  assert.equal(jsonpath('{.status.conditions[0].type}', isvc), 'PredictorReady');
  assert.equal(jsonpath('{.status.conditions[-1].reason}', isvc), 'Loading');
  assert.equal(jsonpath('{.items[*].metadata.name}', list), 'iris ranking');
});

test('filters compare strings, numbers and booleans, or test existence', () => {
  assert.equal(jsonpath('{.status.conditions[?(@.type=="Ready")].status}', isvc), 'False');
  assert.equal(jsonpath("{.status.components.predictor.traffic[?(@.tag=='prev')].percent}", isvc), '90');
  assert.equal(jsonpath('{.status.components.predictor.traffic[?(@.percent<50)].tag}', isvc), 'latest');
  assert.equal(jsonpath('{.status.components.predictor.traffic[?(@.latestRevision==true)].tag}', isvc), 'latest');
  assert.equal(jsonpath('{.status.components.predictor.traffic[?(@.latestRevision)].percent}', isvc), '10');
});

test('range over items with literals', () => {
  assert.equal(jsonpath('{range .items[*]}{.metadata.name}{"\\t"}{.status.url}{"\\n"}{end}', list), 'iris\thttp://iris.default.example.com\nranking\thttp://ranking.search.example.com\n');
});

test('missing fields print nothing; maps print as JSON', () => {
  assert.equal(jsonpath('{.status.nothing.here}', isvc), '');
  assert.equal(jsonpath('{.status.conditions[0]}', isvc), '{"type":"PredictorReady","status":"True"}');
});

test('malformed templates are SY_ERR_CONFIG errors', () => {
  assert.throws(() => jsonpath('{range .items[*]}{.x}', list), (e: any) => e.code === 'SY_ERR_CONFIG' && /range/.test(e.message));
  assert.throws(() => jsonpath('{.items[abc]}', list), (e: any) => e.code === 'SY_ERR_CONFIG');
  assert.throws(() => jsonpath('{.status.url', isvc), /unclosed/);
});
