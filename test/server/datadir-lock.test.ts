// One command per data dir, `switchyard up` or `switchyard sink`: a second would write the same
// SQLite files (and a second up would run the same replicas and move the same plans' traffic).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dataDirPaths, lockDataDir } from '../../src/server/datadir.ts';
import { startSink } from '../../src/server/sink.ts';

const BIN = new URL('../../bin/switchyard.js', import.meta.url).pathname;

const root = mkdtempSync(join(tmpdir(), 'sy-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => dataDirPaths(mkdtempSync(join(root, `d${++n}-`)));

test('a data dir held by a live process is refused, naming the dir and the holder; released, it can be taken again', () => {
  const paths = fresh();
  const release = lockDataDir(paths, 'switchyard up');
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), `${process.pid} switchyard up`);
  assert.throws(() => lockDataDir(paths, 'switchyard up'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SY_ERR_CONFIG');
    assert.equal(err.message, `data dir ${paths.root} is in use by another switchyard up (pid ${process.pid}); stop it first, or choose another data dir with --data-dir`);
    return true;
  });
  release();
  assert.equal(existsSync(paths.lock), false);
  lockDataDir(paths, 'switchyard up')();
});

test('a lock left by a process that is gone (killed, crashed) is taken over', () => {
  const paths = fresh();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(paths.lock, `${gone.stdout}\n`);
  const release = lockDataDir(paths, 'switchyard up');
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), `${process.pid} switchyard up`);
  release();
});

test('a lock naming our own pid that this process does not hold was left by an earlier process with that pid (a restarted container\'s pid 1): taken over', () => {
  const paths = fresh();
  writeFileSync(paths.lock, `${process.pid} switchyard sink\n`);
  const release = lockDataDir(paths, 'switchyard sink');
  assert.throws(() => lockDataDir(paths, 'switchyard up'), { message: /in use by another switchyard sink/ });
  release();
  assert.equal(existsSync(paths.lock), false);
});

test('release leaves a lock that another process has taken since', () => {
  const paths = fresh();
  const release = lockDataDir(paths, 'switchyard up');
  writeFileSync(paths.lock, '1 switchyard sink\n');
  release();
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), '1 switchyard sink');
});

/** The error a sink on this data dir fails to start with (one that starts is stopped, and the test fails). */
async function sinkRefused(dataDir: string): Promise<Error & { code?: string }> {
  try {
    const started = await startSink({ dataDir, port: 0, listen: '127.0.0.1' });
    await started.stop();
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail(`a sink started on ${dataDir}, which is held`);
}

test('a running `switchyard sink` holds its data dir: a second sink and an up are refused, naming it and its pid; stopped, it lets go', async () => {
  const paths = fresh();
  const sink = spawn(process.execPath, [BIN, 'sink', '--data-dir', paths.root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    sink.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise<void>((resolve, reject) => {
      sink.stdout.on('data', () => out.includes('listening on') && resolve());
      sink.once('exit', (code) => reject(new Error(`sink exited ${code} before listening: ${out}`)));
    });
    const inUse = `data dir ${paths.root} is in use by another switchyard sink (pid ${sink.pid}); stop it first, or choose another data dir with --data-dir`;
    const err = await sinkRefused(paths.root);
    assert.equal(err.code, 'SY_ERR_CONFIG');
    assert.equal(err.message, inUse);
    assert.throws(() => lockDataDir(paths, 'switchyard up'), { message: inUse });
    const exited = once(sink, 'exit');
    sink.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(existsSync(paths.lock), false, `the sink removed its lock on the way out (exit ${code} ${signal}): ${out}`);
  } finally {
    sink.kill('SIGKILL');
  }
});

test('a data dir held by an up is refused to a sink; the sink releases it when stopped', async () => {
  const paths = fresh();
  const release = lockDataDir(paths, 'switchyard up');
  assert.match((await sinkRefused(paths.root)).message, new RegExp(`in use by another switchyard up \\(pid ${process.pid}\\)`));
  release();
  const sink = await startSink({ dataDir: paths.root, port: 0, listen: '127.0.0.1' });
  assert.equal(readFileSync(paths.lock, 'utf8').trim(), `${process.pid} switchyard sink`);
  await sink.stop();
  assert.equal(existsSync(paths.lock), false);
});
