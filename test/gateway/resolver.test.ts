// The resolver in process, without sockets: which route a request takes, and
// the error format of the requests it cannot route (KServe's JSON on the
// ingress and on inference paths, Envoy's text on other mesh routes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { compileIngress, type IngressService } from '../../src/gateway/ingress.ts';
import type { GatewaySnapshot } from '../../src/gateway/pipeline.ts';
import { resolveRoute } from '../../src/gateway/resolver.ts';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import { vsLookup } from '../../src/gateway/vs-route.ts';

const services: IngressService[] = [
  { namespace: 'ns', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'iris-predictor-00001', percent: 100, latestRevision: true }] },
  { namespace: 'ns', name: 'idle', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [] },
];

function snapshot(): GatewaySnapshot {
  const routing = compileRoutingTable({
    domain: 'example.com', version: 1, destinationRules: [], serviceEntries: [],
    inferenceServices: [{ namespace: 'ns', name: 'iris', revisions: [{ name: 'iris-predictor-00001' }] }],
    virtualServices: [{
      metadata: { namespace: 'ns', name: 'strict' },
      spec: { hosts: ['strict.ns.example.com'], gateways: ['knative-serving/knative-ingress-gateway'], http: [{ match: [{ uri: { prefix: '/v1/' } }], route: [{ destination: { host: 'iris-predictor.ns.svc.cluster.local' } }] }] },
    }],
  });
  assert.deepEqual(routing.problems, []);
  return { ...compileIngress(services, 'example.com', 1), vs: vsLookup(routing)! };
}

function req(host: string, url: string, method = 'POST'): IncomingMessage {
  const r = new IncomingMessage(null as never);
  r.method = method;
  r.url = url;
  r.headers = { host };
  return r;
}

const table = snapshot();
const resolve = (host: string, url: string) => resolveRoute(table, req(host, url), () => 0.5);

test('a VirtualService route wins on a host it claims; other hosts take the InferenceService ingress', () => {
  const vs = resolve('strict.ns.example.com', '/v1/models/iris:predict');
  assert.equal(vs.kind, 'virtualService');
  const ingress = resolve('iris.ns.example.com', '/v1/models/iris:predict');
  assert.ok(ingress.kind === 'ingress' && ingress.route.revision === 'iris-predictor-00001');
});

test("a claimed host with no matching route is Envoy's 404, in KServe's JSON on inference paths and Envoy's text elsewhere", () => {
  const inference = resolve('strict.ns.example.com', '/v2/models/iris/infer');
  assert.ok(inference.kind === 'error');
  assert.deepEqual([inference.status, inference.format], [404, 'kserve']);
  assert.match(inference.message, /no route of the VirtualServices for host "strict.ns.example.com" matches POST \/v2\/models\/iris\/infer/);
  const other = resolve('strict.ns.example.com', '/healthz');
  assert.ok(other.kind === 'error');
  assert.deepEqual([other.status, other.format], [404, 'envoy']);
});

test("the ingress answers unknown services 404 and services without traffic 503, in KServe's JSON", () => {
  const unknown = resolve('nope.ns.example.com', '/v1/models/nope:predict');
  assert.ok(unknown.kind === 'error');
  assert.deepEqual([unknown.status, unknown.format], [404, 'kserve']);
  const idle = resolve('idle.ns.example.com', '/v1/models/idle:predict');
  assert.ok(idle.kind === 'error');
  assert.deepEqual([idle.status, idle.format], [503, 'kserve']);
  assert.match(idle.message, /InferenceService ns\/idle has no ready revision/);
});
