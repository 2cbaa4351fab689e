// A machine without Python: an sklearn InferenceService is not Ready, and its
// condition says what is missing and exactly what to run; installing is
// attempted on the revision's first start (events show it), not at `up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, removeDir, startUp, until } from './harness.ts';

process.env.SWITCHYARD_PYTHON = '/nonexistent/python3';
process.env.SWITCHYARD_RUNTIMES_DIR = mkdtempSync(join(tmpdir(), 'sy-no-runtimes-'));

test('without Python the condition names the missing interpreter and the command that installs the runtime', { timeout: 120_000 }, async () => {
  const up = await startUp();
  try {
    const isvc = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'churn', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'pvc://models/iris-v1/' } } } };
    assert.equal((await kubectl('1.33', up, ['apply', '-f', '-'], { input: JSON.stringify(isvc) })).code, 0);
    const cond = await until('PredictorReady to turn False', async () => {
      const obj = JSON.parse((await kubectl('1.33', up, ['get', 'isvc', 'churn', '-o', 'json'])).stdout) as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
      const c = obj.status?.conditions?.find((x) => x.type === 'PredictorReady');
      return c?.status === 'False' ? c : undefined;
    }, 60_000);
    assert.equal(cond.reason, 'ModelLoadFailed');
    assert.match(cond.message!, /the Python environment "kserve" \(kserve-sklearnserver, .*\) is not installed: \/nonexistent\/python3 was not found/);
    assert.match(cond.message!, /Run: switchyard runtimes install kserve-sklearnserver/);
    const events = (await kubectl('1.33', up, ['get', 'events', '-o', 'json'])).stdout;
    assert.match(events, /Installing the Python environment \\"kserve\\" for runtime kserve-sklearnserver/);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
    removeDir(process.env.SWITCHYARD_RUNTIMES_DIR!);
  }
});
