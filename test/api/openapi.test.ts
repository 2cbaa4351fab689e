import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../src/api/registry.ts';
import { openApiV2Document, openApiV3ForPath, openApiV3Index, schemaName, OBJECT_META } from '../../src/api/openapi.ts';

type Json = Record<string, any>;

test('the v3 index lists every served group-version with a hashed URL', () => {
  const idx = openApiV3Index();
  for (const k of KINDS) {
    for (const v of k.versions) {
      const key = k.group === '' ? `api/${v}` : `apis/${k.group}/${v}`;
      assert.match(idx.paths[key]?.serverRelativeURL ?? '', new RegExp(`^/openapi/v3/${key.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
    }
  }
});

test('every kind/version has a schema with its GVK extension and an ObjectMeta ref', () => {
  for (const k of KINDS) {
    for (const v of k.versions) {
      const doc = openApiV3ForPath(k.group === '' ? `api/${v}` : `apis/${k.group}/${v}`) as Json;
      const s = doc.components.schemas[schemaName(k, v)];
      assert.ok(s, `${k.kind} ${v}`);
      assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: k.group, kind: k.kind, version: v }]);
      assert.deepEqual(s.properties.metadata.allOf, [{ $ref: `#/components/schemas/${OBJECT_META}` }]);
      assert.ok(doc.components.schemas[OBJECT_META].properties.name);
    }
  }
  const doc = openApiV3ForPath('/openapi/v3/apis/serving.kserve.io/v1beta1?hash=x') as Json;
  assert.ok(doc.components.schemas['io.kserve.serving.v1beta1.InferenceService']);
  assert.ok((openApiV3ForPath('api/v1') as Json).components.schemas['io.k8s.api.core.v1.Namespace']);
  assert.ok((openApiV3ForPath('apis/networking.istio.io/v1alpha3') as Json).components.schemas['io.istio.networking.v1alpha3.VirtualService']);
});

test('writable kinds publish PATCH/POST/PUT with fieldValidation, tagged with their GVK', () => {
  for (const k of KINDS.filter((x) => !x.readOnly)) {
    for (const v of k.versions) {
      const doc = openApiV3ForPath(k.group === '' ? `api/${v}` : `apis/${k.group}/${v}`) as Json;
      const patches = Object.values(doc.paths as Record<string, Json>)
        .map((p) => p.patch)
        .filter((op) => op && op['x-kubernetes-group-version-kind']?.kind === k.kind && op['x-kubernetes-group-version-kind']?.version === v);
      assert.ok(patches.length >= 1, `${k.kind} ${v} has a PATCH`);
      for (const op of patches) assert.ok(op.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'));
      const ops = Object.values(doc.paths as Record<string, Json>).flatMap((p) => [p.post, p.put]).filter((op) => op?.['x-kubernetes-group-version-kind']?.kind === k.kind);
      assert.ok(ops.length >= 2 && ops.every((op) => op.parameters.some((p: Json) => p.name === 'fieldValidation')));
    }
  }
});

test('schemas carry descriptions for explain and KServe defaults', () => {
  const doc = openApiV3ForPath('apis/serving.kserve.io/v1beta1') as Json;
  const isvc = doc.components.schemas['io.kserve.serving.v1beta1.InferenceService'];
  assert.match(isvc.description, /InferenceService/);
  const predictor = isvc.properties.spec.properties.predictor;
  assert.equal(predictor.properties.canaryTrafficPercent.maximum, 100);
  assert.equal(predictor.properties.model.properties.protocolVersion.default, undefined);
  assert.match(predictor.properties.model.properties.protocolVersion.description, /MLServer/);
  assert.ok(predictor.properties.model.properties.storageUri.description);
  assert.equal(JSON.stringify(isvc).includes('"additionalProperties":false'), false);
  assert.equal(isvc.properties.status['x-kubernetes-preserve-unknown-fields'], true);
});

test('the v2 document has the same definitions with v2 refs', () => {
  const v2 = openApiV2Document() as Json;
  assert.equal(v2.swagger, '2.0');
  for (const k of KINDS) for (const v of k.versions) assert.deepEqual(v2.definitions[schemaName(k, v)]['x-kubernetes-group-version-kind'], [{ group: k.group, kind: k.kind, version: v }]);
  assert.equal(JSON.stringify(v2).includes('#/components/'), false);
  const patch = v2.paths['/apis/switchyard.dev/v1alpha1/namespaces/{namespace}/trafficplans/{name}'].patch;
  assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.type === 'string'));
  assert.ok(patch.parameters.some((p: Json) => p.in === 'body'));
});
