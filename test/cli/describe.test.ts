import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { describeObject, shortAge, titleCase } from '../../src/cli/describe.ts';

const isvc = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: {
    name: 'iris', namespace: 'demo', uid: 'u-1', resourceVersion: '12', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { team: 'search', tier: 'gold' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":"json"}' },
  },
  spec: { predictor: { minReplicas: 1, model: { modelFormat: { name: 'sklearn' }, storageUri: 'pvc://models/iris' } } },
  status: {
    url: 'http://iris.demo.example.com',
    conditions: [{ type: 'Ready', status: 'True', reason: '', message: '' }, { type: 'PredictorReady', status: 'False', reason: 'Loading', message: 'model loading' }],
  },
};

test('field names are titled the way kubectl describes custom resources', () => {
  assert.equal(titleCase('storageUri'), 'Storage Uri');
  assert.equal(titleCase('canaryTrafficPercent'), 'Canary Traffic Percent');
  assert.equal(titleCase('url'), 'URL');
  assert.equal(titleCase('uid'), 'UID');
  assert.equal(titleCase('apiGroup'), 'API Group');
});

test('header fields, nested spec, conditions table and no events', () => {
  const text = describeObject(isvc, [], Date.parse('2026-01-01T00:10:00Z'));
  const lines = text.split('\n');
  assert.equal(lines[0], 'Name:         iris');
  assert.equal(lines[1], 'Namespace:    demo');
  assert.equal(lines[2], 'Labels:       team=search');
  assert.equal(lines[3], '              tier=gold');
  assert.equal(lines[4], 'Annotations:  <none>', 'the last-applied annotation is noise and is hidden');
  assert.ok(text.includes('API Version:  serving.kserve.io/v1beta1\nKind:         InferenceService\n'));
  assert.ok(text.includes('Spec:\n  Predictor:\n    Min Replicas:  1\n    Model:\n      Model Format:\n        Name:  sklearn\n      Storage Uri:  pvc://models/iris'));
  assert.ok(text.includes('Status:\n  URL:  http://iris.demo.example.com'));
  assert.ok(text.includes('Conditions:\n  Type             Status   Reason    Message\n  ----             ------   ------    -------\n  Ready            True\n  PredictorReady   False    Loading   model loading'));
  assert.ok(text.endsWith('Events:       <none>'));
});

test('events are listed with their age', () => {
  const events = [{ type: 'Normal', reason: 'Created', lastTimestamp: '2026-01-01T00:09:15Z', source: { component: 'isvc-controller' }, message: 'revision iris-predictor-00001 created' }];
  const text = describeObject(isvc, events, Date.parse('2026-01-01T00:10:00Z'));
  assert.ok(text.endsWith('Events:\n  Type     Reason    Age   From              Message\n  ----     ------    ---   ----              -------\n  Normal   Created   45s   isvc-controller   revision iris-predictor-00001 created'));
});

test('ages read like kubectl: seconds, minutes, hours, days', () => {
  assert.equal(shortAge(45_000), '45s');
  assert.equal(shortAge(200_000), '3m20s');
  assert.equal(shortAge(30 * 60_000), '30m');
  assert.equal(shortAge(5 * 3_600_000), '5h');
  assert.equal(shortAge(3 * 86_400_000), '3d');
});
