// Telemetry checked against known traffic through the real gateway: the
// Prometheus exposition, the API's windows, and the prediction log via the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { BIN, apiFetch, kubectl, removeDir, run, startUp } from './harness.ts';

test('requests, errors and latency per revision match the traffic sent', { timeout: 120_000 }, async () => {
  const up = await startUp();
  try {
    const isvc = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } } };
    assert.equal((await kubectl('1.33', up, ['apply', '-f', '-'], { input: JSON.stringify(isvc) })).code, 0);
    assert.equal((await kubectl('1.33', up, ['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s'])).code, 0);
    // Labels the clients saw, to compare with the output telemetry (every response is sampled by default).
    const seen: Record<string, number> = {};
    const inputs = [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]];
    const send = async (model: string, i = 0) => {
      const res = await request(`${up.gatewayUrl}/v1/models/${model}:predict`, { method: 'POST', headers: { host: 'iris.default.example.com' }, body: JSON.stringify({ instances: [inputs[i % 3]] }) });
      const text = await res.body.text();
      if (res.statusCode === 200) for (const l of (JSON.parse(text) as { predictions: unknown[] }).predictions) seen[String(l)] = (seen[String(l)] ?? 0) + 1;
      return res.statusCode;
    };
    for (let i = 0; i < 40; i++) assert.equal(await send('iris', i), 200);
    for (let i = 0; i < 5; i++) assert.equal(await send('other'), 404); // the model server's 404, through the iris revision

    const metrics = await (await fetch(`${up.gatewayUrl}/metrics`)).text();
    const labels = 'namespace="default",service="iris",revision="iris-predictor-00001",role="primary"';
    assert.match(metrics, new RegExp(`^switchyard_requests_total\\{${labels},code="200"\\} 40$`, 'm'));
    assert.match(metrics, new RegExp(`^switchyard_requests_total\\{${labels},code="404"\\} 5$`, 'm'));
    assert.match(metrics, new RegExp(`^switchyard_request_duration_seconds_count\\{${labels}\\} 45$`, 'm'));
    assert.match(metrics, /^# TYPE switchyard_request_duration_seconds histogram$/m);

    const window = (await (await apiFetch(up, '/switchyard/v1/namespaces/default/telemetry?service=iris&windowMs=600000')).json()) as { requests: number; errors: number; errorsByClass: Record<string, number>; latency: { p50: number; p99: number }; outputs: number; invalidOutputs: number; labels: Record<string, number> };
    assert.equal(window.requests, 45);
    // Output telemetry of primary traffic: the 40 answers' labels, exactly; the model server's 404s are not outputs.
    assert.equal(window.outputs, 40);
    assert.equal(window.invalidOutputs, 0);
    assert.deepEqual(window.labels, seen);
    assert.ok(Object.keys(seen).length >= 2, `the rows should get different labels: ${JSON.stringify(seen)}`);
    assert.equal(window.errors, 0);
    assert.equal(window.errorsByClass['4xx'], 5);
    assert.ok(window.latency.p50 > 0 && window.latency.p99 >= window.latency.p50);

    await new Promise((r) => setTimeout(r, 1500)); // the prediction log writes in batches, at least once a second
    const cli = await run(process.execPath, [BIN, 'predictions', '-n', 'default', '--service', 'iris', '--since', '5m', '--limit', '100'], { env: { KUBECONFIG: up.kubeconfig } });
    assert.equal(cli.code, 0, cli.stderr);
    const [policy, ...rows] = cli.stdout.trim().split('\n');
    assert.equal(policy, 'Policy: default (no PredictionLogPolicy): inputs not stored; rows kept 168h');
    assert.match(rows[0]!, /^TIME\s+REQUEST ID\s+SERVICE\s+REVISION\s+VARIANT\s+ROLE\s+STATUS\s+LATENCY MS\s+OUTPUT$/);
    assert.equal(rows.length - 1, 45);
    assert.equal(rows.filter((r) => /\s404\s/.test(r)).length, 5);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
