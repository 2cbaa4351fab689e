// The runtimes' Python environments: named by their requirements' hash under
// the runtimes dir, found from a runtime's command, and an install that fails
// (no Python, no packages offline) says what to run and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ENVIRONMENTS, defaultRuntimesDir, environmentBin, environmentDir, environmentForRuntime, environmentOfCommand,
} from '../../src/runtime/python/environments.ts';
import { ensureEnvironment, installHint } from '../../src/runtime/python/install.ts';
import { missingPrerequisite } from '../prerequisite.ts';

const mlserver = ENVIRONMENTS.find((e) => e.name === 'mlserver')!;
const kserve = ENVIRONMENTS.find((e) => e.name === 'kserve')!;

test('each runtime has its environment, named by the hash of its pinned requirements', () => {
  assert.equal(environmentForRuntime('kserve-mlserver'), mlserver);
  for (const r of ['kserve-sklearnserver', 'kserve-xgbserver', 'kserve-lgbserver', 'switchyard-python']) assert.equal(environmentForRuntime(r), kserve);
  assert.equal(environmentForRuntime('switchyard-onnx'), undefined);
  assert.match(environmentDir('/r', mlserver), /^\/r\/mlserver-[0-9a-f]{12}$/);
  assert.equal(environmentOfCommand('/r', environmentBin('/r', kserve, 'python')), kserve);
  assert.equal(environmentOfCommand('/r', '/usr/bin/python3'), undefined);
  assert.equal(environmentOfCommand('/r', '/r/kserve-000000000000/bin/python'), undefined, 'another pin set is another environment');
  assert.equal(defaultRuntimesDir('/data', {}), '/data/runtimes');
  assert.equal(defaultRuntimesDir('/data', { SWITCHYARD_RUNTIMES_DIR: '/shared' }), '/shared');
});

test('the install command in messages names the runtimes dir only when it is not the data dir\'s', () => {
  const saved = process.env.SWITCHYARD_RUNTIMES_DIR;
  delete process.env.SWITCHYARD_RUNTIMES_DIR;
  try {
    assert.equal(installHint('kserve-mlserver', '.switchyard', defaultRuntimesDir('.switchyard')), 'switchyard runtimes install kserve-mlserver --data-dir .switchyard');
    assert.equal(installHint('kserve-mlserver', '.switchyard', '/srv/envs'), 'switchyard runtimes install kserve-mlserver --runtimes-dir /srv/envs');
  } finally {
    if (saved !== undefined) process.env.SWITCHYARD_RUNTIMES_DIR = saved;
  }
});

test('without Python the install fails at once, saying what to install and what to run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-rt-'));
  try {
    await assert.rejects(ensureEnvironment(kserve, { runtimesDir: dir, python: '/nonexistent/python3', hint: 'switchyard runtimes install kserve-sklearnserver' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SY_ERR_RUNTIME_UNAVAILABLE');
      assert.match(err.message, /the Python environment "kserve" \(kserve-sklearnserver, .*\) is not installed: \/nonexistent\/python3 was not found; install Python 3\.11 or newer/);
      assert.match(err.message, /Run: switchyard runtimes install kserve-sklearnserver$/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('offline without the wheels, pip fails: the error quotes pip and the environment is removed, not left half-made', { timeout: 120_000 }, async (t) => {
  const python = process.env.SWITCHYARD_PYTHON || 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'sy-rt-'));
  const wheels = mkdtempSync(join(tmpdir(), 'sy-wheels-'));
  const progress: string[] = [];
  try {
    await assert.rejects(ensureEnvironment(mlserver, { runtimesDir: dir, python, findLinks: wheels, hint: 'switchyard runtimes install kserve-mlserver --find-links W', onProgress: (l) => progress.push(l) }), (err: Error & { code?: string }) => {
      if (/was not found/.test(err.message)) {
        t.skip(missingPrerequisite(`no ${python} here`));
        return true;
      }
      assert.equal(err.code, 'SY_ERR_RUNTIME_UNAVAILABLE');
      assert.match(err.message, /pip could not install .*mlserver\.txt: .*(No matching distribution|Could not find)/);
      assert.match(err.message, /Run: switchyard runtimes install kserve-mlserver --find-links W$/);
      return true;
    });
    assert.ok(progress.some((l) => /offline, wheels from/.test(l)), progress.join('\n'));
    assert.equal(existsSync(environmentDir(dir, mlserver)), false);
    assert.deepEqual(readdirSync(dir), [], 'no environment and no lock left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(wheels, { recursive: true, force: true });
  }
});
