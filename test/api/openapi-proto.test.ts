// The protobuf /openapi/v2 must decode (with the gnostic schema) into the same
// definitions kubectl 1.27 reads for `explain` and client-side validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { OPENAPI_V2_PROTOBUF, openApiV2DocumentType, openApiV2Protobuf, wantsOpenApiV2Protobuf } from '../../src/api/openapi-proto.ts';
import { openApiV2Document } from '../../src/api/openapi.ts';

type Named<T> = { name: string; value: T };
type Any = { yaml?: string };
type Schema = {
  _ref?: string;
  description?: string;
  type?: { value: string[] };
  required?: string[];
  properties?: { additional_properties?: Named<Schema>[] };
  items?: { schema?: Schema[] };
  enum?: Any[];
  additional_properties?: { schema?: Schema; boolean?: boolean };
  vendor_extension?: Named<Any>[];
};
type Doc = { swagger: string; definitions: { additional_properties: Named<Schema>[] }; paths: { path: Named<unknown>[] } };

const ISVC = 'io.kserve.serving.v1beta1.InferenceService';

function decoded(): Doc {
  const type = openApiV2DocumentType();
  return type.toObject(type.decode(openApiV2Protobuf()), { defaults: false }) as Doc;
}

function definition(doc: Doc, name: string): Schema {
  const found = doc.definitions.additional_properties.find((d) => d.name === name);
  assert.ok(found, `definition ${name} present`);
  return found.value;
}

function prop(s: Schema, name: string): Schema {
  const found = s.properties?.additional_properties?.find((p) => p.name === name);
  assert.ok(found, `property ${name} present`);
  return found.value;
}

function resolve(doc: Doc, s: Schema): Schema {
  return s._ref ? definition(doc, s._ref.replace('#/definitions/', '')) : s;
}

test('InferenceService carries its group-version-kind as a YAML vendor extension', () => {
  const isvc = definition(decoded(), ISVC);
  const gvk = isvc.vendor_extension?.find((e) => e.name === 'x-kubernetes-group-version-kind');
  assert.ok(gvk?.value.yaml, 'gvk extension present with YAML text');
  assert.deepEqual(parse(gvk.value.yaml), [{ group: 'serving.kserve.io', version: 'v1beta1', kind: 'InferenceService' }]);
  assert.deepEqual(isvc.type?.value, ['object']);
});

test('spec.predictor.canaryTrafficPercent is reachable with its integer type', () => {
  const doc = decoded();
  const isvc = definition(doc, ISVC);
  const predictor = resolve(doc, prop(resolve(doc, prop(isvc, 'spec')), 'predictor'));
  const canary = resolve(doc, prop(predictor, 'canaryTrafficPercent'));
  assert.deepEqual(canary.type?.value, ['integer']);
});

test('metadata is a plain reference to ObjectMeta, as kubectl expects in v2', () => {
  const doc = decoded();
  const metadata = prop(definition(doc, ISVC), 'metadata');
  assert.equal(metadata._ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.ok(definition(doc, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties);
});

test('every JSON definition and path survives the encoding', () => {
  const json = openApiV2Document() as { definitions: Record<string, unknown>; paths: Record<string, unknown> };
  const doc = decoded();
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(doc.definitions.additional_properties.map((d) => d.name).sort(), Object.keys(json.definitions).sort());
  assert.deepEqual(doc.paths.path.map((p) => p.name).sort(), Object.keys(json.paths).sort());
});

test('enums round-trip as YAML values', () => {
  const doc = decoded();
  const found: Schema[] = [];
  const walk = (s: Schema): void => {
    if (s.enum) found.push(s);
    s.properties?.additional_properties?.forEach((p) => walk(p.value));
    s.items?.schema?.forEach(walk);
    if (s.additional_properties?.schema) walk(s.additional_properties.schema);
  };
  doc.definitions.additional_properties.forEach((d) => walk(d.value));
  const json = JSON.stringify(openApiV2Document());
  assert.ok(found.length > 0, 'some schema has an enum');
  for (const s of found) for (const e of s.enum ?? []) assert.ok(json.includes(JSON.stringify(parse(e.yaml ?? ''))), `enum value ${e.yaml} came from the JSON document`);
});

test('the encoded buffer is built once', () => {
  assert.equal(openApiV2Protobuf(), openApiV2Protobuf());
});

test('content negotiation: kubectl 1.27 gets protobuf, JSON and wildcard clients get JSON', () => {
  assert.equal(wantsOpenApiV2Protobuf('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), true);
  assert.equal(wantsOpenApiV2Protobuf(OPENAPI_V2_PROTOBUF), true);
  assert.equal(wantsOpenApiV2Protobuf('application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), false);
  assert.equal(wantsOpenApiV2Protobuf('application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), true);
  assert.equal(wantsOpenApiV2Protobuf('*/*'), false);
  assert.equal(wantsOpenApiV2Protobuf(undefined), false);
  // Go's mime parser (kubectl) rejects '@' in a response Content-Type.
  assert.ok(!OPENAPI_V2_PROTOBUF.includes('@'));
});
