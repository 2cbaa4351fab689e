// The seed lab's steps 3-7 (examples/lab/run.sh) against `switchyard up`, as a
// user would run them: its scikit-learn models from an S3 bucket served by
// kserve-sklearnserver, with kubectl, curl and jq; only hosts, ports and the
// bucket address changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, kubectl, removeDir, run, startUp } from './harness.ts';
import { labPythonOrSkip, sharedRuntimesDir } from '../runtime/python-helpers.ts';

process.env.SWITCHYARD_RUNTIMES_DIR ||= sharedRuntimesDir();

test('examples/lab/run.sh: sklearn models from s3://, baseline, 10 % canary within ±4σ, 50 %, 100 %, promotion', { timeout: 900_000 }, async (t) => {
  if (!labPythonOrSkip(t)) return;
  const up = await startUp();
  try {
    const n = 400;
    const gateway = up.gatewayUrl.replace('http://', '');
    const r = await run('bash', [join(ROOT, 'examples/lab/run.sh'), up.dataDir, gateway], { env: { LAB_REQUESTS: String(n), PATH: `/usr/lib/google-cloud-sdk/bin:${process.env.PATH}` }, timeoutMs: 840_000 });
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}\n${up.output().slice(-4000)}`);
    assert.match(r.stdout, /s3:\/\/sklearn-models\/model-v1\/model\.joblib/);
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
    assert.deepEqual(status.traffic.map((x: { percent: number }) => x.percent), [100]);
    const rev = status.revisions['churn-router-predictor-00002'];
    assert.equal(rev.template.runtime.name, 'kserve-sklearnserver');
    assert.equal(rev.template.storageUri, 's3://sklearn-models/model-v2/');
    assert.match(rev.digest, /^sha256:[0-9a-f]{64}$/);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
