// Compiling VirtualServices into a routing table: destination resolution
// (InferenceService predictors, ServiceEntries, DestinationRule subsets),
// route actions as data, problems reported instead of thrown, immutability.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutingTable, type RoutingInput, type VirtualServiceInput } from '../../src/gateway/routing/compile.ts';
import type { DestinationRuleInput } from '../../src/gateway/routing/destinations.ts';
import { matchRequest } from '../../src/gateway/routing/match.ts';
import type { CompiledRoute, RequestView } from '../../src/gateway/routing/types.ts';

const GW = 'knative-serving/knative-ingress-gateway';

function input(http: unknown[], extra: Partial<RoutingInput> = {}, vsNamespace = 'ml'): RoutingInput {
  const vs: VirtualServiceInput = { metadata: { namespace: vsNamespace, name: 'vs' }, spec: { hosts: ['svc.example.com'], gateways: [GW], http: http as never } };
  return {
    domain: 'example.com',
    version: 7,
    inferenceServices: [{ namespace: 'ml', name: 'churn', revisions: [{ name: 'churn-predictor-00001' }, { name: 'churn-predictor-00002', labels: { version: 'v2' } }] }],
    serviceEntries: [],
    destinationRules: [],
    virtualServices: [vs],
    ...extra,
  };
}

function onlyRoute(inp: RoutingInput): CompiledRoute {
  const t = compileRoutingTable(inp);
  const r: RequestView = { method: 'GET', path: '/', host: 'svc.example.com', headers: () => undefined, query: () => undefined };
  const m = matchRequest(t, GW, r);
  assert.ok(m, 'route matched');
  return m.route;
}

const targetOf = (host: string, vsNamespace = 'ml', extra: Partial<RoutingInput> = {}) => onlyRoute(input([{ route: [{ destination: { host } }] }], extra, vsNamespace)).destinations[0]!.target;

describe('InferenceService destinations', () => {
  it('resolves every KServe host form to the same predictor', () => {
    for (const host of ['churn-predictor.ml.svc.cluster.local', 'churn-predictor-default.ml.svc.cluster.local', 'churn.ml.svc.cluster.local', 'churn.ml.example.com', 'churn-predictor.ml.example.com']) {
      const t = targetOf(host, 'other');
      assert.equal(t.kind, 'inferenceService', host);
      assert.ok(t.kind === 'inferenceService' && t.namespace === 'ml' && t.name === 'churn' && t.revisions === null && t.tag === null, host);
    }
  });

  it('short names resolve relative to the VirtualService namespace, as Istio does', () => {
    const t = targetOf('churn-predictor', 'ml');
    assert.ok(t.kind === 'inferenceService' && t.host === 'churn-predictor.ml.svc.cluster.local');
    const elsewhere = compileRoutingTable(input([{ route: [{ destination: { host: 'churn-predictor' } }] }], {}, 'team-b'));
    assert.equal(elsewhere.problems[0]?.field, 'spec.http[0].route[0].destination.host');
    assert.match(elsewhere.problems[0]!.message, /churn-predictor\.team-b\.svc\.cluster\.local/);
  });

  it('tag hosts pin a tagged revision', () => {
    const t = targetOf('prev-churn-predictor.ml.example.com');
    assert.ok(t.kind === 'inferenceService' && t.tag === 'prev' && t.name === 'churn');
  });

  it('DestinationRule subsets become label selectors and the revisions they select', () => {
    const destinationRules: DestinationRuleInput[] = [
      {
        metadata: { namespace: 'ml', name: 'dr' },
        spec: {
          host: 'churn-predictor',
          subsets: [
            { name: 'stable', labels: { 'serving.knative.dev/revision': 'churn-predictor-00001' } },
            { name: 'v2', labels: { version: 'v2' } },
            { name: 'gone', labels: { 'serving.knative.dev/revision': 'churn-predictor-00009' } },
          ],
        },
      },
    ];
    const r = onlyRoute(
      input(
        [
          {
            route: [
              { destination: { host: 'churn-predictor', subset: 'stable' }, weight: 90 },
              { destination: { host: 'churn-predictor.ml.svc.cluster.local', subset: 'v2' }, weight: 10 },
              { destination: { host: 'churn-predictor', subset: 'gone' }, weight: 0 },
              { destination: { host: 'churn-predictor', subset: 'nope' }, weight: 0 },
            ],
          },
        ],
        { destinationRules },
      ),
    );
    const [stable, v2, gone, nope] = r.destinations.map((d) => d.target);
    assert.ok(stable!.kind === 'inferenceService');
    assert.deepEqual(stable!.selector, { 'serving.knative.dev/revision': 'churn-predictor-00001' });
    assert.deepEqual(stable!.revisions, ['churn-predictor-00001']);
    assert.ok(v2!.kind === 'inferenceService');
    assert.deepEqual(v2!.revisions, ['churn-predictor-00002']);
    assert.ok(gone!.kind === 'inferenceService');
    assert.deepEqual(gone!.revisions, []);
    assert.equal(nope!.kind, 'unresolved');
    const problems = compileRoutingTable(input([{ route: [{ destination: { host: 'churn-predictor', subset: 'gone' }, weight: 1 }, { destination: { host: 'churn-predictor', subset: 'nope' }, weight: 1 }] }], { destinationRules })).problems;
    assert.deepEqual(problems.map((p) => p.field), ['spec.http[0].route[0].destination.subset', 'spec.http[0].route[1].destination.subset']);
    assert.match(problems[0]!.message, /selects no live revision/);
    assert.match(problems[1]!.message, /not defined in any DestinationRule/);
  });
});

describe('ServiceEntry destinations', () => {
  const serviceEntries = [
    {
      metadata: { namespace: 'ml', name: 'vllm' },
      spec: {
        hosts: ['vllm.internal'],
        ports: [{ number: 80, name: 'http', protocol: 'HTTP' as const, targetPort: 8000 }, { number: 9000, name: 'metrics' }],
        resolution: 'STATIC' as const,
        endpoints: [{ address: '10.0.0.1', labels: { pool: 'a' } }, { address: '10.0.0.2', ports: { http: 8001 }, labels: { pool: 'b' }, weight: 3 }],
      },
    },
    { metadata: { namespace: 'ml', name: 'cloud' }, spec: { hosts: ['api.cloud.example.net'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' as const }], resolution: 'DNS' as const } },
    { metadata: { namespace: 'ml', name: 'wild' }, spec: { hosts: ['*.models.example.org'], ports: [{ number: 8080, name: 'http' }], resolution: 'DNS' as const } },
  ];

  it('STATIC: endpoint addresses with the port mapped by name, else targetPort', () => {
    const t = onlyRoute(input([{ route: [{ destination: { host: 'vllm.internal', port: { number: 80 } } }] }], { serviceEntries })).destinations[0]!.target;
    assert.ok(t.kind === 'serviceEntry');
    assert.equal(t.port, 80);
    assert.equal(t.resolution, 'STATIC');
    assert.deepEqual(t.endpoints.map((e) => [e.address, e.port, e.weight]), [['10.0.0.1', 8000, 1], ['10.0.0.2', 8001, 3]]);
  });

  it('port by number picks among several ports; a missing or ambiguous port is a problem', () => {
    const r = onlyRoute(input([{ route: [{ destination: { host: 'vllm.internal', port: { number: 9000 } } }] }], { serviceEntries }));
    const t = r.destinations[0]!.target;
    assert.ok(t.kind === 'serviceEntry' && t.port === 9000 && t.endpoints[0]!.port === 9000);
    const missing = compileRoutingTable(input([{ route: [{ destination: { host: 'vllm.internal', port: { number: 1234 } } }] }], { serviceEntries }));
    assert.match(missing.problems[0]!.message, /has no port 1234/);
    // vllm.internal has two ports, so a destination without port is ambiguous.
    const amb = compileRoutingTable(input([{ route: [{ destination: { host: 'vllm.internal' } }] }], { serviceEntries }));
    assert.match(amb.problems[0]!.message, /port is required/);
  });

  it('DNS: the host itself (or the requested host under a wildcard) with the port; HTTPS means TLS', () => {
    const t = targetOf('api.cloud.example.net', 'ml', { serviceEntries });
    assert.ok(t.kind === 'serviceEntry' && t.tls && t.endpoints.length === 1);
    assert.deepEqual([t.endpoints[0]!.address, t.endpoints[0]!.port], ['api.cloud.example.net', 443]);
    const w = targetOf('bert.models.example.org', 'ml', { serviceEntries });
    assert.ok(w.kind === 'serviceEntry' && w.endpoints[0]!.address === 'bert.models.example.org' && w.endpoints[0]!.port === 8080 && !w.tls);
  });

  it('subsets filter STATIC endpoints by label', () => {
    const destinationRules = [{ metadata: { namespace: 'ml', name: 'dr' }, spec: { host: 'vllm.internal', subsets: [{ name: 'b', labels: { pool: 'b' } }] } }];
    const r = onlyRoute(input([{ route: [{ destination: { host: 'vllm.internal', subset: 'b', port: { number: 80 } } }] }], { serviceEntries, destinationRules }));
    const t = r.destinations[0]!.target;
    assert.ok(t.kind === 'serviceEntry');
    assert.deepEqual(t.endpoints.map((e) => e.address), ['10.0.0.2']);
  });
});

describe('compile problems are returned, never thrown', () => {
  it('unknown host, all-zero weights, no destinations, unsupported fields', () => {
    const t = compileRoutingTable(
      input([
        { name: 'unknown', match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'nothing.ml.svc.cluster.local' } }] },
        { name: 'zero', match: [{ uri: { prefix: '/b' } }], route: [{ destination: { host: 'churn-predictor' }, weight: 0 }, { destination: { host: 'churn-predictor' } }] },
        { name: 'empty', match: [{ uri: { prefix: '/c' } }] },
        { name: 'redirect', match: [{ uri: { prefix: '/d' } }], redirect: { uri: '/x' } },
        { name: 'source', match: [{ sourceLabels: { app: 'x' } }], route: [{ destination: { host: 'churn-predictor' } }] },
      ]),
    );
    const fields = t.problems.map((p) => p.field);
    assert.deepEqual(fields, ['spec.http[0].route[0].destination.host', 'spec.http[1].route', 'spec.http[2].route', 'spec.http[3].redirect', 'spec.http[4].match[0].sourceLabels']);
    assert.ok(t.problems.every((p) => p.namespace === 'ml' && p.name === 'vs' && p.message.length > 0));
    const get = (path: string) => matchRequest(t, GW, { method: 'GET', path, host: 'svc.example.com', headers: () => undefined, query: () => undefined })?.route;
    assert.equal(get('/a')!.destinations[0]!.target.kind, 'unresolved');
    assert.equal(get('/b')!.unavailable, 'all weights are 0');
    assert.equal(get('/c')!.unavailable, 'no destinations');
    assert.match(get('/d')!.unavailable!, /redirect/);
    assert.equal(get('/z'), undefined, 'sourceLabels block never matches');
  });

  it('a bad unit-key annotation is reported', () => {
    const inp = input([{ route: [{ destination: { host: 'churn-predictor' } }] }]);
    inp.virtualServices[0]!.metadata.annotations = { 'switchyard.dev/unit-key': 'body:user' };
    assert.match(compileRoutingTable(inp).problems[0]!.field, /unit-key/);
  });

  it("a bandit's allocation-version annotation is on every route of the VirtualService; without it, null", () => {
    const inp = input([{ route: [{ destination: { host: 'churn-predictor' } }] }]);
    const route = () => matchRequest(compileRoutingTable(inp), GW, { method: 'POST', path: '/', host: 'svc.example.com', headers: () => undefined, query: () => undefined })!.route;
    assert.equal(route().allocation, null);
    inp.virtualServices[0]!.metadata.annotations = { 'switchyard.dev/allocation-version': '12' };
    assert.equal(route().allocation, 12);
  });
});

describe('route actions as data', () => {
  it('mirror defaults to 100%, mirrors keep their own percentages, timeouts/retries/fault/headers parsed', () => {
    const r = onlyRoute(
      input([
        {
          route: [{ destination: { host: 'churn-predictor' }, headers: { response: { set: { 'X-Variant': 'stable' } } } }],
          mirror: { host: 'churn-predictor-default.ml.svc.cluster.local' },
          timeout: '1.5s',
          retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx, connect-failure' },
          fault: { delay: { fixedDelay: '2s', percentage: { value: 10 } }, abort: { httpStatus: 503 } },
          headers: { request: { set: { 'X-Shadow-Pair': 'on' }, add: { 'x-a': '1' }, remove: ['X-Debug'] } },
          rewrite: { uri: '/v1/models/churn:predict', authority: 'churn.internal' },
        },
      ]),
    );
    assert.deepEqual(r.mirrors.map((m) => m.percentage), [100]);
    assert.equal(r.timeoutMs, 1500);
    assert.deepEqual(r.retries, { attempts: 3, perTryTimeoutMs: 500, retryOn: ['5xx', 'connect-failure'] });
    // Istio: an unset abort percentage means 0% (istio/api#2522).
    assert.deepEqual(r.fault, { delay: { ms: 2000, percentage: 10 }, abort: { httpStatus: 503, percentage: 0 } });
    assert.deepEqual(r.headers?.request, { set: { 'x-shadow-pair': 'on' }, add: { 'x-a': '1' }, remove: ['x-debug'] });
    assert.deepEqual(r.destinations[0]!.headers?.response?.set, { 'x-variant': 'stable' });
    assert.equal(r.rewrite?.authority, 'churn.internal');
    const two = onlyRoute(input([{ route: [{ destination: { host: 'churn-predictor' } }], mirrors: [{ destination: { host: 'churn-predictor' }, percentage: { value: 25 } }, { destination: { host: 'churn.ml.example.com' } }] }]));
    assert.deepEqual(two.mirrors.map((m) => m.percentage), [25, 100]);
    const pct = onlyRoute(input([{ route: [{ destination: { host: 'churn-predictor' } }], mirror: { host: 'churn-predictor' }, mirrorPercentage: { value: 12.5 } }]));
    assert.deepEqual(pct.mirrors.map((m) => m.percentage), [12.5]);
  });

  it('the table is a frozen snapshot carrying its version', () => {
    const t = compileRoutingTable(input([{ route: [{ destination: { host: 'churn-predictor' } }] }]));
    assert.equal(t.version, 7);
    assert.ok(Object.isFrozen(t) && Object.isFrozen(t.problems));
    const r = onlyRoute(input([{ route: [{ destination: { host: 'churn-predictor' } }] }]));
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.destinations) && Object.isFrozen(r.destinations[0]) && Object.isFrozen(r.matches[0]));
    assert.throws(() => {
      (r as { timeoutMs: number | null }).timeoutMs = 5;
    }, TypeError);
  });
});
