// Apply-time checks of InferenceGraphs against a real store: services must
// exist, nodes must exist, no cycles (with the path), conditions must parse.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../src/api/registry.ts';
import { admit, findCycles } from '../../src/server/apiserver/admission.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';

const IG = KINDS.find((k) => k.kind === 'InferenceGraph')!;
const ISVC = KINDS.find((k) => k.kind === 'InferenceService')!;
let store: Store;

before(async () => {
  store = await openSqliteStore({ path: ':memory:' });
  for (const name of ['a', 'b']) {
    await store.create({ group: 'serving.kserve.io', resource: 'inferenceservices' }, {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: 'ns' },
      spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } },
    }, { actor: { name: 'test' } });
  }
});

after(() => store.close());

const graph = (nodes: unknown, namespace = 'ns'): KubeObject => ({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceGraph', metadata: { name: 'g', namespace }, spec: { nodes } });

test('a graph over existing services and nodes is admitted', async () => {
  const causes = await admit(IG, graph({
    root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { nodeName: 'pick', data: '$response' }] },
    pick: { routerType: 'Switch', steps: [{ serviceName: 'b', condition: 'predictions.0 == 1' }, { serviceUrl: 'http://x/' , condition: 'predictions.0 == 2' }] },
  }), store);
  assert.deepEqual(causes, []);
  assert.deepEqual(await admit(ISVC, graph({}), store), [], 'other kinds pass through');
});

test('a service missing from the namespace is named by field path', async () => {
  const causes = await admit(IG, graph({ root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { serviceName: 'ghost' }] } }), store);
  assert.equal(causes.length, 1);
  assert.equal(causes[0]!.field, 'spec.nodes.root.steps[1].serviceName');
  assert.match(causes[0]!.message, /"ghost" does not exist in namespace ns/);
  const otherNs = await admit(IG, graph({ root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }] } }, 'elsewhere'), store);
  assert.equal(otherNs[0]?.field, 'spec.nodes.root.steps[0].serviceName', 'services are looked up in the graph\'s namespace');
});

test('missing root, unknown nodes and bad conditions are reported', async () => {
  const causes = await admit(IG, graph({ main: { routerType: 'Switch', steps: [{ nodeName: 'nope', condition: 'x == ' }] } }), store);
  assert.deepEqual(causes.map((c) => c.field).sort(), ['spec.nodes.main.steps[0].condition', 'spec.nodes.main.steps[0].nodeName', 'spec.nodes.root']);
});

test('cycles are rejected with their path', async () => {
  const causes = await admit(IG, graph({
    root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { nodeName: 'x' }] },
    x: { routerType: 'Sequence', steps: [{ nodeName: 'y' }] },
    y: { routerType: 'Ensemble', steps: [{ serviceName: 'b' }, { nodeName: 'x' }] },
  }), store);
  assert.equal(causes.length, 1);
  assert.equal(causes[0]!.field, 'spec.nodes.y.steps[1].nodeName');
  assert.match(causes[0]!.message, /cycle: x -> y -> x/);
  assert.deepEqual(findCycles({ root: { steps: [{ nodeName: 'root' }] } }).map((c) => c.path), [['root', 'root']]);
  assert.deepEqual(findCycles({ root: { steps: [{ nodeName: 'a' }, { nodeName: 'b' }] }, a: { steps: [{ nodeName: 'b' }] }, b: { steps: [] } }), [], 'a diamond is not a cycle');
});
