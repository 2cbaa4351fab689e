// Output telemetry for primary traffic through the real gateway: a tiny
// classifier upstream answers each instance with its own first value as the
// label, so the label counts of a window must equal the labels sent — on the
// InferenceService ingress path and on the VirtualService path. Broken
// answers are counted as invalid; unsampled requests copy nothing.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import { startGateway, type Gateway, type GatewaySnapshot, type ResponseRecord } from '../../src/gateway/server.ts';
import { gatewayObservers } from '../../src/gateway/telemetry/hooks.ts';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { vsLookup } from '../../src/gateway/vs-route.ts';

/** V1 classifier: {"instances": [[l, ...], ...]} → {"predictions": [l, ...]}; x-test-answer replaces the answer. */
async function classifier(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const forced = req.headers['x-test-answer'];
      const { instances } = JSON.parse(Buffer.concat(chunks).toString()) as { instances: number[][] };
      const body = typeof forced === 'string' ? forced : JSON.stringify({ predictions: instances.map((i) => i[0]) });
      res.writeHead(200, { 'content-type': 'application/json' });
      // Two writes: the copy must join chunks.
      res.write(body.slice(0, 5));
      res.end(body.slice(5));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

const GW = ['knative-serving/knative-ingress-gateway'];
let up: Awaited<ReturnType<typeof classifier>>;

before(async () => {
  up = await classifier();
});
after(() => up.server.close());

function snapshot(): GatewaySnapshot {
  const ingress = compileIngress([{ namespace: 'ml', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000, traffic: [{ revisionName: 'iris-predictor-00001', percent: 100, latestRevision: true }] }], 'example.com', 1);
  const routing = compileRoutingTable({
    domain: 'example.com', version: 1, inferenceServices: [], destinationRules: [],
    serviceEntries: [{ metadata: { namespace: 'ml', name: 'ext' }, spec: { hosts: ['ext.internal'], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: up.port } }] } }],
    virtualServices: [
      { metadata: { namespace: 'ml', name: 'ext' }, spec: { hosts: ['ext.ml.example.com'], gateways: GW, http: [{ route: [{ destination: { host: 'ext.internal' } }] }] } },
      // A route with its own retry policy: the same exchange path, under that policy.
      { metadata: { namespace: 'ml', name: 'retried' }, spec: { hosts: ['retried.ml.example.com'], gateways: GW, http: [{ retries: { attempts: 2, retryOn: '5xx' }, route: [{ destination: { host: 'ext.internal' } }] }] } },
    ],
  });
  assert.deepEqual(routing.problems, []);
  return { ...ingress, vs: vsLookup(routing) };
}

async function withGateway(opts: { sampleRate: number; maxBodyBytes?: number }, fn: (g: Gateway, t: TelemetryRecorder, records: ResponseRecord[]) => Promise<void>): Promise<void> {
  const telemetry = new TelemetryRecorder({ sampleRate: opts.sampleRate, maxSamplesPerSecond: 100_000, ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) });
  const hooks = gatewayObservers(telemetry);
  const endpoints = new EndpointRegistry();
  endpoints.set('ml/iris-predictor-00001', [`http://127.0.0.1:${up.port}`]);
  const table = snapshot();
  const records: ResponseRecord[] = [];
  const g = await startGateway({
    port: 0, ingress: () => table, endpoints, wantsOutput: hooks.wantsOutput, outputCapBytes: hooks.outputCapBytes,
    onResponse: (r) => {
      records.push(r);
      hooks.onResponse(r);
    },
  });
  try {
    await fn(g, telemetry, records);
  } finally {
    await g.close(1000);
  }
}

async function predict(g: Gateway, host: string, labels: number[], headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`http://127.0.0.1:${g.port}/v1/models/iris:predict`, {
    method: 'POST', headers: { host, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ instances: labels.map((l) => [l, 2.8, 4.8, 1.4]) }),
  });
  await res.body.text();
  return res.statusCode;
}

/** Known traffic: request i carries labels [i % 3] and every 4th one [0, 1, 2]. */
async function knownTraffic(g: Gateway, host: string): Promise<Record<string, number>> {
  const sent: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    const labels = i % 4 === 0 ? [0, 1, 2] : [i % 3];
    for (const l of labels) sent[l] = (sent[l] ?? 0) + 1;
    assert.equal(await predict(g, host, labels), 200);
  }
  return sent;
}

const paths = [
  { name: 'InferenceService ingress', host: 'iris.ml.example.com', series: { namespace: 'ml', service: 'iris', revision: 'iris-predictor-00001' } },
  { name: 'VirtualService to a ServiceEntry', host: 'ext.ml.example.com', series: { namespace: 'ml', service: 'ext.internal', route: 'ml/ext/0', destination: 'ext.internal' } },
  { name: 'VirtualService with retries', host: 'retried.ml.example.com', series: { namespace: 'ml', service: 'ext.internal', route: 'ml/retried/0', destination: 'ext.internal' } },
];

for (const p of paths) {
  describe(`output telemetry on the ${p.name} path`, () => {
    it('counts the labels the upstream answered, exactly', async () => {
      await withGateway({ sampleRate: 1 }, async (g, t, records) => {
        const sent = await knownTraffic(g, p.host);
        const w = t.window({ ...p.series, windowMs: 60_000 });
        assert.equal(w.requests, 60);
        assert.equal(w.outputs, 60);
        assert.equal(w.invalidOutputs, 0);
        assert.deepEqual(w.labels, sent);
        // The record carries both bodies of a sampled request.
        const last = records.at(-1)!;
        assert.equal(last.sampled, true);
        assert.deepEqual(JSON.parse(last.output!.toString()), { predictions: [2] });
        assert.deepEqual(JSON.parse(last.input!.toString()), { instances: [[2, 2.8, 4.8, 1.4]] });
      });
    });

    it('counts answers that are not JSON, carry NaN or have the wrong number of predictions as invalid', async () => {
      await withGateway({ sampleRate: 1 }, async (g, t) => {
        for (let i = 0; i < 6; i++) assert.equal(await predict(g, p.host, [1]), 200);
        for (let i = 0; i < 3; i++) assert.equal(await predict(g, p.host, [1], { 'x-test-answer': 'Internal model error' }), 200);
        assert.equal(await predict(g, p.host, [1], { 'x-test-answer': '{"predictions":[NaN]}' }), 200);
        assert.equal(await predict(g, p.host, [1, 2], { 'x-test-answer': '{"predictions":[1]}' }), 200);
        const w = t.window({ ...p.series, windowMs: 60_000 });
        assert.equal(w.outputs, 11);
        assert.equal(w.invalidOutputs, 5);
        assert.deepEqual(w.labels, { 1: 6 });
        const metrics = await t.metricsText();
        assert.match(metrics, /switchyard_invalid_outputs_total\{[^}]*reason="not_json"\} 3/);
        assert.match(metrics, /switchyard_invalid_outputs_total\{[^}]*reason="shape"\} 1/);
      });
    });

    it('with sampleRate 0 copies and analyses nothing, yet counts every request', async () => {
      await withGateway({ sampleRate: 0 }, async (g, t, records) => {
        await knownTraffic(g, p.host);
        const w = t.window({ ...p.series, windowMs: 60_000 });
        assert.equal(w.requests, 60);
        assert.equal(w.outputs, 0);
        assert.deepEqual(w.labels, {});
        assert.ok(records.every((r) => r.output === undefined && r.input === undefined && r.sampled === undefined));
      });
    });

    it('abandons the copy of an answer over the cap', async () => {
      await withGateway({ sampleRate: 1, maxBodyBytes: 256 }, async (g, t, records) => {
        const big = JSON.stringify({ predictions: Array.from({ length: 200 }, () => 1) });
        assert.equal(await predict(g, p.host, Array.from({ length: 200 }, () => 1), { 'x-test-answer': big }), 200);
        assert.equal(await predict(g, p.host, [2]), 200);
        const w = t.window({ ...p.series, windowMs: 60_000 });
        assert.equal(w.requests, 2);
        assert.equal(w.outputs, 1);
        assert.deepEqual(w.labels, { 2: 1 });
        assert.equal(records[0]!.output, undefined);
        assert.equal(records[0]!.input, undefined, 'the 200-instance request is over the cap too');
      });
    });
  });
}
