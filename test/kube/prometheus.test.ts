// The Prometheus gate provider against a real Prometheus (Debian package
// `prometheus`) scraping a real gateway's /metrics. Known traffic goes through
// the gateway in two stages, one before Prometheus' first scrape and one after,
// so rate() over the window sees exactly the second stage: the candidate's 5xx
// rate is 10/200 and the baseline's 1/100.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { evaluateLook, type GateAlpha, type GateSpec, type ProviderResult } from '../../src/analysis/gates.ts';
import { emptySide } from '../../src/analysis/evidence.ts';
import { addWindow, newStepEvidence } from '../../src/analysis/step-evidence.ts';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { prometheusProviderResults, queryPrometheus, type PrometheusContext } from '../../src/kube/prometheus.ts';
import { skipUnless } from '../prerequisite.ts';

const SKIP = skipUnless(
  spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0,
  'the prometheus binary is not installed (Debian package prometheus; .ci/run installs it)',
);

const CANDIDATE = 'iris-predictor-00002';
const BASELINE = 'iris-predictor-00001';
const SEL = 'namespace="{{namespace}}",service="{{service}}",revision="{{revision}}"';
const ERROR_RATE = `sum(rate(switchyard_requests_total{${SEL},code=~"5.."}[{{window}}])) / sum(rate(switchyard_requests_total{${SEL}}[{{window}}]))`;
const P99 = `histogram_quantile(0.99, sum by (le) (rate(switchyard_request_duration_seconds_bucket{${SEL}}[{{window}}])))`;

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Answers with the status in x-status after `delayMs`. */
async function upstream(delayMs: number): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
      res.writeHead(Number(req.headers['x-status'] ?? 200), { 'content-type': 'application/json' });
      res.end('{"predictions":[1]}');
    }, delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let gw: Gateway;
let slow: Awaited<ReturnType<typeof upstream>>;
let fast: Awaited<ReturnType<typeof upstream>>;
let hang: Server;
let prom: ChildProcess | undefined;
let promLog = '';
let dir: string;
let address = '';
const startedAt = Date.now();

/** Sends `n` requests with `status` to one revision through its tag host, 32 at a time. */
async function send(tag: 'latest' | 'prev', status: number, n: number): Promise<void> {
  let left = n;
  const worker = async () => {
    while (left-- > 0) {
      const res = await request(`http://127.0.0.1:${gw.port}/v1/models/iris:predict`, {
        method: 'POST', headers: { host: `${tag}-iris-predictor.ns.example.com`, 'x-status': String(status), 'content-type': 'application/json' }, body: '{"instances":[[1]]}',
      });
      await res.body.dump();
      assert.equal(res.statusCode, status);
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, n) }, worker));
}

/** Polls until Prometheus has scraped `total` requests of `revision` (so a stage is fully visible). */
async function scraped(revision: string, total: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await queryPrometheus(address, `sum(switchyard_requests_total{revision="${revision}"})`, { timeoutMs: 1000 });
    if ((last as { value?: number }).value === total) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`Prometheus did not scrape ${total} requests of ${revision}: last ${JSON.stringify(last)}\n${promLog.slice(-2000)}`);
}

before(async () => {
  if (SKIP) return;
  slow = await upstream(120);
  fast = await upstream(0);
  const endpoints = new EndpointRegistry();
  endpoints.set(`ns/${CANDIDATE}`, [slow.origin]);
  endpoints.set(`ns/${BASELINE}`, [fast.origin]);
  const table = compileIngress([{ namespace: 'ns', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [
    { revisionName: CANDIDATE, percent: 10, tag: 'latest', latestRevision: true },
    { revisionName: BASELINE, percent: 90, tag: 'prev', latestRevision: false },
  ] }], 'example.com', 1);
  const telemetry = new TelemetryRecorder();
  gw = await startGateway({
    port: 0, ingress: () => table, endpoints, onResponse: (r) => telemetry.record(r),
    metrics: async () => ({ contentType: telemetry.contentType, body: await telemetry.metricsText() }),
  });
  hang = createServer(() => {}); // accepts and never answers
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));

  // Stage 1, all seen by the first scrape: every series exists before rate() looks at it.
  await Promise.all([send('latest', 200, 400), send('latest', 500, 20), send('prev', 200, 400), send('prev', 500, 20)]);

  dir = mkdtempSync(join(tmpdir(), 'sy-prom-'));
  const port = await freePort();
  address = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}',
    'scrape_configs:',
    '  - job_name: switchyard',
    `    static_configs: [{targets: ["127.0.0.1:${gw.port}"]}]`,
  ].join('\n'));
  prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout!.on('data', (d) => (promLog += d));
  prom.stderr!.on('data', (d) => (promLog += d));
  await scraped(CANDIDATE, 420);

  // Stage 2: candidate 10 of 200 fail, baseline 1 of 100.
  await Promise.all([send('latest', 200, 190), send('latest', 500, 10), send('prev', 200, 99), send('prev', 500, 1)]);
  await scraped(CANDIDATE, 620);
  await scraped(BASELINE, 520);
});

after(async () => {
  if (SKIP) return;
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  hang.closeAllConnections();
  hang.close();
  await gw.close(1000);
  slow.server.close();
  fast.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALPHA: GateAlpha = { step: 0.01, window: 0 };

/** The gates judged after `windows` windows that each returned these provider results (one request each on the gateway's side). */
function judged(gates: GateSpec[], results: Record<string, ProviderResult>, windows = 1) {
  const w = { fromMs: 0, toMs: 1, candidate: { ...emptySide(), requests: 1 }, baseline: emptySide(), providers: results };
  let step = newStepEvidence(0);
  for (let i = 0; i < windows; i++) step = addWindow(step, w);
  return evaluateLook(gates, { step, window: w }, ALPHA, 0);
}

const ctx = (over: Partial<PrometheusContext> = {}): PrometheusContext => ({
  namespace: 'ns', service: 'iris', candidate: CANDIDATE, baseline: BASELINE, window: '30s', defaultAddress: address, timeoutMs: 3000, ...over,
});

test('the 5xx rate of the candidate and of the baseline are the rates of the known traffic', { skip: SKIP }, async () => {
  const gates: GateSpec[] = [{ metric: 'errorRate', name: 'prom-errors', maxDelta: 0.02, provider: { prometheus: { query: ERROR_RATE } } }];
  const r = (await prometheusProviderResults(gates, ctx()))['prom-errors']!;
  assert.equal(r.error, undefined);
  assert.ok(Math.abs(r.value! - 10 / 200) < 1e-9, `candidate ${r.value}`);
  assert.ok(Math.abs(r.baseline! - 1 / 100) < 1e-9, `baseline ${r.baseline}`);
  // 0.05 − 0.01 = 0.04 exceeds maxDelta 0.02: once enough windows agree, the gate fails on the provider's numbers.
  assert.equal(judged(gates, { 'prom-errors': r }, 1).gates[0]!.verdict, 'inconclusive', 'one window is not enough to judge a mean of values');
  assert.equal(judged(gates, { 'prom-errors': r }, 5).gates[0]!.verdict, 'fail');
});

test('events and total are counted per revision and judged as a rate over the step', { skip: SKIP }, async () => {
  const count = (code: string) => `sum(increase(switchyard_requests_total{${SEL}${code}}[{{window}}]))`;
  const gates: GateSpec[] = [{ metric: 'errorRate', name: 'prom-5xx', max: 0.01, provider: { prometheus: { events: count(',code=~"5.."'), total: count('') } } }];
  const r = (await prometheusProviderResults(gates, ctx()))['prom-5xx']!;
  assert.equal(r.error, undefined);
  // increase() extrapolates to the window's edges, so the counts are close to, not exactly, 10 of 200 and 1 of 100.
  const c = r.counts!.candidate;
  assert.ok(Math.abs(c.events / c.total - 10 / 200) < 0.01 && c.total > 150, `candidate ${JSON.stringify(c)}`);
  assert.ok(r.counts!.baseline!.total > 70, `baseline ${JSON.stringify(r.counts!.baseline)}`);
  // 5 % errors against a 1 % limit: a few windows of such counts fail the gate.
  assert.equal(judged(gates, { 'prom-5xx': r }, 5).gates[0]!.verdict, 'fail');
});

test('p99 latency from the duration histogram puts the 120 ms candidate in its bucket and the baseline below', { skip: SKIP }, async () => {
  const gates: GateSpec[] = [{ metric: 'latencyP99Seconds', max: 0.5, provider: { prometheus: { query: P99, address } } }];
  const r = (await prometheusProviderResults(gates, ctx({ defaultAddress: 'http://127.0.0.1:1' })))['latencyP99Seconds']!;
  assert.equal(r.error, undefined);
  // Every candidate request took 120 ms or more: its p99 lies above the 0.1 s bucket bound (0.2485 s
  // on a quiet machine; a loaded one may push some past 250 ms, so no upper bound is asserted).
  assert.ok(r.value! > 0.1, `candidate p99 ${r.value}`);
  assert.ok(r.baseline! < r.value!, `baseline p99 ${r.baseline} vs ${r.value}`);
});

test('an empty result and a NaN are nodata, not errors', { skip: SKIP }, async () => {
  const gates: GateSpec[] = [
    { metric: 'absent', max: 1, provider: { prometheus: { query: ERROR_RATE } } },
    { metric: 'nan', max: 1, provider: { prometheus: { query: 'vector(0) / vector(0)' } } },
  ];
  const rs = await prometheusProviderResults(gates, ctx({ candidate: 'no-such-revision', baseline: 'nor-this-one' }));
  assert.deepEqual(rs, { absent: {}, nan: {} });
  assert.deepEqual(judged(gates, rs, 3).gates.map((g) => g.verdict), ['nodata', 'nodata']);
});

test('an infinite value is a value: +Inf fails a max, -Inf fails a min (docs/prometheus.md)', { skip: SKIP }, async () => {
  const gates: GateSpec[] = [
    { metric: 'inf', max: 1, provider: { prometheus: { query: 'vector(1) / vector(0)' } } },
    { metric: 'minusInf', min: 0, provider: { prometheus: { query: '-vector(1) / vector(0)' } } },
  ];
  const rs = await prometheusProviderResults(gates, ctx());
  assert.deepEqual(rs, { inf: { value: Infinity }, minusInf: { value: -Infinity } });
  // One window is enough: an infinite value fails its threshold at once.
  assert.deepEqual(judged(gates, rs, 1).gates.map((g) => g.verdict), ['fail', 'fail']);
});

test('the evaluation time is sent: before any scrape the same query has no data', { skip: SKIP }, async () => {
  const q = await queryPrometheus(address, `sum(switchyard_requests_total{revision="${CANDIDATE}"})`, { timeoutMs: 3000, now: () => startedAt - 60_000 });
  assert.deepEqual(q, {});
});

test('malformed PromQL is an error verdict that counts toward the error limit, not a failure', { skip: SKIP }, async () => {
  const gates: GateSpec[] = [{ metric: 'broken', max: 1, provider: { prometheus: { query: 'sum(rate(switchyard_requests_total[{{window}}]' } } }];
  const rs = await prometheusProviderResults(gates, ctx());
  assert.match(rs.broken!.error!, /candidate query: prometheus http:\/\/127\.0\.0\.1:\d+: bad_data: .*parse error/);
  const w = judged(gates, rs);
  assert.equal(w.verdict, 'error');
  assert.equal(w.consecutiveErrors, 1);
});

test('several series are an error naming the count; a range vector is an error', { skip: SKIP }, async () => {
  const many = await queryPrometheus(address, `switchyard_requests_total{revision="${CANDIDATE}"}`, { timeoutMs: 3000 });
  assert.match(many.error!, /returned 2 series .*code="(200|500)".*sum\(/);
  const range = await queryPrometheus(address, `switchyard_requests_total{revision="${CANDIDATE}",code="500"}[30s]`, { timeoutMs: 3000 });
  assert.match(range.error!, /range vector/);
});

test('escaped names reach Prometheus as label strings', { skip: SKIP }, async () => {
  const rs = await prometheusProviderResults([{ metric: 'odd', max: 1, provider: { prometheus: { query: ERROR_RATE } } }], ctx({ candidate: 'a"b\\c\nd', baseline: undefined }));
  assert.deepEqual(rs, { odd: {} }); // parsed and matched nothing, rather than a parse error
});

test('Prometheus down, a stalled server and a missing address are errors, within the timeout', { skip: SKIP }, async () => {
  const gate: GateSpec = { metric: 'm', max: 1, provider: { prometheus: { query: ERROR_RATE } } };
  const down = await prometheusProviderResults([gate], ctx({ defaultAddress: `http://127.0.0.1:${await freePort()}` }));
  assert.match(down.m!.error!, /candidate query: .*ECONNREFUSED/);

  const t0 = Date.now();
  const stalled = await prometheusProviderResults([gate], ctx({ defaultAddress: `http://127.0.0.1:${(hang.address() as AddressInfo).port}`, timeoutMs: 300 }));
  const took = Date.now() - t0;
  assert.match(stalled.m!.error!, /timed out after 300 ms/);
  assert.ok(took >= 280 && took < 2000, `took ${took} ms`);

  const none = await prometheusProviderResults([gate], ctx({ defaultAddress: undefined, env: {} }));
  assert.match(none.m!.error!, /no Prometheus address.*SWITCHYARD_PROMETHEUS_URL/);
  const fromEnv = await prometheusProviderResults([gate], ctx({ defaultAddress: undefined, env: { SWITCHYARD_PROMETHEUS_URL: `${address}/` } }));
  assert.ok(Math.abs(fromEnv.m!.value! - 0.05) < 1e-9);
});

// Without the binary: a stand-in that answers like Prometheus' query API, to pin the request and the parsing.
async function standIn(answer: (query: string) => { status?: number; body: string }): Promise<{ address: string; seen: URLSearchParams[]; paths: string[]; close: () => void }> {
  const seen: URLSearchParams[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push(form);
      paths.push(`${req.method} ${req.url}`);
      const a = answer(form.get('query') ?? '');
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { address: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom/`, seen, paths, close: () => { server.closeAllConnections(); server.close(); } };
}

const vec = (v: string) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, v] }] } });

test('the query is POSTed under the address prefix with the evaluation time and the timeout', async () => {
  const s = await standIn(() => ({ body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '+Inf'] } }) }));
  try {
    const r = await queryPrometheus(s.address, 'scalar(x)', { timeoutMs: 1500, now: () => 1_700_000_000_250 });
    assert.deepEqual(r, { value: Infinity });
    assert.deepEqual(s.paths, ['POST /prom/api/v1/query']);
    assert.deepEqual(Object.fromEntries(s.seen[0]!), { query: 'scalar(x)', timeout: '1500ms', time: '1700000000.250' });
  } finally {
    s.close();
  }
});

test('a failed baseline query is an error only for gates that compare against the baseline', async () => {
  const s = await standIn((q) => (q.includes('"old"') ? { status: 503, body: 'overloaded' } : { body: vec('0.25') }));
  try {
    const gates: GateSpec[] = [
      { metric: 'a', max: 1, provider: { prometheus: { query: 'x{revision="{{revision}}"}' } } },
      { metric: 'b', maxDelta: 0.1, provider: { prometheus: { query: 'x{revision="{{revision}}"}' } } },
      { metric: 'c', maxDelta: 0.1, provider: { prometheus: { query: 'x{service="{{service}}"}' } } },
      { metric: 'd', max: 1, provider: { prometheus: { query: 'x{pod="{{pod}}"}' } } },
      { metric: 'errorRate', max: 0.01 },
    ];
    const rs = await prometheusProviderResults(gates, { namespace: 'ns', service: 'iris', candidate: 'new', baseline: 'old', window: '1m', defaultAddress: s.address });
    assert.deepEqual(Object.keys(rs).sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(rs.a, { value: 0.25 });
    assert.match(rs.b!.error!, /^baseline query: prometheus http:\/\/127\.0\.0\.1:\d+: HTTP 503: overloaded$/);
    assert.deepEqual(rs.c, { value: 0.25 }); // no {{revision}}: one query, no baseline
    assert.match(rs.d!.error!, /unknown placeholder \{\{pod\}\}/);
    assert.equal(s.seen.filter((f) => f.get('query')!.includes('pod')).length, 0);
    assert.equal(s.seen.length, 5); // a and b: candidate and baseline; c: candidate only; d: none
  } finally {
    s.close();
  }
});

test('an aborted signal and an address that is not http are errors', async () => {
  const ac = new AbortController();
  ac.abort();
  assert.match((await queryPrometheus('http://127.0.0.1:1', 'up', { timeoutMs: 1000, signal: ac.signal })).error!, /aborted/);
  assert.match((await queryPrometheus('prometheus:9090', 'up', { timeoutMs: 1000 })).error!, /not an http\(s\) URL/);
});
