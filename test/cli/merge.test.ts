import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyMergePatch, threeWayMergePatch, type JsonMap } from '../../src/cli/merge.ts';

const live: JsonMap = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'iris', namespace: 'default', uid: 'u1', resourceVersion: '7', labels: { team: 'a', tier: 'gold' } },
  spec: { predictor: { minReplicas: 1, model: { modelFormat: { name: 'sklearn' }, storageUri: 'pvc://m/v1' } } },
  status: { url: 'http://iris.default.example.com' },
};
const lastApplied: JsonMap = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'iris', labels: { team: 'a', tier: 'gold' } },
  spec: { predictor: { minReplicas: 1, model: { modelFormat: { name: 'sklearn' }, storageUri: 'pvc://m/v1' } } },
};

test('identical config gives an empty patch (unchanged)', () => {
  assert.deepEqual(threeWayMergePatch(lastApplied, structuredClone(lastApplied), live), {});
});

test('changed and added fields are set, nested maps patched key by key', () => {
  const next = structuredClone(lastApplied) as any;
  next.spec.predictor.model.storageUri = 'pvc://m/v2';
  next.spec.predictor.maxReplicas = 3;
  assert.deepEqual(threeWayMergePatch(lastApplied, next, live), {
    spec: { predictor: { maxReplicas: 3, model: { storageUri: 'pvc://m/v2' } } },
  });
});

test('fields removed from the config since the last apply are deleted with null; fields never applied are kept', () => {
  const next = structuredClone(lastApplied) as any;
  delete next.metadata.labels.tier;
  delete next.spec.predictor.minReplicas;
  const patch = threeWayMergePatch(lastApplied, next, live);
  assert.deepEqual(patch, { metadata: { labels: { tier: null } }, spec: { predictor: { minReplicas: null } } });
  // status, uid and resourceVersion were never in the config: untouched
  const merged = applyMergePatch(live, patch) as any;
  assert.equal(merged.status.url, 'http://iris.default.example.com');
  assert.equal(merged.metadata.uid, 'u1');
  assert.deepEqual(merged.metadata.labels, { team: 'a' });
  assert.equal(merged.spec.predictor.minReplicas, undefined);
});

test('a whole removed map is deleted with one null', () => {
  const next = structuredClone(lastApplied) as any;
  delete next.metadata.labels;
  assert.deepEqual(threeWayMergePatch(lastApplied, next, live), { metadata: { labels: null } });
});

test('a field changed live by someone else is restored to the config', () => {
  const drifted = structuredClone(live) as any;
  drifted.spec.predictor.minReplicas = 5;
  assert.deepEqual(threeWayMergePatch(lastApplied, lastApplied, drifted), { spec: { predictor: { minReplicas: 1 } } });
});

test('lists are replaced whole, never merged element by element', () => {
  const withList = (hosts: string[]) => ({ ...lastApplied, spec: { hosts, http: [{ route: [{ weight: 90 }, { weight: 10 }] }] } }) as JsonMap;
  const before = withList(['a', 'b']);
  const liveVs = { ...live, spec: (before as any).spec } as JsonMap;
  const next = withList(['a']);
  (next.spec as any).http = [{ route: [{ weight: 50 }, { weight: 50 }] }];
  assert.deepEqual(threeWayMergePatch(before, next, liveVs), {
    spec: { hosts: ['a'], http: [{ route: [{ weight: 50 }, { weight: 50 }] }] },
  });
});

test('without a last-applied annotation nothing is deleted', () => {
  const next = { metadata: { name: 'iris' }, spec: { predictor: { minReplicas: 2 } } } as JsonMap;
  assert.deepEqual(threeWayMergePatch(undefined, next, live), { spec: { predictor: { minReplicas: 2 } } });
});

test('a map replacing a scalar is sent whole', () => {
  const current = { spec: { logger: 'off' } } as JsonMap;
  assert.deepEqual(threeWayMergePatch({ spec: { logger: 'off' } }, { spec: { logger: { mode: 'all' } } }, current), { spec: { logger: { mode: 'all' } } });
});
