// What the gateway is told about an InferenceService: the component's
// `timeout` (Knative's revision timeoutSeconds) bounds how long the activator
// holds a request and how long a replica has to start answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingressServiceOf } from '../../../src/server/local/ingress.ts';
import type { KubeObject } from '../../../src/store/types.ts';

const isvc = (predictor: Record<string, unknown>): KubeObject => ({
  apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'ml' },
  spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris/' }, ...predictor } },
  status: { components: { predictor: { traffic: [{ revisionName: 'iris-predictor-00001', percent: 100, latestRevision: true }] } } },
} as unknown as KubeObject);

test("the predictor's timeout bounds the answer (ms); without one the gateway's default applies", () => {
  const timed = ingressServiceOf(isvc({ timeout: 30 }));
  assert.equal(timed.requestTimeoutMs, 30_000);
  assert.equal(timed.activatorTimeoutMs, 30_000);
  assert.equal(ingressServiceOf(isvc({})).requestTimeoutMs, undefined);
});
