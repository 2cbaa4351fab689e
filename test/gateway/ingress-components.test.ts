// Routing with a transformer and an explainer: the top-level host reaches the
// transformer, :explain the explainer, component hosts and tags their own
// revisions, and /predictor/NS/NAME/ the predictor with the prefix removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIngress, routeIngress, type IngressService } from '../../src/gateway/ingress.ts';

const svc: IngressService = {
  namespace: 'ml', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000,
  traffic: [{ revisionName: 'iris-predictor-00001', percent: 100, latestRevision: true }],
  transformer: [{ revisionName: 'iris-transformer-00002', percent: 100, latestRevision: true, tag: 'latest' }],
  explainer: [{ revisionName: 'iris-explainer-00001', percent: 100, latestRevision: true }],
};
const table = compileIngress([svc], 'example.com', 1);
const rng = () => 0.5;

function revisionFor(host: string, path: string): string | undefined {
  const r = routeIngress(table, host, path, rng);
  return r.kind === 'route' ? r.route.revision : undefined;
}

test('the InferenceService host goes to the transformer, :explain to the explainer', () => {
  assert.equal(revisionFor('iris.ml.example.com', '/v1/models/iris:predict'), 'iris-transformer-00002');
  assert.equal(revisionFor('iris.ml.example.com', '/v1/models/iris:explain'), 'iris-explainer-00001');
  assert.equal(revisionFor('localhost:8080', '/v1/models/iris:predict'), 'iris-transformer-00002');
});

test('component hosts and tag hosts reach their own component', () => {
  assert.equal(revisionFor('iris-predictor.ml.example.com', '/v1/models/iris:predict'), 'iris-predictor-00001');
  assert.equal(revisionFor('iris-transformer-default.ml.example.com', '/v1/models/iris:predict'), 'iris-transformer-00002');
  assert.equal(revisionFor('iris-explainer.ml.example.com', '/v1/models/iris:explain'), 'iris-explainer-00001');
  assert.equal(revisionFor('latest-iris-transformer.ml.example.com', '/'), 'iris-transformer-00002');
});

test('/predictor/NS/NAME/ reaches the predictor whatever the host, with the prefix removed', () => {
  const r = routeIngress(table, '127.0.0.1:8080', '/predictor/ml/iris/v1/models/iris:predict', rng);
  assert.equal(r.kind, 'route');
  if (r.kind !== 'route') return;
  assert.equal(r.route.revision, 'iris-predictor-00001');
  assert.equal(r.route.path, '/v1/models/iris:predict');
  const missing = routeIngress(table, '127.0.0.1:8080', '/predictor/ml/nope/v1/models/nope:predict', rng);
  assert.equal(missing.kind, 'notFound');
});
