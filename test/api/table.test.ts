import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTable } from '../../src/api/table.ts';
import { resolveResourceName } from '../../src/api/registry.ts';
import { humanDuration } from '../../src/api/age.ts';
import { loadManifest } from './helpers.ts';

const now = new Date('2025-01-01T12:00:00Z');
const isvc = resolveResourceName('isvc')!;

function canaryIsvc() {
  const o = loadManifest('isvc-iris-canary.yaml');
  o.metadata.creationTimestamp = '2025-01-01T11:49:00Z';
  o.status = {
    url: 'http://iris.demo.example.com',
    conditions: [
      { type: 'PredictorReady', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    components: {
      predictor: {
        traffic: [
          { tag: 'latest', latestRevision: true, percent: 10, revisionName: 'iris-predictor-00002', url: 'http://latest-iris-predictor.demo.example.com' },
          { tag: 'prev', latestRevision: false, percent: 90, revisionName: 'iris-predictor-00001', url: 'http://prev-iris-predictor.demo.example.com' },
        ],
      },
    },
  };
  return o;
}

test('isvc table has KServe columns and shows the prev/latest split', () => {
  const t = toTable(isvc, [canaryIsvc()], { now, resourceVersion: '42' });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.equal(t.metadata.resourceVersion, '42');
  assert.deepEqual(
    t.columnDefinitions.map((c) => c.name.toUpperCase()),
    ['NAME', 'URL', 'READY', 'PREV', 'LATEST', 'PREVROLLEDOUTREVISION', 'LATESTREADYREVISION', 'AGE'],
  );
  assert.equal(t.columnDefinitions[0]!.format, 'name');
  assert.deepEqual(t.rows[0]!.cells, ['iris', 'http://iris.demo.example.com', 'True', 90, 10, 'iris-predictor-00001', 'iris-predictor-00002', '11m']);
  assert.deepEqual(t.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: canaryIsvc().metadata });
});

test('isvc with one revision shows LATEST 100 and empty PREV cells', () => {
  const o = canaryIsvc();
  o.status.components.predictor.traffic = [{ latestRevision: true, percent: 100, revisionName: 'iris-predictor-00001' }];
  const t = toTable(isvc, [o], { now });
  assert.deepEqual(t.rows[0]!.cells.slice(3, 7), [null, 100, null, 'iris-predictor-00001']);
  const fresh = loadManifest('isvc-iris.yaml');
  const cells = toTable(isvc, [fresh], { now }).rows[0]!.cells;
  assert.deepEqual(cells, ['iris', null, null, null, null, null, null, null]);
});

test('Istio columns print lists as JSON, like kubectl shows them', () => {
  const vs = resolveResourceName('vs')!;
  const o = loadManifest('virtualservice.yaml');
  o.metadata.creationTimestamp = '2024-12-30T12:00:00Z';
  const t = toTable(vs, [o], { now });
  assert.deepEqual(t.rows[0]!.cells, ['iris-router', null, '["iris-router.demo.example.com"]', '2d']);
});

test('Pod and Event tables compute kubectl-style cells', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'iris-predictor-00001-0', namespace: 'demo', creationTimestamp: '2025-01-01T11:55:00Z' },
    spec: { containers: [{ name: 'kserve-container' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'kserve-container', ready: true, restartCount: 2 }] },
  };
  const t = toTable(resolveResourceName('po')!, [pod], { now });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP']);
  assert.deepEqual(t.rows[0]!.cells.slice(0, 5), ['iris-predictor-00001-0', '1/1', 'Running', 2, '5m']);

  const ev = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'iris.1', namespace: 'demo' },
    involvedObject: { kind: 'InferenceService', name: 'iris' },
    reason: 'Promoted',
    type: 'Normal',
    message: 'canary promoted',
    lastTimestamp: '2025-01-01T11:59:30Z',
  };
  const et = toTable(resolveResourceName('ev')!, [ev], { now });
  assert.deepEqual(et.columnDefinitions.map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message', 'Name']);
  assert.deepEqual(et.rows[0]!.cells, ['30s', 'Normal', 'Promoted', 'inferenceservice/iris', 'canary promoted', 'iris.1']);
});

test('humanDuration matches kubectl', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [0, '0s'], [119 * s, '119s'], [312 * s, '5m12s'], [300 * s, '5m'], [45 * 60 * s, '45m'],
    [3 * 3600 * s, '3h'], [3.5 * 3600 * s, '3h30m'], [30 * 3600 * s, '30h'], [50 * 3600 * s, '2d2h'], [48 * 3600 * s, '2d'],
    [20 * 86400 * s, '20d'], [800 * 86400 * s, '2y70d'], [-5 * s, '<invalid>'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('includeObject None omits row objects', () => {
  const t = toTable(isvc, [canaryIsvc()], { now, includeObject: 'None' });
  assert.equal(t.rows[0]!.object, undefined);
});
