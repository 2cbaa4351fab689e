// Bad input at the API: each gets a clear Status naming the cause, the right
// code, and nothing is written (the audit log does not grow).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../../src/server/apiserver/index.ts';
import type { Store } from '../../src/store/types.ts';
import { startApiFixture, type ApiFixture } from './api-fixture.ts';

let f: ApiFixture;
let store: Store;
let api: ApiServer;
let admin: string;
let viewer: string;
before(async () => {
  f = await startApiFixture(['viewer']);
  ({ api, store } = f);
  admin = f.tokens.admin;
  viewer = f.tokens.viewer!;
});

after(() => f.close());

async function call(method: string, path: string, body?: unknown, opts: { type?: string; token?: string | null; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.type ?? 'application/json' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? admin}`;
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined || opts.raw !== undefined ? { body: opts.raw ?? JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as { kind?: string; reason?: string; message?: string; errorCode?: string; details?: { causes?: { field: string; reason: string }[] } } };
}

const SE = '/apis/networking.istio.io/v1/namespaces/ml/serviceentries';
const se = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'ml' }, spec: { hosts: [`${name}.external`] }, ...extra });

async function auditCount(): Promise<number> {
  return (await store.verifyAudit()).records;
}

test('each bad input is refused with its cause, its code, and no write', async () => {
  const before = await auditCount();
  const cases: [string, Promise<Awaited<ReturnType<typeof call>>>, number, RegExp, string][] = [
    ['malformed JSON', call('POST', SE, undefined, { raw: '{"apiVersion": ' }), 400, /invalid JSON/, 'SY_ERR_MALFORMED_BODY'],
    ['malformed YAML', call('POST', SE, undefined, { raw: 'a: [1, 2\n', type: 'application/yaml' }), 400, /invalid YAML/, 'SY_ERR_MALFORMED_BODY'],
    ['YAML alias bomb', call('POST', SE, undefined, { type: 'application/yaml', raw: ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') }), 400, /invalid YAML/, 'SY_ERR_MALFORMED_BODY'],
    ['__proto__ key', call('POST', SE, undefined, { raw: '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"p","__proto__":{"admin":true}},"spec":{"hosts":["x"]}}' }), 400, /forbidden key "__proto__" at metadata.__proto__/, 'SY_ERR_MALFORMED_BODY'],
    ['constructor key', call('POST', SE, undefined, { raw: '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"p"},"spec":{"hosts":["x"],"constructor":{}}}' }), 400, /forbidden key "constructor"/, 'SY_ERR_MALFORMED_BODY'],
    ['body over the limit', call('POST', SE, se('big', { metadata: { name: 'big', namespace: 'ml', annotations: { pad: 'x'.repeat(70 * 1024) } } })), 413, /exceeds the limit/, 'SY_ERR_BODY_TOO_LARGE'],
    ['unknown kind', call('POST', '/apis/networking.istio.io/v1/namespaces/ml/gateways', se('g')), 404, /gateways in networking.istio.io\/v1 is not served/, 'SY_ERR_UNKNOWN_KIND'],
    ['unknown version', call('GET', '/apis/serving.kserve.io/v9/inferenceservices'), 404, /version "v9" of the API group "serving.kserve.io"/, 'SY_ERR_UNKNOWN_KIND'],
    ['namespace mismatch', call('POST', SE, { ...se('m'), metadata: { name: 'm', namespace: 'other' } }), 400, /namespace of the provided object \(other\) does not match the namespace sent on the request \(ml\)/, 'SY_ERR_NAMESPACE_MISMATCH'],
    ['invalid name', call('POST', SE, se('Bad_Name')), 422, /metadata.name/, 'SY_ERR_INVALID_NAME'],
    ['unknown field', call('POST', SE, se('u', { spec: { hosts: ['u'], bogus: 1 } })), 400, /ServiceEntry in version "v1" cannot be handled as a ServiceEntry: strict decoding error: unknown field "spec.bogus"/, 'SY_ERR_BAD_REQUEST'],
    ['missing namespace', call('POST', '/apis/networking.istio.io/v1/namespaces/nowhere/serviceentries', { ...se('n'), metadata: { name: 'n' } }), 404, /namespaces "nowhere" not found/, 'SY_ERR_NAMESPACE_NOT_FOUND'],
    ['unsupported patch type', call('PATCH', `${SE}/x`, {}, { type: 'application/apply-patch+yaml' }), 415, /accepted media types/, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['strategic merge patch of a custom resource', call('PATCH', `${SE}/x`, {}, { type: 'application/strategic-merge-patch+json' }), 415, /accepted media types include: application\/merge-patch\+json, application\/json-patch\+json$/, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['no token', call('GET', SE, undefined, { token: null }), 401, /bearer token/, 'SY_ERR_UNAUTHORIZED'],
    ['wrong role', call('POST', SE, se('v'), { token: viewer }), 403, /viewer "viewer" cannot create/, 'SY_ERR_FORBIDDEN'],
  ];
  for (const [what, pending, status, message, code] of cases) {
    const r = await pending;
    assert.equal(r.status, status, `${what}: status`);
    assert.equal(r.body.kind, 'Status', `${what}: a Status object`);
    assert.match(r.body.message ?? '', message, `${what}: message`);
    assert.equal(r.body.errorCode, code, `${what}: code`);
  }
  assert.equal(await auditCount(), before, 'nothing was written');
  assert.equal((await store.list({ group: 'networking.istio.io', resource: 'serviceentries' })).items.length, 0);
});

test('field causes name the path and the Kubernetes cause type', async () => {
  const r = await call('POST', SE, se('u', { spec: { hosts: ['u'], bogus: 1 } }));
  assert.deepEqual(r.body.details?.causes?.map((c) => [c.field, c.reason]), [['spec.bogus', 'FieldValueUnknown']]);
});

test('a stale resourceVersion is a 409 Conflict and leaves the object as it was', async () => {
  const created = await call('POST', SE, se('stale'));
  assert.equal(created.status, 201);
  const obj = (await call('GET', `${SE}/stale`)).body as unknown as { metadata: { resourceVersion: string; labels?: Record<string, string> } };
  assert.equal((await call('PATCH', `${SE}/stale`, { metadata: { labels: { a: 'b' } } }, { type: 'application/merge-patch+json' })).status, 200);
  const stale = await call('PUT', `${SE}/stale`, { ...se('stale'), metadata: { name: 'stale', namespace: 'ml', resourceVersion: obj.metadata.resourceVersion, labels: { c: 'd' } } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  const now = (await call('GET', `${SE}/stale`)).body as unknown as { metadata: { labels?: Record<string, string> } };
  assert.deepEqual(now.metadata.labels, { a: 'b' });
});

test('a TrafficPlan with blocking lint findings is refused; an audited override lets it in', async () => {
  const TP = '/apis/switchyard.dev/v1alpha1/namespaces/ml/trafficplans';
  const plan = (annotations?: Record<string, string>) => ({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan',
    metadata: { name: 'health-only', namespace: 'ml', ...(annotations ? { annotations } : {}) },
    spec: {
      target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v2/' }, owner: { team: 'risk' },
      phases: [{ canary: { steps: [10, 100], hold: { minRequests: 1000, passingWindows: 2 } } }],
      gates: [{ metric: 'errorRate', max: 0.01 }], maxDuration: '24h', rollback: { onGateFailure: true, keepWarm: '24h' },
    },
  });
  const refused = await call('POST', TP, plan());
  assert.equal(refused.status, 422);
  assert.equal(refused.body.errorCode, 'SY_ERR_INVALID');
  assert.match(refused.body.message ?? '', /lint health-only-gates/);
  assert.equal(refused.body.details?.causes?.[0]?.field, 'spec.gates');

  const accepted = await call('POST', TP, plan({ 'switchyard.dev/lint-override': 'health-only-gates' }));
  assert.equal(accepted.status, 201);
  const audit = await store.listAudit({ limit: 1000 });
  const override = audit.find((r) => r.verb === 'lint-override');
  assert.ok(override, 'the override is in the audit log');
  assert.equal(override.resource, 'switchyard.dev/trafficplans/ml/health-only');
  assert.deepEqual(override.evidence, { overridden: ['health-only-gates'] });
  assert.equal(override.actor, 'admin:admin');
});

test('a Prometheus gate with no Prometheus to ask is refused naming its address; with an address, or SWITCHYARD_PROMETHEUS_URL, it is admitted', async () => {
  const TP = '/apis/switchyard.dev/v1alpha1/namespaces/ml/trafficplans';
  const plan = (name: string, prometheus: Record<string, string>) => ({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan',
    metadata: { name, namespace: 'ml' },
    spec: {
      target: { inferenceService: 'iris' }, candidate: { storageUri: 'pvc://models/iris-v2/' }, owner: { team: 'risk' },
      phases: [{ canary: { steps: [10, 100], hold: { minRequests: 1000, passingWindows: 2 } } }],
      gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }, { name: 'prom5xx', metric: 'errorRate5xx', max: 0.01, provider: { prometheus } }],
      maxDuration: '24h', rollback: { onGateFailure: true, keepWarm: '24h' },
    },
  });
  const saved = process.env.SWITCHYARD_PROMETHEUS_URL;
  delete process.env.SWITCHYARD_PROMETHEUS_URL;
  try {
    const before = await auditCount();
    const refused = await call('POST', TP, plan('prom-nowhere', { query: 'vector(0)' }));
    assert.equal(refused.status, 422);
    assert.equal(refused.body.errorCode, 'SY_ERR_INVALID');
    assert.deepEqual(refused.body.details?.causes?.map((c) => [c.field, c.reason]), [['spec.gates[2].provider.prometheus.address', 'FieldValueRequired']]);
    assert.match(refused.body.message ?? '', /could never be evaluated: there is no Prometheus to ask; set the address, or start switchyard up with SWITCHYARD_PROMETHEUS_URL/);
    assert.equal(await auditCount(), before, 'nothing written');
    assert.equal((await call('POST', TP, plan('prom-addressed', { query: 'vector(0)', address: 'http://127.0.0.1:9090' }))).status, 201);
    process.env.SWITCHYARD_PROMETHEUS_URL = 'http://127.0.0.1:9090';
    assert.equal((await call('POST', TP, plan('prom-env', { query: 'vector(0)' }))).status, 201);
  } finally {
    if (saved === undefined) delete process.env.SWITCHYARD_PROMETHEUS_URL;
    else process.env.SWITCHYARD_PROMETHEUS_URL = saved;
  }
});

test('a storageUri whose scheme neither Switchyard nor KServe knows is refused at apply, naming the field and the schemes', async () => {
  const IS = '/apis/serving.kserve.io/v1beta1/namespaces/ml/inferenceservices';
  const TP = '/apis/switchyard.dev/v1alpha1/namespaces/ml/trafficplans';
  const isvc = (name: string, predictor: Record<string, unknown>) => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: 'ml' }, spec: { predictor } });
  const plan = (name: string, uri: string) => ({
    apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name, namespace: 'ml' },
    spec: {
      target: { inferenceService: 'iris' }, candidate: { storageUri: uri }, owner: { team: 'risk' },
      phases: [{ canary: { steps: [10, 100], hold: { minRequests: 1000, passingWindows: 2 } } }],
      gates: [{ metric: 'errorRate', max: 0.01 }, { metric: 'outputPSI', max: 0.2 }], maxDuration: '24h', rollback: { onGateFailure: true, keepWarm: '24h' },
    },
  });
  const before = await auditCount();
  const cases: [string, Promise<Awaited<ReturnType<typeof call>>>, string, RegExp][] = [
    ['model', call('POST', IS, isvc('typo', { model: { modelFormat: { name: 'onnx' }, storageUri: 's4://models/iris' } })), 'spec.predictor.model.storageUri', /"s4:\/\/models\/iris": scheme s4:\/\/ is not a storage scheme/],
    ['framework shorthand', call('POST', IS, isvc('ftp', { sklearn: { storageUri: 'FTP://alice:hunter2@example.com/m.joblib' } })), 'spec.predictor.sklearn.storageUri', /"FTP:\/\/\*\*\*@example.com\/m.joblib": scheme ftp:\/\//],
    ['plan candidate', call('POST', TP, plan('typo', 's4://models/iris-v2/')), 'spec.candidate.storageUri', /scheme s4:\/\//],
  ];
  for (const [what, pending, field, message] of cases) {
    const r = await pending;
    assert.equal(r.status, 422, `${what}: status`);
    assert.equal(r.body.reason, 'Invalid', what);
    assert.deepEqual(r.body.details?.causes?.map((c) => [c.field, c.reason]), [[field, 'FieldValueNotSupported']], what);
    assert.match(r.body.message ?? '', message, what);
    assert.match(r.body.message ?? '', /supported schemes: file:\/\/, pvc:\/\/, http:\/\/, https:\/\/, s3:\/\/, gs:\/\/ \(and on a KServe cluster hdfs:\/\/, webhdfs:\/\/, oci:\/\/, hf:\/\/\)/, what);
    assert.doesNotMatch(r.body.message ?? '', /hunter2/, `${what}: no password echoed`);
  }
  assert.equal(await auditCount(), before, 'nothing written');

  // A scheme only KServe fetches is valid (a cluster serves it); switchyard up says on the
  // InferenceService that it does not (docs/storage.md). So is a local path, as in KServe.
  for (const [name, uri] of [['hdfs', 'hdfs://nn:8020/models/iris'], ['hf', 'hf://org/iris'], ['local', '/mnt/models/iris']] as const) {
    const r = await call('POST', IS, isvc(name, { model: { modelFormat: { name: 'onnx' }, storageUri: uri } }));
    assert.equal(r.status, 201, `${uri}: ${r.body.message}`);
  }
  const oci = await call('POST', TP, plan('oci', 'oci://registry.example/iris:v2'));
  assert.equal(oci.status, 201, oci.body.message);
});
