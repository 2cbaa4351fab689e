// The KPA end to end: concurrent load through the gateway scales a revision
// up within maxReplicas; when the load stops it scales back to minReplicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { kubectl, removeDir, startUp } from './harness.ts';

test('concurrency above target scales up to maxReplicas, and back down when idle', { timeout: 120_000 }, async () => {
  const up = await startUp();
  try {
    const isvc = {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
      metadata: { name: 'busy', namespace: 'default', annotations: { 'autoscaling.knative.dev/window': '6s' } },
      spec: { predictor: { minReplicas: 1, maxReplicas: 3, scaleMetric: 'concurrency', scaleTarget: 1, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } },
    };
    assert.equal((await kubectl('1.33', up, ['apply', '-f', '-'], { input: JSON.stringify(isvc) })).code, 0);
    assert.equal((await kubectl('1.33', up, ['wait', '--for=condition=Ready', 'isvc/busy', '--timeout=60s'])).code, 0);
    const running = async () => {
      const out = (await kubectl('1.33', up, ['get', 'pods', '-l', 'serving.kserve.io/inferenceservice=busy', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}'])).stdout;
      return out.split('\n').filter((l) => l === 'Running').length;
    };
    assert.equal(await running(), 1);

    // 8 clients in a loop keep about 8 requests in flight: far above the target of 1 per replica.
    let stop = false;
    let failures = 0;
    const client = async () => {
      while (!stop) {
        const res = await request(`${up.gatewayUrl}/v1/models/busy:predict`, { method: 'POST', headers: { host: 'busy.default.example.com' }, body: '{"instances":[[6.8,2.8,4.8,1.4]]}' });
        await res.body.text();
        if (res.statusCode !== 200) failures++;
      }
    };
    const clients = Array.from({ length: 8 }, client);
    let peak = 1;
    const end = Date.now() + 30_000;
    while (Date.now() < end && peak < 3) {
      await new Promise((r) => setTimeout(r, 1000));
      peak = Math.max(peak, await running());
    }
    stop = true;
    await Promise.all(clients);
    assert.equal(peak, 3, 'scaled up to maxReplicas under load');
    assert.equal(failures, 0, 'no request failed while replicas were added');
    assert.ok(await running() <= 3, 'never above maxReplicas');

    const idleEnd = Date.now() + 45_000;
    let now = await running();
    while (Date.now() < idleEnd && now > 1) {
      await new Promise((r) => setTimeout(r, 1000));
      now = await running();
    }
    assert.equal(now, 1, 'back to minReplicas once idle');
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
