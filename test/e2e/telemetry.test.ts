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
    const send = async (model: string) => {
      const res = await request(`${up.gatewayUrl}/v1/models/${model}:predict`, { method: 'POST', headers: { host: 'iris.default.example.com' }, body: '{"instances":[[6.8,2.8,4.8,1.4]]}' });
      await res.body.text();
      return res.statusCode;
    };
    for (let i = 0; i < 40; i++) assert.equal(await send('iris'), 200);
    for (let i = 0; i < 5; i++) assert.equal(await send('other'), 404); // the model server's 404, through the iris revision

    const metrics = await (await fetch(`${up.gatewayUrl}/metrics`)).text();
    const labels = 'namespace="default",service="iris",revision="iris-predictor-00001",role="primary"';
    assert.match(metrics, new RegExp(`^switchyard_requests_total\\{${labels},code="200"\\} 40$`, 'm'));
    assert.match(metrics, new RegExp(`^switchyard_requests_total\\{${labels},code="404"\\} 5$`, 'm'));
    assert.match(metrics, new RegExp(`^switchyard_request_duration_seconds_count\\{${labels}\\} 45$`, 'm'));
    assert.match(metrics, /^# TYPE switchyard_request_duration_seconds histogram$/m);

    const window = (await (await apiFetch(up, '/switchyard/v1/namespaces/default/telemetry?service=iris&windowMs=600000')).json()) as { requests: number; errors: number; errorsByClass: Record<string, number>; latency: { p50: number; p99: number } };
    assert.equal(window.requests, 45);
    assert.equal(window.errors, 0);
    assert.equal(window.errorsByClass['4xx'], 5);
    assert.ok(window.latency.p50 > 0 && window.latency.p99 >= window.latency.p50);

    await new Promise((r) => setTimeout(r, 1500)); // the prediction log writes in batches, at least once a second
    const cli = await run(process.execPath, [BIN, 'predictions', '-n', 'default', '--service', 'iris', '--since', '5m', '--limit', '100'], { env: { KUBECONFIG: up.kubeconfig } });
    assert.equal(cli.code, 0, cli.stderr);
    const rows = cli.stdout.trim().split('\n');
    assert.match(rows[0]!, /^TIME\s+REQUEST ID\s+SERVICE\s+REVISION\s+VARIANT\s+ROLE\s+STATUS\s+LATENCY MS\s+OUTPUT$/);
    assert.equal(rows.length - 1, 45);
    assert.equal(rows.filter((r) => /\s404\s/.test(r)).length, 5);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
