// A TrafficPlan's cohorts on an InferenceService split: excluded requests
// always reach the baseline, units are sticky as the canary grows, the
// share of units follows the split, strata label the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIngress, routeIngress, type IngressService } from '../../src/gateway/ingress.ts';
import { compileCohorts, EXCLUDED_SLICE, requestKeyReader } from '../../src/gateway/cohorts.ts';
import { seededRandom } from '../../src/core/random.ts';

function service(canary: number): IngressService {
  return {
    namespace: 'default', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000,
    traffic: [
      { revisionName: 'iris-predictor-00002', percent: canary, tag: 'latest', latestRevision: true },
      { revisionName: 'iris-predictor-00001', percent: 100 - canary, tag: 'prev', latestRevision: false },
    ],
    cohorts: compileCohorts('default/iris-v2', {
      unit: { header: 'x-user-id' }, strata: [{ name: 'tier', header: 'x-tier' }], exclude: [{ header: 'user-agent', prefix: 'probe/' }],
    }),
  };
}

const HOST = 'iris.default.example.com';
const route = (canary: number, headers: Record<string, string>, rng = Math.random) => {
  const r = routeIngress(compileIngress([service(canary)], 'example.com', 1), HOST, '/v1/models/iris:predict', rng, requestKeyReader(headers, '/v1/models/iris:predict'));
  assert.equal(r.kind, 'route');
  return (r as Extract<typeof r, { kind: 'route' }>).route;
};

test('excluded traffic (synthetic probes) is always served by the baseline', () => {
  for (let i = 0; i < 200; i++) assert.equal(route(90, { 'user-agent': 'probe/1.0', 'x-user-id': `u${i}` }).revision, 'iris-predictor-00001');
  // Marked, so telemetry keeps them out of the experiment's baseline; strata still label them.
  assert.deepEqual(route(90, { 'user-agent': 'probe/1.0', 'x-tier': 'gold' }).cohort, { tier: 'gold', [EXCLUDED_SLICE]: 'true' });
  assert.equal(compileIngress([service(50)], 'example.com', 1).hasCohorts, true);
});

test('units are sticky: every unit in the 10 % canary is still in it at 50 %, and the shares follow the split (±4σ)', () => {
  const n = 10_000;
  let at10 = 0;
  let at50 = 0;
  for (let i = 0; i < n; i++) {
    const h = { 'x-user-id': `user-${i}` };
    const a = route(10, h).revision === 'iris-predictor-00002';
    const b = route(50, h).revision === 'iris-predictor-00002';
    if (a) assert.ok(b, `user-${i} left the canary when it grew`);
    assert.equal(route(10, h).revision === 'iris-predictor-00002', a, 'the same unit gets the same answer');
    at10 += a ? 1 : 0;
    at50 += b ? 1 : 0;
  }
  const bound = (p: number) => 4 * Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(at10 - n * 0.1) < bound(0.1), `10 %: ${at10} of ${n}`);
  assert.ok(Math.abs(at50 - n * 0.5) < bound(0.5), `50 %: ${at50} of ${n}`);
});

test('requests without a unit key are split at random; strata values label the route', () => {
  const rng = seededRandom(3);
  let canary = 0;
  for (let i = 0; i < 4000; i++) canary += route(25, {}, rng).revision === 'iris-predictor-00002' ? 1 : 0;
  assert.ok(Math.abs(canary - 1000) < 4 * Math.sqrt(4000 * 0.25 * 0.75), `${canary}`);
  assert.deepEqual(route(25, { 'x-tier': 'gold', 'x-user-id': 'a' }).cohort, { tier: 'gold' });
  assert.equal(route(25, { 'x-user-id': 'a' }).cohort, undefined);
});

test('without a key reader (graph steps) cohorts are ignored', () => {
  const r = routeIngress(compileIngress([service(100)], 'example.com', 1), HOST, '/', Math.random);
  assert.equal(r.kind === 'route' && r.route.revision, 'iris-predictor-00002');
});

test("a bandit's cohort limits: a held stratum is all baseline, a capped one gets at most its cap of the candidate (±4σ), others the split", () => {
  const svc = (canary: number): IngressService => ({
    ...service(canary),
    cohorts: compileCohorts('default/iris-v2', { unit: { header: 'x-user-id' }, limits: [{ header: 'x-region', exact: 'eu', hold: true }, { cookie: 'tier', maxPercent: 10 }] }),
  });
  const at = (canary: number, headers: Record<string, string>) => {
    const r = routeIngress(compileIngress([svc(canary)], 'example.com', 1), HOST, '/v1/models/iris:predict', Math.random, requestKeyReader(headers, '/v1/models/iris:predict'));
    return (r as Extract<typeof r, { kind: 'route' }>).route.revision === 'iris-predictor-00002';
  };
  const n = 4000;
  let held = 0;
  let capped = 0;
  let free = 0;
  for (let i = 0; i < n; i++) {
    held += at(60, { 'x-user-id': `u${i}`, 'x-region': 'eu' }) ? 1 : 0;
    const c = at(60, { 'x-user-id': `u${i}`, cookie: 'a=1; tier=gold' });
    capped += c ? 1 : 0;
    if (c) assert.ok(at(60, { 'x-user-id': `u${i}` }), 'a capped unit in the candidate is in it uncapped too (sticky)');
    free += at(60, { 'x-user-id': `u${i}`, 'x-region': 'us' }) ? 1 : 0;
  }
  const bound = (p: number) => 4 * Math.sqrt(n * p * (1 - p));
  assert.equal(held, 0);
  assert.ok(Math.abs(capped - n * 0.1) < bound(0.1), `capped at 10 %: ${capped} of ${n}`);
  assert.ok(Math.abs(free - n * 0.6) < bound(0.6), `the split for the rest: ${free} of ${n}`);
  // A cap above the split changes nothing.
  let under = 0;
  for (let i = 0; i < n; i++) under += at(5, { 'x-user-id': `u${i}`, cookie: 'tier=gold' }) ? 1 : 0;
  assert.ok(Math.abs(under - n * 0.05) < bound(0.05), `under the cap: ${under} of ${n}`);
});
