// One `switchyard up` per data dir: a second would run the same replicas and move the same plans' traffic.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dataDirPaths, lockDataDir } from '../../src/server/datadir.ts';

const root = mkdtempSync(join(tmpdir(), 'sy-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => dataDirPaths(mkdtempSync(join(root, `d${++n}-`)));

test('a data dir held by a live process is refused, naming the dir and the holder; released, it can be taken again', () => {
  const paths = fresh();
  const release = lockDataDir(paths);
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), String(process.pid));
  assert.throws(() => lockDataDir(paths), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SY_ERR_CONFIG');
    assert.equal(err.message, `data dir ${paths.root} is in use by another switchyard up (pid ${process.pid}); stop it first, or choose another data dir with --data-dir`);
    return true;
  });
  release();
  assert.equal(existsSync(paths.lock), false);
  lockDataDir(paths)();
});

test('a lock left by a process that is gone (killed, crashed) is taken over', () => {
  const paths = fresh();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(paths.lock, `${gone.stdout}\n`);
  const release = lockDataDir(paths);
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), String(process.pid));
  release();
});

test('release leaves a lock that another process has taken since', () => {
  const paths = fresh();
  const release = lockDataDir(paths);
  writeFileSync(paths.lock, '1\n');
  release();
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), '1');
});
