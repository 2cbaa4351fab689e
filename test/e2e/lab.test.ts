// The seed lab's steps 5-7 (examples/lab/run.sh) against `switchyard up`, as a
// user would run them: kubectl, curl and jq, only the host/port changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, kubectl, removeDir, run, startUp } from './harness.ts';

test('examples/lab/run.sh: baseline, 10 % canary within ±4σ, 50 %, 100 %, promotion', { timeout: 240_000 }, async () => {
  const up = await startUp();
  try {
    const n = 400;
    const gateway = up.gatewayUrl.replace('http://', '');
    const r = await run('bash', [join(ROOT, 'examples/lab/run.sh'), up.dataDir, gateway], { env: { LAB_REQUESTS: String(n), PATH: `/usr/lib/google-cloud-sdk/bin:${process.env.PATH}` }, timeoutMs: 200_000 });
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /== Step 5[\s\S]*\{"predictions":\[0\]\}/);
    const counts = Object.fromEntries([...r.stdout.matchAll(/^\s+(\d+) ([012])$/gm)].map((m) => [m[2], Number(m[1])]));
    const canary = counts['1'] ?? 0;
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    assert.equal((counts['0'] ?? 0) + canary, n);
    assert.ok(Math.abs(canary - 0.1 * n) <= 4 * sigma, `v2 got ${canary} of ${n}`);
    assert.match(r.stdout, /churn-router\s+\S+\s+True\s+50\s+50\s+churn-router-predictor-00001\s+churn-router-predictor-00002/);
    const status = JSON.parse((await kubectl('1.33', up, ['get', 'isvc', 'churn-router', '-n', 'ml-serving', '-o', 'jsonpath={.status.components.predictor}'])).stdout);
    assert.equal(status.latestRolledoutRevision, 'churn-router-predictor-00002');
    assert.equal(status.previousRolledoutRevision, 'churn-router-predictor-00001');
    assert.deepEqual(status.traffic.map((t: { percent: number }) => t.percent), [100]);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
