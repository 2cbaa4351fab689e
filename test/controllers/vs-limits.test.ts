// A bandit's cohort limits on a VirtualService: the routes the plan adds
// before the route it moves match that route's conditions AND the stratum,
// as the gateway compiles them, with the allocation capped or held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cappedWeights, isLimitRoute, limitRoutes } from '../../src/controllers/plan/vs-limits.ts';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import { matchRequest } from '../../src/gateway/routing/match.ts';
import type { HttpRoute } from '../../src/api/kinds/virtualservice.ts';

const HOST = 'picker.ml.example.com';
const GW = 'knative-serving/knative-ingress-gateway';
const target: HttpRoute = {
  name: 'rank', match: [{ uri: { prefix: '/v1/models/' } }],
  route: [{ destination: { host: 'a-predictor' }, weight: 20 }, { destination: { host: 'b-predictor' }, weight: 30 }, { destination: { host: 'c-predictor' }, weight: 50 }],
};
const armOf = (d: { destination: { host: string } }) => d.destination.host.split('-')[0]!;

test('capped weights: the other arms scaled down to the cap together, the fallback takes the rest; hold is a cap of 0', () => {
  assert.deepEqual(cappedWeights({ a: 20, b: 30, c: 50 }, 'a', 40), { b: 15, c: 25, a: 60 });
  assert.deepEqual(cappedWeights({ a: 20, b: 30, c: 50 }, 'a', 0), { b: 0, c: 0, a: 100 });
  assert.deepEqual(cappedWeights({ a: 80, b: 10, c: 10 }, 'a', 40), { b: 10, c: 10, a: 80 }, 'under the cap: unchanged');
});

test('limit routes match the route and the stratum (header, query, cookie), the first limit wins, other requests reach the bandit route', () => {
  const limits = [{ header: 'X-Region', exact: 'eu', hold: true as const }, { cookie: 'tier', prefix: 'gold', maxPercent: 10 }, { query: 'beta' , maxPercent: 50 }];
  const routes = limitRoutes('picker-bandit', target, limits, { a: 20, b: 30, c: 50 }, 'a', armOf);
  assert.deepEqual(routes.map((r) => r.name), ['picker-bandit-cohort-limit-0', 'picker-bandit-cohort-limit-1', 'picker-bandit-cohort-limit-2']);
  assert.ok(routes.every((r) => isLimitRoute(r, 'picker-bandit')) && !isLimitRoute(target, 'picker-bandit'));
  assert.deepEqual(routes[0]!.route!.map((d) => d.weight), [100, 0, 0]);
  assert.deepEqual(routes[1]!.route!.map((d) => d.weight), [91, 3, 6], 'b and c scaled to 10 together (floored), a the rest');
  const t = compileRoutingTable({
    domain: 'example.com', version: 1, inferenceServices: ['a', 'b', 'c'].map((name) => ({ namespace: 'ml', name })), serviceEntries: [], destinationRules: [],
    virtualServices: [{ metadata: { namespace: 'ml', name: 'picker' }, spec: { hosts: [HOST], gateways: [GW], http: [...routes, target] as never } }],
  });
  const at = (headers: Record<string, string>, query: Record<string, string> = {}, path = '/v1/models/rank:predict') =>
    matchRequest(t, GW, { method: 'POST', path, host: HOST, headers: (n) => headers[n], query: (n) => query[n] })?.route.name;
  assert.equal(at({ 'x-region': 'eu' }), 'picker-bandit-cohort-limit-0');
  assert.equal(at({ 'x-region': 'us' }), 'rank');
  assert.equal(at({ cookie: 'sid=1; tier=gold-plus; x=2' }), 'picker-bandit-cohort-limit-1');
  assert.equal(at({ cookie: 'tier=silver' }), 'rank');
  assert.equal(at({ cookie: 'mytier=gold' }), 'rank', 'a cookie whose name only ends in tier is another cookie');
  assert.equal(at({}, { beta: '1' }), 'picker-bandit-cohort-limit-2');
  assert.equal(at({ 'x-region': 'eu', cookie: 'tier=gold' }), 'picker-bandit-cohort-limit-0', 'the first matching limit applies');
  assert.equal(at({ 'x-region': 'eu' }, {}, '/healthz'), undefined, "the route's own conditions still hold");
});
