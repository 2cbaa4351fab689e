import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, findByKind, findByResource, resolveResourceName } from '../../src/api/registry.ts';

test('short names are the ones kubectl users know', () => {
  const short = Object.fromEntries(KINDS.map((k) => [k.kind, k.shortNames]));
  assert.deepEqual(short, {
    InferenceService: ['isvc'],
    ServingRuntime: [],
    ClusterServingRuntime: [],
    InferenceGraph: ['ig'],
    VirtualService: ['vs'],
    ServiceEntry: ['se'],
    DestinationRule: ['dr'],
    TrafficPlan: ['tp'],
    PredictionLogPolicy: ['plp'],
    Namespace: ['ns'],
    Secret: [],
    ServiceAccount: ['sa'],
    Pod: ['po'],
    Event: ['ev'],
  });
});

test('no two kinds share a name a user could type', () => {
  const seen = new Map<string, string>();
  for (const k of KINDS) {
    for (const n of new Set([k.plural, k.singular, k.kind.toLowerCase(), ...k.shortNames])) {
      assert.ok(!seen.has(n), `${n} used by ${seen.get(n)} and ${k.kind}`);
      seen.set(n, k.kind);
    }
  }
});

test('resolve what users type', () => {
  assert.equal(resolveResourceName('isvc')?.kind, 'InferenceService');
  assert.equal(resolveResourceName('InferenceServices')?.kind, 'InferenceService');
  assert.equal(resolveResourceName('VirtualService')?.kind, 'VirtualService');
  assert.equal(resolveResourceName('virtualservices.networking.istio.io')?.kind, 'VirtualService');
  assert.equal(resolveResourceName('vs.v1beta1.networking.istio.io')?.kind, 'VirtualService');
  assert.equal(resolveResourceName('tp')?.group, 'switchyard.dev');
  assert.equal(resolveResourceName('pods')?.kind, 'Pod');
  assert.equal(resolveResourceName('virtualservices.serving.kserve.io'), undefined);
  assert.equal(resolveResourceName('deployments'), undefined);
});

test('lookup by URL parts and by apiVersion/kind', () => {
  assert.equal(findByResource('networking.istio.io', 'v1alpha3', 'destinationrules')?.kind, 'DestinationRule');
  assert.equal(findByResource('networking.istio.io', 'v2', 'destinationrules'), undefined);
  assert.equal(findByResource('', 'v1', 'namespaces')?.namespaced, false);
  assert.equal(findByKind('serving.kserve.io/v1alpha1', 'ClusterServingRuntime')?.namespaced, false);
  assert.equal(findByKind('serving.kserve.io/v1alpha1', 'InferenceService'), undefined);
  assert.equal(findByKind('v1', 'Event')?.readOnly, true);
});

test('printer columns use JSONPaths rooted at the object', () => {
  for (const k of KINDS) for (const c of k.printerColumns) assert.ok(c.jsonPath.startsWith('.'), `${k.kind} ${c.name}`);
});
