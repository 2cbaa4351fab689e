import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkQueryTemplate, placeholdersOf, promDuration, promqlString, renderQuery, usesRevision } from '../../src/kube/promql.ts';

const vars = { namespace: 'ns', service: 'iris', revision: 'iris-predictor-00002', window: '1m' };

test('placeholders are filled per side, spaces inside the braces allowed', () => {
  const r = renderQuery('sum(rate(x{namespace="{{namespace}}",service="{{ service }}",revision="{{revision}}"}[{{window}}]))', vars);
  assert.deepEqual(r, { query: 'sum(rate(x{namespace="ns",service="iris",revision="iris-predictor-00002"}[1m]))' });
  assert.deepEqual(placeholdersOf('a{{revision}} {{window}} {{revision}}'), ['revision', 'window']);
  assert.equal(usesRevision('up{job="{{service}}"}'), false);
  assert.equal(usesRevision('up{rev="{{ revision }}"}'), true);
});

test('an unknown or unclosed placeholder is an error naming it', () => {
  assert.match(checkQueryTemplate('up{pod="{{pod}}"}')!, /unknown placeholder \{\{pod\}\}.*\{\{namespace\}\}, \{\{service\}\}, \{\{revision\}\}, \{\{window\}\}/);
  assert.match(checkQueryTemplate('up{rev="{{revision}"}')!, /unclosed placeholder near "\{\{revision\}"/);
  assert.deepEqual(renderQuery('up{pod="{{pod}}"}', vars), { error: checkQueryTemplate('up{pod="{{pod}}"}') });
  assert.equal(checkQueryTemplate('sum(up{job="a"})'), undefined);
});

test('names are escaped as PromQL double-quoted string content', () => {
  assert.equal(promqlString('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.deepEqual(renderQuery('x{revision="{{revision}}"}', { ...vars, revision: 'r"} or vector(1) #' }), { query: 'x{revision="r\\"} or vector(1) #"}' });
});

test('the window becomes a Prometheus range in the largest whole unit', () => {
  const cases: Array<[string | number, string | undefined]> = [
    ['1m', '1m'], ['30s', '30s'], ['1m30s', '90s'], ['1h', '1h'], ['2h30m', '150m'], ['1.5s', '1500ms'], ['250ms', '250ms'],
    [60_000, '1m'], ['0', undefined], ['500us', undefined], ['soon', undefined], [-1000, undefined],
  ];
  for (const [w, want] of cases) assert.equal(promDuration(w), want, String(w));
  assert.match((renderQuery('rate(x[{{window}}])', { ...vars, window: '0' }) as { error: string }).error, /window "0" is not a positive duration/);
  // A query without {{window}} does not care about the window.
  assert.deepEqual(renderQuery('up', { ...vars, window: '0' }), { query: 'up' });
});
