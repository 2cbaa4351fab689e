import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  APIGroupListSchema,
  APIResourceListSchema,
  groupVersionsInPriority,
  qualifiedSingular,
  resolveResource,
  resourcePath,
  resourcesOf,
} from '../../src/cli/resources.ts';

// A discovery snapshot written from the Kubernetes conventions (input data).
const doc = JSON.parse(readFileSync(new URL('./fixtures/discovery.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const groups = APIGroupListSchema.parse(doc['/apis']);
const resources = groupVersionsInPriority(groups).flatMap((gv) => {
  const list = doc[gv === 'v1' ? '/api/v1' : `/apis/${gv}`];
  return list ? resourcesOf(APIResourceListSchema.parse(list)) : [];
});

test('short names, plural, singular and kind all resolve to the same resource', () => {
  for (const typed of ['isvc', 'inferenceservices', 'inferenceservice', 'InferenceService', 'ISVC']) {
    const r = resolveResource(resources, typed);
    assert.deepEqual(
      { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced, kind: r.kind },
      { group: 'serving.kserve.io', version: 'v1beta1', plural: 'inferenceservices', namespaced: true, kind: 'InferenceService' },
    );
  }
  assert.equal(resolveResource(resources, 'vs').kind, 'VirtualService');
  assert.equal(resolveResource(resources, 'tp').plural, 'trafficplans');
  assert.equal(resolveResource(resources, 'ig').group, 'serving.kserve.io');
  assert.equal(resolveResource(resources, 'ns').namespaced, false);
});

test('plural.group and plural.version.group pick the named group and version', () => {
  const vs = resolveResource(resources, 'virtualservices.networking.istio.io');
  assert.equal(vs.version, 'v1');
  assert.equal(resolveResource(resources, 'vs.networking.istio.io').kind, 'VirtualService');
  assert.equal(resolveResource(resources, 'inferenceservices.v1beta1.serving.kserve.io').version, 'v1beta1');
});

test('kinds served only at a non-preferred version are still found', () => {
  const sr = resolveResource(resources, 'servingruntime');
  assert.equal(sr.version, 'v1alpha1');
  assert.equal(resolveResource(resources, 'clusterservingruntimes').namespaced, false);
});

test('subresources are not resources of their own', () => {
  assert.ok(!resources.some((r) => r.plural.includes('/')));
});

test('unknown types fail with SY_ERR_UNKNOWN_KIND naming what was typed', () => {
  assert.throws(() => resolveResource(resources, 'gizmos'), (err: any) => err.code === 'SY_ERR_UNKNOWN_KIND' && /"gizmos"/.test(err.message));
  assert.throws(() => resolveResource(resources, 'virtualservices.serving.kserve.io'), /virtualservices\.serving\.kserve\.io/);
});

test('paths follow the Kubernetes layout for namespaced, cluster-scoped and core resources', () => {
  const isvc = resolveResource(resources, 'isvc');
  assert.equal(resourcePath(isvc, 'demo', 'iris'), '/apis/serving.kserve.io/v1beta1/namespaces/demo/inferenceservices/iris');
  assert.equal(resourcePath(isvc, undefined), '/apis/serving.kserve.io/v1beta1/inferenceservices');
  assert.equal(resourcePath(isvc, 'demo', 'iris', 'status'), '/apis/serving.kserve.io/v1beta1/namespaces/demo/inferenceservices/iris/status');
  assert.equal(resourcePath(resolveResource(resources, 'ns'), 'ignored', 'demo'), '/api/v1/namespaces/demo');
  assert.equal(resourcePath(resolveResource(resources, 'pods'), 'demo'), '/api/v1/namespaces/demo/pods');
  assert.equal(qualifiedSingular(isvc), 'inferenceservice.serving.kserve.io');
  assert.equal(qualifiedSingular(resolveResource(resources, 'ns')), 'namespace');
});
