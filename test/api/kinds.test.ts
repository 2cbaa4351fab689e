import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { causesOf, kindOf, loadManifest, validate } from './helpers.ts';
import { validateObject } from '../../src/api/validate.ts';

test('every example manifest validates', () => {
  const files = readdirSync(new URL('../../examples/manifests/', import.meta.url)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 8);
  for (const f of files) {
    const r = validate(loadManifest(f));
    assert.ok(r.ok, `${f}: ${JSON.stringify(!r.ok && r.causes)}`);
  }
});

test('InferenceService canary manifest passes with KServe defaults applied', () => {
  const r = validate(loadManifest('isvc-iris-canary.yaml'));
  assert.ok(r.ok);
  const p = r.value.spec.predictor;
  assert.equal(p.canaryTrafficPercent, 10);
  assert.equal(p.model.protocolVersion, undefined, 'no default, as in KServe: the selected runtime decides');
  assert.equal(p.minReplicas, 1);
  assert.equal(p.model.modelFormat.name, 'onnx');
  assert.equal(p.model.storageUri, 'pvc://models/iris-v2/');
});

test('canaryTrafficPercent outside 0..100 is rejected with its path', () => {
  for (const bad of [101, -1]) {
    const o = loadManifest('isvc-iris-canary.yaml');
    o.spec.predictor.canaryTrafficPercent = bad;
    const causes = causesOf(o);
    assert.equal(causes.length, 1);
    assert.equal(causes[0]!.field, 'spec.predictor.canaryTrafficPercent');
    assert.equal(causes[0]!.reason, 'FieldValueInvalid');
    assert.match(causes[0]!.message, new RegExp(`^Invalid value: ${bad}: must be between 0 and 100`));
  }
  const frac = loadManifest('isvc-iris-canary.yaml');
  frac.spec.predictor.canaryTrafficPercent = 10.5;
  assert.equal(causesOf(frac)[0]!.field, 'spec.predictor.canaryTrafficPercent');
});

test('unknown fields are rejected with kubectl strict wording, at any depth', () => {
  const o = loadManifest('isvc-iris.yaml');
  o.spec.foo = 1;
  o.spec.predictor.model.modelFormat.flavour = 'x';
  const causes = causesOf(o);
  assert.deepEqual(
    causes.map((c) => [c.field, c.reason, c.message]).sort(),
    [
      ['spec.foo', 'FieldValueUnknown', 'unknown field "spec.foo"'],
      ['spec.predictor.model.modelFormat.flavour', 'FieldValueUnknown', 'unknown field "spec.predictor.model.modelFormat.flavour"'],
    ],
  );
  const vs = loadManifest('virtualservice.yaml');
  vs.spec.http[1].route[0].wieght = 5;
  assert.deepEqual(causesOf(vs).map((c) => c.message), ['unknown field "spec.http[1].route[0].wieght"']);
});

test('status accepts fields the server adds, but spec does not', () => {
  const o = loadManifest('isvc-iris.yaml');
  o.status = { url: 'http://iris.demo.example.com', somethingNew: { a: 1 } };
  assert.ok(validate(o).ok);
});

test('missing required fields are FieldValueRequired', () => {
  const o = loadManifest('isvc-iris.yaml');
  delete o.spec.predictor.model.modelFormat.name;
  const causes = causesOf(o);
  assert.deepEqual(causes.map((c) => [c.field, c.reason]), [['spec.predictor.model.modelFormat.name', 'FieldValueRequired']]);
});

test('bad names are rejected with the RFC 1123 messages', () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Team_A' } };
  const c = causesOf(ns);
  assert.equal(c[0]!.field, 'metadata.name');
  assert.match(c[0]!.message, /^Invalid value: "Team_A": a lowercase RFC 1123 label must consist of/);

  const vs = loadManifest('virtualservice.yaml');
  vs.metadata.name = 'Router.';
  assert.match(causesOf(vs)[0]!.message, /a lowercase RFC 1123 subdomain/);
  vs.metadata.name = 'a'.repeat(254);
  assert.ok(causesOf(vs).some((x) => x.message.endsWith('must be no more than 253 characters')));

  const isvc = loadManifest('isvc-iris.yaml');
  isvc.metadata.name = '1iris';
  assert.match(causesOf(isvc)[0]!.message, /must start with alphabetical character/);
  isvc.metadata.name = 'iris';
  isvc.metadata.namespace = 'Demo';
  assert.equal(causesOf(isvc)[0]!.field, 'metadata.namespace');

  const noName = loadManifest('trafficplan.yaml');
  delete noName.metadata.name;
  assert.deepEqual(causesOf(noName).map((x) => [x.field, x.reason]), [['metadata.name', 'FieldValueRequired']]);
});

test('label keys and values follow Kubernetes rules', () => {
  const o = loadManifest('isvc-iris.yaml');
  o.metadata.labels = { 'team/a/b': 'x', ok: 'bad value!' };
  const causes = causesOf(o);
  assert.equal(causes.length, 2);
  assert.ok(causes.every((x) => x.field === 'metadata.labels'));
  assert.ok(validate({ ...loadManifest('isvc-iris.yaml'), metadata: { name: 'iris', labels: { 'app.kubernetes.io/name': 'iris', empty: '' } } }).ok);
});

test('deploymentMode annotation accepts the four KServe modes only', () => {
  for (const mode of ['Knative', 'Serverless', 'Standard', 'RawDeployment']) {
    const o = loadManifest('isvc-iris.yaml');
    o.metadata.annotations['serving.kserve.io/deploymentMode'] = mode;
    assert.ok(validate(o).ok, mode);
  }
  const o = loadManifest('isvc-iris.yaml');
  o.metadata.annotations['serving.kserve.io/deploymentMode'] = 'Raw';
  const c = causesOf(o);
  assert.equal(c[0]!.field, 'metadata.annotations[serving.kserve.io/deploymentMode]');
  assert.equal(c[0]!.reason, 'FieldValueNotSupported');
});

test('the keep-warm annotation takes a JSON map of revision to RFC 3339 time', () => {
  const o = loadManifest('isvc-iris.yaml');
  o.metadata.annotations['switchyard.dev/keep-warm-until'] = '{"iris-predictor-00002":"2026-12-07T10:00:00Z"}';
  assert.ok(validate(o).ok);
  for (const [bad, why] of [['{"iris-predictor-00002":"tomorrow"}', /revision "iris-predictor-00002": "tomorrow" is not an RFC 3339 time/], ['[1]', /JSON object/], ['not json', /JSON object/]] as const) {
    o.metadata.annotations['switchyard.dev/keep-warm-until'] = bad;
    const c = causesOf(o)[0]!;
    assert.equal(c.field, 'metadata.annotations[switchyard.dev/keep-warm-until]');
    assert.match(c.message, why);
  }
});

test('enums report the supported values', () => {
  const o = loadManifest('isvc-iris.yaml');
  o.spec.predictor.model.protocolVersion = 'v3';
  const c = causesOf(o)[0]!;
  assert.equal(c.field, 'spec.predictor.model.protocolVersion');
  assert.equal(c.message, 'Unsupported value: "v3": supported values: "v1", "v2", "grpc-v2"');
});

test('apiVersion and kind must match a served version', () => {
  const o = loadManifest('virtualservice.yaml');
  for (const v of ['networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']) assert.ok(validate({ ...o, apiVersion: v }).ok, v);
  const info = kindOf(o);
  const r = validateObject(info, { ...o, apiVersion: 'networking.istio.io/v2' });
  assert.ok(!r.ok && r.causes[0]!.field === 'apiVersion' && r.causes[0]!.reason === 'FieldValueNotSupported');
  const k = validateObject(info, { ...o, kind: 'ServiceEntry' });
  assert.ok(!k.ok && k.causes[0]!.field === 'kind');
});

test('VirtualService header match, weights and mirror keep Istio names', () => {
  const r = validate(loadManifest('virtualservice.yaml'));
  assert.ok(r.ok);
  const [beta, primary] = r.value.spec.http;
  assert.deepEqual(beta.match[0].headers['x-cohort'], { exact: 'beta' });
  assert.deepEqual(primary.route.map((d: any) => d.weight), [90, 10]);
  assert.equal(primary.mirror.host, 'iris-shadow-predictor.demo.svc.cluster.local');
  assert.equal(primary.mirrorPercentage.value, 20);
});

test('header rules must be valid HTTP: the field is named, nothing that could split a request gets in', () => {
  const o = loadManifest('virtualservice.yaml');
  o.spec.http[1].headers = { request: { set: { 'x-team': 'ml platform\t1' } }, response: { remove: ['x-upstream-secret'] } };
  assert.ok(validate(o).ok);
  o.spec.http[1].headers.request.set = { 'x-team': 'a\r\nx-injected: 1' };
  const [value] = causesOf(o);
  assert.equal(value!.field, 'spec.http[1].headers.request.set.x-team');
  assert.match(value!.message, /must be an HTTP header value/);
  o.spec.http[1].headers.request.set = { 'x team': 'a' };
  assert.deepEqual(causesOf(o)[0], { field: 'spec.http[1].headers.request.set[x team]', reason: 'FieldValueInvalid', message: `Invalid value: "x team": must be an HTTP header name: letters, digits and !#$%&'*+-.^_\`|~` });
  o.spec.http[1].headers.request = { add: { 'x-snowman': '\u2603' } };
  assert.equal(causesOf(o)[0]!.field, 'spec.http[1].headers.request.add.x-snowman');
  o.spec.http[1].headers.request = { remove: ['bad:name'] };
  assert.equal(causesOf(o)[0]!.field, 'spec.http[1].headers.request.remove[0]');
});

test('a string match sets exactly one of exact, prefix, regex', () => {
  const o = loadManifest('virtualservice.yaml');
  o.spec.http[0].match[0].headers['x-cohort'] = { exact: 'a', prefix: 'b' };
  assert.equal(causesOf(o)[0]!.field, 'spec.http[0].match[0].headers.x-cohort');
});

test('header and query matches accept {} (presence, as Istio); uri does not', () => {
  const o = loadManifest('virtualservice.yaml');
  o.spec.http[0].match[0].headers['x-cohort'] = {};
  o.spec.http[0].match[0].withoutHeaders = { 'x-bot': {} };
  o.spec.http[0].match[0].queryParams = { debug: {} };
  assert.ok(validate(o).ok);
  o.spec.http[0].match[0].uri = {};
  assert.equal(causesOf(o)[0]!.field, 'spec.http[0].match[0].uri');
});

test('Istio durations must be Go durations', () => {
  const o = loadManifest('virtualservice.yaml');
  o.spec.http[1].timeout = '10 seconds';
  assert.equal(causesOf(o)[0]!.field, 'spec.http[1].timeout');
});

test('ServiceEntry leaves resolution unset (absent means NONE), as a cluster stores it', () => {
  const o = loadManifest('serviceentry.yaml');
  delete o.spec.resolution;
  const r = validate(o);
  assert.ok(r.ok);
  assert.equal(r.value.spec.resolution, undefined);
});

test('Splitter weights must sum to 100', () => {
  const o = loadManifest('inferencegraph.yaml');
  o.spec.nodes['score-models'].steps[1].weight = 30;
  const c = causesOf(o);
  assert.equal(c.length, 1);
  assert.equal(c[0]!.field, 'spec.nodes.score-models.steps');
  assert.match(c[0]!.message, /Splitter weights must sum to 100, got 110/);
});

test('InferenceGraph steps reference existing nodes; dependency is left unset (absent means Soft)', () => {
  const r = validate(loadManifest('inferencegraph.yaml'));
  assert.ok(r.ok);
  // Defaults inside list items would make every client-side apply a "configured" no-op.
  assert.equal(r.value.spec.nodes.root.steps[0].dependency, undefined);
  const o = loadManifest('inferencegraph.yaml');
  o.spec.nodes.root.steps[1].nodeName = 'missing';
  assert.equal(causesOf(o)[0]!.field, 'spec.nodes.root.steps[1].nodeName');
});

test('ServingRuntime leaves multiModel and disabled unset (absent means false), as a cluster stores them', () => {
  const r = validate(loadManifest('servingruntime.yaml'));
  assert.ok(r.ok);
  assert.equal(r.value.spec.multiModel, undefined);
  assert.equal(r.value.spec.disabled, undefined);
});

test('PredictionLogPolicy: a body path with a filter, a rate above 1 and a bad retention are refused by field', () => {
  const o = loadManifest('predictionlogpolicy.yaml');
  o.spec.inputs.drop = ['$.instances[*].ssn', "$.instances[?(@.kind=='x')]"];
  o.spec.inputs.sampleRate = 1.5;
  o.spec.retention = '7d';
  const causes = causesOf(o);
  assert.deepEqual(causes.map((c) => c.field).sort(), ['spec.inputs.drop[1]', 'spec.inputs.sampleRate', 'spec.retention']);
  assert.match(causes.find((c) => c.field === 'spec.inputs.drop[1]')!.message, /filters are not supported in body paths/);
});

test('Secret: stringData is folded into data as base64 (winning over it); data must be base64', () => {
  const r = validate({
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3creds', namespace: 'ml' },
    data: { AWS_ACCESS_KEY_ID: Buffer.from('old').toString('base64'), region: Buffer.from('eu').toString('base64') },
    stringData: { AWS_ACCESS_KEY_ID: 'minio', AWS_SECRET_ACCESS_KEY: 'minio123' },
  });
  assert.ok(r.ok);
  assert.equal(r.value.type, 'Opaque');
  assert.equal(r.value.stringData, undefined, 'write-only');
  assert.deepEqual(Object.fromEntries(Object.entries(r.value.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])), {
    AWS_ACCESS_KEY_ID: 'minio', AWS_SECRET_ACCESS_KEY: 'minio123', region: 'eu',
  });
  const bad = causesOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'ml' }, data: { key: 'not base64!' } });
  assert.equal(bad[0]!.field, 'data.key');
  assert.match(bad[0]!.message, /base64/);
});

test('ServiceAccount lists Secrets by name', () => {
  const r = validate({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'ml' }, secrets: [{ name: 's3creds' }] });
  assert.ok(r.ok);
  assert.deepEqual(causesOf({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ml' }, secrets: [{}] })[0]!.field, 'secrets[0].name');
});

test('a cluster manifest\'s pod-spec fields are accepted (and ignored); workerSpec, storageUris and autoScaling are refused by name with the reason', () => {
  const o = loadManifest('isvc-iris.yaml');
  Object.assign(o.spec.predictor, {
    priorityClassName: 'inference-high', terminationGracePeriodSeconds: 60, securityContext: { runAsNonRoot: true },
    initContainers: [{ name: 'warm', image: 'busybox' }], topologySpreadConstraints: [{ maxSkew: 1 }], serviceAccount: 'models', overhead: { cpu: '250m' },
  });
  Object.assign(o.spec.predictor.model, { envFrom: [{ secretRef: { name: 'model-env' } }], lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } }, terminationMessagePolicy: 'FallbackToLogsOnError' });
  const accepted = validate(o);
  assert.ok(accepted.ok, JSON.stringify(!accepted.ok && accepted.causes));

  const multi = loadManifest('isvc-iris.yaml');
  Object.assign(multi.spec.predictor, { workerSpec: { pipelineParallelSize: 2 }, storageUris: [{ uri: 's3://a' }], autoScaling: { metrics: [] } });
  const causes = causesOf(multi);
  assert.deepEqual(causes.map((c) => [c.field, c.reason]).sort(), [
    ['spec.predictor.autoScaling', 'FieldValueNotSupported'], ['spec.predictor.storageUris', 'FieldValueNotSupported'], ['spec.predictor.workerSpec', 'FieldValueNotSupported'],
  ]);
  assert.match(causes.find((c) => c.field === 'spec.predictor.workerSpec')!.message, /multi-node workers are not supported by switchyard up/);
  assert.match(causes.find((c) => c.field === 'spec.predictor.autoScaling')!.message, /set scaleMetric/);
});

test('a VirtualService regex the gateway cannot run safely is refused at admission, naming the match', () => {
  const o = loadManifest('virtualservice.yaml');
  o.spec.http[0].match[0].uri = { regex: '/v1/models/(a+)+' };
  const [c] = causesOf(o);
  assert.equal(c!.field, 'spec.http[0].match[0].uri.regex');
  o.spec.http[0].match[0].headers['x-cohort'] = { regex: '[' };
  o.spec.http[0].match[0].uri = { prefix: '/v1/models/' };
  assert.match(causesOf(o)[0]!.message, /invalid regex/);
  assert.equal(causesOf(o)[0]!.field, 'spec.http[0].match[0].headers.x-cohort.regex');
});
