// Per-request matching of VirtualService http routes: every condition type,
// AND within a block, OR across blocks, first route wins, hosts and gateways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutingTable, type VirtualServiceInput } from '../../src/gateway/routing/compile.ts';
import { matchRequest } from '../../src/gateway/routing/match.ts';
import { compileRegex } from '../../src/core/re2.ts';
import type { RequestView } from '../../src/gateway/routing/types.ts';

const GW = 'knative-serving/knative-ingress-gateway';
const HOST = 'churn.ml.example.com';

function req(opts: { method?: string; path?: string; host?: string; headers?: Record<string, string>; query?: Record<string, string>; scheme?: string; port?: number } = {}): RequestView {
  const h = opts.headers ?? {};
  const q = opts.query ?? {};
  return { method: opts.method ?? 'POST', path: opts.path ?? '/v1/models/churn:predict', host: opts.host ?? HOST, headers: (n) => h[n], query: (n) => q[n], scheme: opts.scheme, port: opts.port };
}

const dest = (host: string) => [{ destination: { host } }];

function table(http: unknown[], extra: Partial<VirtualServiceInput['spec']> = {}, vsExtra: VirtualServiceInput[] = []) {
  const vs: VirtualServiceInput = { metadata: { namespace: 'ml', name: 'churn' }, spec: { hosts: [HOST], gateways: [GW], http: http as never, ...extra } };
  return compileRoutingTable({
    domain: 'example.com',
    version: 1,
    inferenceServices: [{ namespace: 'ml', name: 'a' }, { namespace: 'ml', name: 'b' }],
    serviceEntries: [],
    destinationRules: [],
    virtualServices: [vs, ...vsExtra],
  });
}

/** Which route name answers, or undefined for no match. */
function routed(t: ReturnType<typeof table>, r: RequestView, gateway = GW): string | undefined {
  const m = matchRequest(t, gateway, r);
  return m ? (m.route.name ?? String(m.route.index)) : undefined;
}

function cases(match: unknown, rows: [RequestView, boolean][]) {
  const t = table([{ name: 'hit', match: [match], route: dest('a-predictor') }]);
  assert.deepEqual(t.problems, []);
  rows.forEach(([r, expected], i) => assert.equal(routed(t, r) === 'hit', expected, `row ${i}: ${JSON.stringify(match)}`));
}

describe('match conditions', () => {
  it('uri exact / prefix / regex / ignoreUriCase', () => {
    cases({ uri: { exact: '/v1/models/churn:predict' } }, [
      [req(), true],
      [req({ path: '/v1/models/churn:predict/' }), false],
      [req({ path: '/V1/models/churn:predict' }), false],
    ]);
    cases({ uri: { prefix: '/v1/models/' } }, [
      [req(), true],
      [req({ path: '/v1/models/' }), true],
      [req({ path: '/v2/models/churn/infer' }), false],
    ]);
    // RE2 semantics: the regex must match the whole value.
    cases({ uri: { regex: '/v[12]/models/[a-z]+.*' } }, [
      [req(), true],
      [req({ path: '/v2/models/churn/infer' }), true],
      [req({ path: 'x/v1/models/churn' }), false],
      [req({ path: '/v3/models/churn' }), false],
    ]);
    cases({ uri: { exact: '/Health' }, ignoreUriCase: true }, [
      [req({ path: '/health' }), true],
      [req({ path: '/HEALTH' }), true],
      [req({ path: '/healthz' }), false],
    ]);
    cases({ uri: { prefix: '/API/' }, ignoreUriCase: true }, [
      [req({ path: '/api/x' }), true],
      [req({ path: '/Api/y' }), true],
      [req({ path: '/ap' }), false],
    ]);
  });

  it('headers exact / prefix / regex / presence ({})', () => {
    cases({ headers: { 'x-user-cohort': { exact: 'treatment' } } }, [
      [req({ headers: { 'x-user-cohort': 'treatment' } }), true],
      [req({ headers: { 'x-user-cohort': 'Treatment' } }), false],
      [req({ headers: { 'x-user-cohort': 'treatment2' } }), false],
      [req(), false],
    ]);
    cases({ headers: { 'x-tier': { prefix: 'prem' } } }, [
      [req({ headers: { 'x-tier': 'premium' } }), true],
      [req({ headers: { 'x-tier': 'free' } }), false],
      [req(), false],
    ]);
    cases({ headers: { 'x-user-id': { regex: 'u-[0-9]{3}' } } }, [
      [req({ headers: { 'x-user-id': 'u-123' } }), true],
      [req({ headers: { 'x-user-id': 'u-1234' } }), false],
      [req({ headers: { 'x-user-id': 'xu-123' } }), false],
    ]);
    // Istio: an empty match object checks presence only — even an empty value is present.
    cases({ headers: { 'x-debug': {} } }, [
      [req({ headers: { 'x-debug': '' } }), true],
      [req({ headers: { 'x-debug': 'anything' } }), true],
      [req(), false],
    ]);
    // Header names are case-insensitive: the config's name is lower-cased.
    cases({ headers: { 'X-Canary': { exact: 'yes' } } }, [[req({ headers: { 'x-canary': 'yes' } }), true]]);
  });

  it('withoutHeaders: matches unless the header is present and matches', () => {
    cases({ withoutHeaders: { 'x-bot': { exact: 'true' } } }, [
      [req(), true],
      [req({ headers: { 'x-bot': 'false' } }), true],
      [req({ headers: { 'x-bot': 'true' } }), false],
    ]);
    cases({ withoutHeaders: { 'x-internal': {} } }, [
      [req(), true],
      [req({ headers: { 'x-internal': '' } }), false],
    ]);
  });

  it('queryParams exact / prefix / regex / presence', () => {
    cases({ queryParams: { variant: { exact: 'b' } } }, [
      [req({ query: { variant: 'b' } }), true],
      [req({ query: { variant: 'bb' } }), false],
      [req(), false],
    ]);
    // Istio: `?debug` (no value) is matched with exact: "".
    cases({ queryParams: { debug: { exact: '' } } }, [
      [req({ query: { debug: '' } }), true],
      [req({ query: { debug: '1' } }), false],
    ]);
    cases({ queryParams: { v: { prefix: '2.' } } }, [
      [req({ query: { v: '2.1' } }), true],
      [req({ query: { v: '1.2' } }), false],
    ]);
    cases({ queryParams: { id: { regex: '[0-9]+' } } }, [
      [req({ query: { id: '42' } }), true],
      [req({ query: { id: '42a' } }), false],
    ]);
    cases({ queryParams: { trace: {} } }, [
      [req({ query: { trace: 'x' } }), true],
      [req(), false],
    ]);
  });

  it('method, authority, scheme and port', () => {
    cases({ method: { exact: 'GET' } }, [
      [req({ method: 'GET' }), true],
      [req({ method: 'POST' }), false],
    ]);
    cases({ method: { regex: 'GET|HEAD' } }, [
      [req({ method: 'HEAD' }), true],
      [req({ method: 'POST' }), false],
    ]);
    cases({ authority: { prefix: 'churn.' } }, [[req(), true]]);
    cases({ scheme: { exact: 'https' } }, [
      [req({ scheme: 'https' }), true],
      [req(), false],
    ]);
    cases({ port: 8443 }, [
      [req({ port: 8443 }), true],
      [req({ port: 8080 }), false],
      [req(), false],
    ]);
  });
});

describe('combining conditions and routes', () => {
  it('conditions in one block AND, blocks OR, empty block matches all', () => {
    cases({ uri: { prefix: '/v1/' }, headers: { 'x-a': { exact: '1' } }, method: { exact: 'POST' } }, [
      [req({ headers: { 'x-a': '1' } }), true],
      [req({ headers: { 'x-a': '1' }, method: 'GET' }), false],
      [req({ headers: { 'x-a': '1' }, path: '/v2/x' }), false],
      [req(), false],
    ]);
    const t = table([{ name: 'either', match: [{ headers: { 'x-a': { exact: '1' } } }, { queryParams: { a: { exact: '1' } } }], route: dest('a-predictor') }]);
    assert.equal(routed(t, req({ headers: { 'x-a': '1' } })), 'either');
    assert.equal(routed(t, req({ query: { a: '1' } })), 'either');
    assert.equal(routed(t, req()), undefined);
    cases({}, [[req({ method: 'DELETE', path: '/anything' }), true]]);
  });

  it('the first matching route wins, in order; a default route catches the rest', () => {
    const t = table([
      { name: 'treatment', match: [{ headers: { 'x-user-cohort': { exact: 'treatment' } } }], route: dest('b-predictor') },
      { name: 'broad', match: [{ uri: { prefix: '/' } }], route: dest('a-predictor') },
      { name: 'never-reached', match: [{ headers: { 'x-user-cohort': { exact: 'control' } } }], route: dest('a-predictor') },
      { name: 'default', route: dest('a-predictor') },
    ]);
    assert.equal(routed(t, req({ headers: { 'x-user-cohort': 'treatment' } })), 'treatment');
    assert.equal(routed(t, req({ headers: { 'x-user-cohort': 'control' } })), 'broad');
    assert.equal(routed(t, req({ path: 'no-slash' })), 'default');
  });

  it('routes of several VirtualServices on one host are tried oldest first', () => {
    const older: VirtualServiceInput = { metadata: { namespace: 'ml', name: 'zz-older', creationTimestamp: '2020-01-01T00:00:00Z' }, spec: { hosts: [HOST], gateways: [GW], http: [{ name: 'older', match: [{ uri: { prefix: '/v1' } }], route: dest('b-predictor') }] } };
    const t2 = compileRoutingTable({ domain: 'example.com', version: 2, inferenceServices: [{ namespace: 'ml', name: 'a' }, { namespace: 'ml', name: 'b' }], serviceEntries: [], destinationRules: [], virtualServices: [{ metadata: { namespace: 'ml', name: 'aa-newer', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { hosts: [HOST], gateways: [GW], http: [{ name: 'newer', route: dest('a-predictor') }] } }, older] });
    assert.equal(routed(t2, req()), 'older');
    assert.equal(routed(t2, req({ path: '/v2/x' })), 'newer');
  });
});

describe('hosts and gateways', () => {
  it('exact host beats wildcard; longest wildcard wins; * catches all; port and case ignored', () => {
    const mk = (name: string, host: string): VirtualServiceInput => ({ metadata: { namespace: 'ml', name }, spec: { hosts: [host], gateways: [GW], http: [{ name, route: dest('a-predictor') }] } });
    const t = compileRoutingTable({ domain: 'example.com', version: 1, inferenceServices: [{ namespace: 'ml', name: 'a' }], serviceEntries: [], destinationRules: [], virtualServices: [mk('all', '*'), mk('wide', '*.example.com'), mk('narrow', '*.ml.example.com'), mk('exact', HOST)] });
    assert.equal(routed(t, req({ host: HOST })), 'exact');
    assert.equal(routed(t, req({ host: 'Churn.ML.example.com:8080' })), 'exact');
    assert.equal(routed(t, req({ host: 'other.ml.example.com' })), 'narrow');
    assert.equal(routed(t, req({ host: 'a.b.ml.example.com' })), 'narrow');
    assert.equal(routed(t, req({ host: 'x.example.com' })), 'wide');
    assert.equal(routed(t, req({ host: 'example.com' })), 'all');
    assert.equal(routed(t, req({ host: '[::1]:8080' })), 'all');
  });

  it('without gateways a VirtualService applies to the mesh only; short names resolve in its namespace', () => {
    const t = compileRoutingTable({ domain: 'example.com', version: 1, inferenceServices: [{ namespace: 'ml', name: 'a' }], serviceEntries: [], destinationRules: [], virtualServices: [{ metadata: { namespace: 'ml', name: 'm' }, spec: { hosts: ['churn-router'], http: [{ name: 'm', route: dest('a-predictor') }] } }] });
    assert.equal(routed(t, req({ host: 'churn-router.ml.svc.cluster.local' }), 'mesh'), 'm');
    assert.equal(routed(t, req({ host: 'churn-router.ml' }), 'mesh'), 'm');
    assert.equal(routed(t, req({ host: 'churn-router.ml.svc' }), 'mesh'), 'm');
    assert.equal(routed(t, req({ host: 'churn-router.ml.svc.cluster.local' }), GW), undefined);
  });

  it('named gateways: short gateway names are in the VirtualService namespace; match-level gateways narrow a block', () => {
    const t = table(
      [
        { name: 'mesh-only', match: [{ gateways: ['mesh'], uri: { prefix: '/' } }], route: dest('b-predictor') },
        { name: 'default', route: dest('a-predictor') },
      ],
      { gateways: ['mesh', 'my-gw', GW] },
    );
    assert.equal(routed(t, req(), 'mesh'), 'mesh-only');
    assert.equal(routed(t, req(), GW), 'default');
    assert.equal(routed(t, req(), 'ml/my-gw'), 'default');
    assert.equal(routed(t, req(), 'other/my-gw'), undefined);
  });
});

describe('regex safety', () => {
  it('compiles once, anchors, and refuses what RE2 refuses or what backtracks badly', () => {
    assert.ok('re' in compileRegex('(?i)abc') && (compileRegex('(?i)abc') as { re: RegExp }).re.test('ABC'));
    for (const bad of ['(a+)+', '(\\w*)*b', '(x+x+)+y', '(-[a-z-]+)*', '(-.+)*', '(?:-\\w+)+', '(a)\\1', 'a(?=b)', '(?<!a)b', 'a'.repeat(2000), '(unclosed']) {
      assert.ok('error' in compileRegex(bad), bad);
    }
    for (const ok of ['(ab)+', '(a|b)*', '[a-z]+(-[a-z0-9]+)*', '[a-z]+(?:\\.[a-z]+)+', '(a+)?', 'x{2,5}', '(?P<v>v[0-9])']) assert.ok('re' in compileRegex(ok), ok);
  });

  it('a rejected regex is reported and its block never matches', () => {
    const t = table([{ name: 'bad', match: [{ headers: { 'x-a': { regex: '(a+)+$' } } }], route: dest('a-predictor') }, { name: 'default', route: dest('a-predictor') }]);
    assert.equal(t.problems.length, 1);
    assert.equal(t.problems[0]!.field, 'spec.http[0].match[0].headers.x-a.regex');
    assert.equal(routed(t, req({ headers: { 'x-a': 'aaaa' } })), 'default');
  });
});

describe('hot path cost', () => {
  it('matches 100k requests through a 20-route table quickly (catches accidental O(n^2))', () => {
    const http = Array.from({ length: 19 }, (_, i) => ({
      name: `r${i}`,
      match: [{ uri: { prefix: `/v1/models/m${i}` }, headers: { 'x-tier': { regex: `t${i}-[a-z]+` } } }, { queryParams: { route: { exact: `r${i}` } } }],
      route: dest('a-predictor'),
    }));
    const t = table([...http, { name: 'default', route: dest('b-predictor') }]);
    const headers = { 'x-tier': 'premium' };
    const query = { route: 'none' };
    const r = req({ headers, query });
    let hits = 0;
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) if (matchRequest(t, GW, r)?.route.name === 'default') hits++;
    const ms = performance.now() - start;
    assert.equal(hits, 100_000);
    // Each request tries all 39 blocks; ~4M condition checks. Measured well under 1 s; the bound is generous for a shared 2-core box.
    assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
  });
});
