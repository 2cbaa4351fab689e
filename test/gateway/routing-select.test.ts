// Destination choice on a matched route: relative weights at random, sticky
// cohorts through GrowthBook buckets (stable across weight changes and
// restarts), mirror sampling, fault decisions and path rewrites.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import { matchRequest } from '../../src/gateway/routing/match.ts';
import { chooseDestination, chooseRandom, chooseSticky, cookieValue, faultAbortStatus, faultDelayMs, mirrorMask, rewritePath, unitKeyOf, type Rng } from '../../src/gateway/routing/select.ts';
import type { CompiledDestination, CompiledMatch, RequestView } from '../../src/gateway/routing/types.ts';
import { seededRandom as seeded } from '../../src/core/random.ts';

const GW = 'knative-serving/knative-ingress-gateway';
const HOST = 'churn.ml.example.com';
const ISVCS = ['stable', 'canary', 'third'].map((name) => ({ namespace: 'ml', name }));


function req(path = '/v1/models/churn:predict', headers: Record<string, string> = {}, query: Record<string, string> = {}): RequestView {
  return { method: 'POST', path, host: HOST, headers: (n) => headers[n], query: (n) => query[n] };
}

function compile(http: unknown[], opts: { name?: string; annotations?: Record<string, string> } = {}) {
  return compileRoutingTable({
    domain: 'example.com',
    version: 1,
    inferenceServices: ISVCS,
    serviceEntries: [],
    destinationRules: [],
    virtualServices: [{ metadata: { namespace: 'ml', name: opts.name ?? 'churn', annotations: opts.annotations ?? null }, spec: { hosts: [HOST], gateways: [GW], http: http as never } }],
  });
}

function matched(http: unknown[], opts: { name?: string; annotations?: Record<string, string> } = {}, r = req()): CompiledMatch {
  const m = matchRequest(compile(http, opts), GW, r);
  assert.ok(m);
  return m;
}

const split = (...weights: (number | undefined)[]) => [{ name: 'split', route: weights.map((w, i) => ({ destination: { host: `${ISVCS[i]!.name}-predictor` }, ...(w === undefined ? {} : { weight: w }) })) }];
const nameOf = (d: CompiledDestination | null) => (d && d.target.kind === 'inferenceService' ? d.target.name : 'none');

describe('weighted random choice', () => {
  const N = 10_000;
  const TOLERANCE = 0.01; // ±1 percentage point

  function shares(weights: number[], seed: number): Map<string, number> {
    const route = matched(split(...weights)).route;
    const rng = seeded(seed);
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const n = nameOf(chooseRandom(route, rng));
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return new Map([...counts].map(([k, v]) => [k, v / N]));
  }

  it('a 90/10 split lands within ±1 percentage point over 10,000 requests (a >3σ bound)', () => {
    // Binomial share: σ = sqrt(p(1-p)/n) = sqrt(0.09/10000) = 0.003, so ±0.01 is 3.3σ.
    const sigma = Math.sqrt((0.1 * 0.9) / N);
    assert.ok(TOLERANCE >= 3 * sigma);
    const s = shares([90, 10], 42);
    assert.ok(Math.abs(s.get('canary')! - 0.1) <= TOLERANCE, `canary ${s.get('canary')}`);
    assert.ok(Math.abs(s.get('stable')! - 0.9) <= TOLERANCE, `stable ${s.get('stable')}`);
  });

  it('weights are relative: 1 and 9 split 10/90 though they do not sum to 100', () => {
    const s = shares([9, 1], 7);
    assert.ok(Math.abs(s.get('canary')! - 0.1) <= TOLERANCE, `canary ${s.get('canary')}`);
  });

  it('weight 0 (or unset beside others) gets nothing; a lone destination gets everything', () => {
    const s = shares([90, 0, 10], 3);
    assert.equal(s.get('canary'), undefined);
    assert.ok(Math.abs(s.get('third')! - 0.1) <= TOLERANCE);
    const unset = matched(split(100, undefined)).route;
    assert.deepEqual(unset.destinations.map((d) => d.weight), [100, 0]);
    const lone = matched(split(0)).route;
    assert.equal(nameOf(chooseRandom(lone, seeded(1))), 'stable');
    assert.equal(lone.unavailable, null);
  });

  it('all weights zero: no destination (the proxy answers 503)', () => {
    const route = matched(split(0, 0)).route;
    assert.equal(chooseRandom(route, seeded(1)), null);
    assert.equal(chooseSticky(route, 'u1'), null);
  });
});

describe('sticky cohorts', () => {
  const UNITS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const assign = (weights: number[], vsName = 'churn', routeName = 'split') => {
    const route = matched([{ ...split(...weights)[0], name: routeName }], { name: vsName }).route;
    return UNITS.map((u) => nameOf(chooseSticky(route, u)));
  };
  const share = (a: string[], who: string) => a.filter((x) => x === who).length / a.length;

  it('hashes into GrowthBook bucket ranges with the weights as shares', () => {
    const at10 = assign([90, 10]);
    // Hash values behave as uniform draws: σ = 0.3 pp at p = 0.1 over 10,000 units; allow 3.3σ.
    assert.ok(Math.abs(share(at10, 'canary') - 0.1) <= 0.01, `canary ${share(at10, 'canary')}`);
  });

  it('a unit in the 10% canary stays in it at 50%, and stable units at 50% were stable at 10%', () => {
    const at10 = assign([90, 10]);
    const at50 = assign([50, 50]);
    let moved = 0;
    for (let i = 0; i < UNITS.length; i++) {
      if (at10[i] === 'canary') assert.equal(at50[i], 'canary', `${UNITS[i]} left the canary`);
      if (at50[i] === 'stable') assert.equal(at10[i], 'stable');
      if (at10[i] !== at50[i]) moved++;
    }
    // Only the newly added 40% of units move.
    assert.ok(Math.abs(moved / UNITS.length - 0.4) <= 0.015, `moved ${moved}`);
    // And growing to 100% keeps everyone in the canary.
    assert.ok(assign([0, 100]).every((x) => x === 'canary'));
  });

  it('is stable across separately compiled tables (a gateway restart or another replica)', () => {
    assert.deepEqual(assign([80, 20]), assign([80, 20]));
  });

  it('different routes hash independently (the salt is per route)', () => {
    const a = assign([50, 50], 'churn', 'split');
    const b = assign([50, 50], 'ranking', 'split');
    let both = 0;
    for (let i = 0; i < UNITS.length; i++) if (a[i] === 'canary' && b[i] === 'canary') both++;
    // Independent halves overlap on a quarter: σ = sqrt(0.25·0.75/10000) ≈ 0.43 pp; allow 1.5 pp (3.5σ).
    assert.ok(Math.abs(both / UNITS.length - 0.25) <= 0.015, `overlap ${both / UNITS.length}`);
  });

  it('reads the unit key from the header, cookie or query parameter named by the annotation', () => {
    const http = split(50, 50);
    const byHeader = matched(http, { annotations: { 'switchyard.dev/unit-key': 'header:X-User-Id' } }, req(undefined, { 'x-user-id': 'u-7' }));
    assert.equal(unitKeyOf(byHeader.route, req(undefined, { 'x-user-id': 'u-7' })), 'u-7');
    const byCookie = matched(http, { annotations: { 'switchyard.dev/unit-key': 'cookie:uid' } }).route;
    assert.equal(unitKeyOf(byCookie, req(undefined, { cookie: 'a=1; uid=abc; z=2' })), 'abc');
    const byQuery = matched(http, { annotations: { 'switchyard.dev/unit-key': 'query:user' } }).route;
    assert.equal(unitKeyOf(byQuery, req(undefined, {}, { user: 'q1' })), 'q1');
    assert.equal(unitKeyOf(matched(http).route, req(undefined, { 'x-user-id': 'u' })), undefined);
    // With a key the choice is sticky whatever the rng says; without one it follows the rng.
    const route = byHeader.route;
    const first = nameOf(chooseDestination(route, 'u-7', () => 0));
    assert.equal(nameOf(chooseDestination(route, 'u-7', () => 0.999)), first);
    assert.equal(nameOf(chooseDestination(route, undefined, () => 0)), 'stable');
    assert.equal(nameOf(chooseDestination(route, undefined, () => 0.999)), 'canary');
  });

  it('cookieValue finds exact names only', () => {
    assert.equal(cookieValue('xuid=1; uid=2', 'uid'), '2');
    assert.equal(cookieValue('uid=', 'uid'), '');
    assert.equal(cookieValue('uidx=1', 'uid'), undefined);
    assert.equal(cookieValue(undefined, 'uid'), undefined);
  });
});

describe('mirrors and faults', () => {
  const N = 10_000;
  it('mirror percentages sample the right share; 100 always, 0 never', () => {
    const route = matched([
      {
        route: [{ destination: { host: 'stable-predictor' } }],
        mirrors: [{ destination: { host: 'canary-predictor' }, percentage: { value: 10 } }, { destination: { host: 'third-predictor' } }, { destination: { host: 'third-predictor' }, percentage: { value: 0 } }],
      },
    ]).route;
    const rng = seeded(11);
    let first = 0;
    for (let i = 0; i < N; i++) {
      const mask = mirrorMask(route, rng);
      if (mask & 1) first++;
      assert.ok(mask & 2, 'mirror without percentage always sampled');
      assert.equal(mask & 4, 0);
    }
    assert.ok(Math.abs(first / N - 0.1) <= 0.01, `mirrored ${first / N}`);
  });

  it('fault delay and abort fire at their percentages, independently', () => {
    const route = matched([{ route: [{ destination: { host: 'stable-predictor' } }], fault: { delay: { fixedDelay: '100ms', percentage: { value: 50 } }, abort: { httpStatus: 503, percentage: { value: 10 } } } }]).route;
    const rng = seeded(5);
    let delayed = 0;
    let aborted = 0;
    for (let i = 0; i < N; i++) {
      const d = faultDelayMs(route, rng);
      assert.ok(d === 0 || d === 100);
      if (d) delayed++;
      const s = faultAbortStatus(route, rng);
      assert.ok(s === 0 || s === 503);
      if (s) aborted++;
    }
    // σ = 0.5 pp at p = 0.5 and 0.3 pp at p = 0.1: bounds are > 3σ.
    assert.ok(Math.abs(delayed / N - 0.5) <= 0.016, `delayed ${delayed / N}`);
    assert.ok(Math.abs(aborted / N - 0.1) <= 0.01, `aborted ${aborted / N}`);
    const none = matched([{ route: [{ destination: { host: 'stable-predictor' } }], fault: { abort: { httpStatus: 500 } } }]).route;
    assert.equal(faultAbortStatus(none, () => 0), 0, 'unset percentage means 0% (Istio)');
  });
});

describe('rewrite', () => {
  it('replaces the matched prefix, else the whole path; regex rewrites use RE2 \\1 groups', () => {
    const prefix = matched([{ match: [{ uri: { prefix: '/models/' } }], rewrite: { uri: '/v1/models/' }, route: [{ destination: { host: 'stable-predictor' } }] }], {}, req('/models/churn:predict'));
    assert.equal(rewritePath(prefix, '/models/churn:predict'), '/v1/models/churn:predict');
    const whole = matched([{ rewrite: { uri: '/v1/models/churn-v2:predict' }, route: [{ destination: { host: 'stable-predictor' } }] }]);
    assert.equal(rewritePath(whole, '/v1/models/churn-public:predict'), '/v1/models/churn-v2:predict');
    const regex = matched([{ rewrite: { uriRegexRewrite: { match: '^/v1/models/([^/:]+)(.*)$', rewrite: '/v2/models/\\1/infer' } }, route: [{ destination: { host: 'stable-predictor' } }] }]);
    assert.equal(rewritePath(regex, '/v1/models/churn:predict'), '/v2/models/churn/infer');
    const none = matched([{ route: [{ destination: { host: 'stable-predictor' } }] }]);
    assert.equal(rewritePath(none, '/x'), '/x');
  });
});
