// The built-in Python runtimes picked and filled in as KServe does: protocol
// v1 picks KServe's own servers, v2 prefers MLServer (priority 2); a runtime
// named without a protocol takes MLServer's v2 or the runtime's lowest; the
// MLServer model settings and a custom predictor's KServe arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile, type RevisionTemplate, type RuntimeCandidate } from '../../src/controllers/isvc/index.ts';
import { servingRuntimeSpec } from '../../src/api/kinds/servingruntime.ts';
import { builtinRuntimes } from '../../src/server/local/index.ts';
import type { KubeObject } from '../../src/store/types.ts';

const RUNTIMES: RuntimeCandidate[] = builtinRuntimes('/opt/sy-runtimes').map((o) => ({
  kind: 'ClusterServingRuntime', name: o.metadata.name, spec: servingRuntimeSpec.parse(o.spec), ...(o.metadata.annotations ? { annotations: o.metadata.annotations } : {}),
}));

const idle = { observe: () => undefined, running: () => [] };

function template(model: Record<string, unknown>, metadata: Record<string, unknown> = {}): RevisionTemplate | string {
  const isvc: KubeObject = {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: { name: 'churn', namespace: 'ml', generation: 1, ...metadata },
    spec: { predictor: { model } },
  };
  const out = reconcile({ isvc, runtimes: RUNTIMES, deployer: idle, now: new Date('2026-03-01T10:00:00Z') });
  const failed = (out.status.conditions as { type: string; status: string; message?: string }[]).find((c) => c.type === 'PredictorReady' && c.status === 'False');
  return out.ensure[0]?.template ?? failed?.message ?? 'nothing';
}

const pick = (model: Record<string, unknown>) => {
  const t = template(model);
  return typeof t === 'string' ? t : `${t.runtime.name} ${t.protocolVersion}`;
};

test('protocol v1 (the default) picks KServe\'s own server per format; v2 prefers MLServer, as KServe ranks them', () => {
  assert.equal(pick({ modelFormat: { name: 'sklearn' }, storageUri: 's3://m/sk/' }), 'kserve-sklearnserver v1');
  assert.equal(pick({ modelFormat: { name: 'xgboost' }, storageUri: 's3://m/xgb/' }), 'kserve-xgbserver v1');
  assert.equal(pick({ modelFormat: { name: 'lightgbm' }, storageUri: 's3://m/lgb/' }), 'kserve-lgbserver v1');
  for (const name of ['sklearn', 'xgboost', 'lightgbm']) assert.equal(pick({ modelFormat: { name }, protocolVersion: 'v2', storageUri: 's3://m/x/' }), 'kserve-mlserver v2');
  assert.equal(pick({ modelFormat: { name: 'onnx' }, storageUri: 'pvc://m/x/' }), 'switchyard-onnx v1');
  assert.equal(pick({ modelFormat: { name: 'custom' }, args: ['model.py'] }), 'switchyard-python v1');
  assert.match(pick({ modelFormat: { name: 'sklearn', version: '0' }, storageUri: 's3://m/x/' }), /No ServingRuntime supports the model format "sklearn\/0" with protocol v1/, 'sklearn "0" only on MLServer, which speaks v2');
});

test('a runtime named without a protocol: MLServer defaults to v2, others to their lowest protocol', () => {
  assert.equal(pick({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-mlserver', storageUri: 's3://m/x/' }), 'kserve-mlserver v2');
  assert.equal(pick({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-sklearnserver', storageUri: 's3://m/x/' }), 'kserve-sklearnserver v1');
  assert.match(pick({ modelFormat: { name: 'sklearn' }, runtime: 'kserve-mlserver', protocolVersion: 'v1', storageUri: 's3://m/x/' }), /does not support protocol version "v1"/);
});

test('MLServer gets the model settings from the InferenceService: name, URI and the implementation class of the format', () => {
  const t = template({ modelFormat: { name: 'xgboost' }, protocolVersion: 'v2', storageUri: 's3://m/xgb/' }) as RevisionTemplate;
  assert.equal(t.env.MLSERVER_MODEL_NAME, 'churn');
  assert.equal(t.env.MLSERVER_MODEL_URI, '{{.ModelDir}}');
  assert.equal(t.env.MLSERVER_MODEL_IMPLEMENTATION, 'mlserver_xgboost.XGBoostModel');
  assert.equal(t.env.MLSERVER_HTTP_PORT, '{{.Port}}');
  assert.match(t.command[0]!, /^\/opt\/sy-runtimes\/mlserver-[0-9a-f]{12}\/bin\/mlserver$/, 'the environment is named by its requirements hash');
  assert.deepEqual(t.command.slice(1), ['start', '{{.ModelDir}}']);
  assert.equal(t.readinessPath, '/v2/health/ready');
  const own = template({ modelFormat: { name: 'lightgbm' }, protocolVersion: 'v2', storageUri: 's3://m/lgb/', env: [{ name: 'MLSERVER_MODEL_NAME', value: 'other' }] }) as RevisionTemplate;
  assert.equal(own.env.MLSERVER_MODEL_NAME, 'other', "the InferenceService's own env wins");
  assert.equal(own.env.MLSERVER_MODEL_IMPLEMENTATION, 'mlserver_lightgbm.LightGBMModel');
});

test("KServe's servers get KServe's arguments; a custom predictor gets them appended to its script unless it set them", () => {
  const sk = template({ modelFormat: { name: 'sklearn' }, storageUri: 's3://m/sk/' }) as RevisionTemplate;
  assert.deepEqual(sk.command.slice(1), [sk.command[1]!, '--model_name=churn', '--model_dir={{.ModelDir}}', '--http_port={{.Port}}', '--enable_grpc=false']);
  assert.match(sk.command[1]!, /python\/kserve_servers\/sklearnserver\.py$/);
  assert.equal(sk.readinessPath, '/v1/models/churn');
  const custom = template({ modelFormat: { name: 'custom' }, args: ['predictor.py', '--model_dir', '{{.ModelDir}}'], storageUri: 's3://m/sk/' }) as RevisionTemplate;
  assert.deepEqual(custom.command.slice(1), ['predictor.py', '--model_dir', '{{.ModelDir}}', '--model_name', 'churn', '--http_port', '{{.Port}}', '--enable_grpc', 'false']);
  const named = template({ modelFormat: { name: 'custom' }, args: ['-m', 'pkg.model', '--model_name=species', '--enable_grpc', 'true', '--grpc_port', '9100'] }) as RevisionTemplate;
  assert.deepEqual(named.command.slice(1), ['-m', 'pkg.model', '--model_name=species', '--enable_grpc', 'true', '--grpc_port', '9100', '--http_port', '{{.Port}}']);
});

test('storage credentials: the storageSecretName annotation and the service account go with the revision', () => {
  const t = template({ modelFormat: { name: 'sklearn' }, storageUri: 's3://m/sk/' }, { annotations: { 'serving.kserve.io/storageSecretName': 's3creds' } }) as RevisionTemplate;
  assert.equal(t.storageSecretName, 's3creds');
  assert.equal(t.serviceAccountName, undefined);
});
