// The data dir's disk fills up while `switchyard up` serves. It lives on a
// small tmpfs of its own (this test mounts one: it needs root, as CI has), and
// a filler file takes every free byte. Then:
// - writes that need space fail with SY_ERR_STORE_FULL, which kubectl prints
//   and which names the data dir, and `up` keeps running;
// - reads keep working: kubectl get, inference through the gateway (its
//   prediction log entries that cannot be written are dropped and counted in
//   switchyard_predictions_dropped_total, never retried into a full disk);
// - the database passes PRAGMA integrity_check while full and after;
// - once the filler is removed, writes succeed again without a restart, and
//   the prediction log records again, and each replica's log says how much
//   of its output was lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { apiFetch, kubectl, removeDir, startUp, until, type Up } from '../e2e/harness.ts';
import { startLoad } from '../e2e/load.ts';
import { KUBECTL, planTools } from '../e2e/plans.ts';
import { skipUnless } from '../prerequisite.ts';
import { figure, processesMentioning } from './processes.ts';

const DISK = '96m';

/** Writes zeros until the file system says ENOSPC: every free byte (to the page) is taken. Returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, 'switchyard.db'), { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

async function predictionsDropped(up: Up): Promise<number> {
  const text = await (await request(`${up.gatewayUrl}/metrics`)).body.text();
  return Number(/^switchyard_predictions_dropped_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

function predictionRows(dataDir: string): number {
  const db = new Database(join(dataDir, 'switchyard.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM predictions').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** A Secret of about 256 KB: a write that needs new pages in the database. */
const secret = (name: string): string => JSON.stringify({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, data: { blob: Buffer.alloc(192 * 1024, 7).toString('base64') },
});

/** A small tmpfs of its own, or why there cannot be one here (mounting needs root). */
function mountDisk(): { mount: string } | { missing: string } {
  const mount = mkdtempSync(join(tmpdir(), 'sy-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK}`, 'tmpfs', mount], { stdio: 'pipe' });
    return { mount };
  } catch (err) {
    rmdirSync(mount);
    return { missing: `cannot mount a tmpfs for the data dir (needs root): ${(err as Error).message.split('\n')[0]}` };
  }
}

const disk = mountDisk();

test('the data dir\'s disk full: writes fail with SY_ERR_STORE_FULL, reads and inference go on, nothing corrupted, writes resume when space returns', {
  skip: skipUnless('mount' in disk, 'missing' in disk ? disk.missing : ''),
}, async (t) => {
  const { mount } = disk as { mount: string };
  const dataDir = join(mount, 'data');
  const filler = join(mount, 'filler');
  let up: Up | undefined;
  try {
    up = await startUp([], dataDir);
    const u = up;
    const tools = planTools(() => u);
    await tools.serve('iris');
    const load = startLoad(u, 'iris.default.example.com', { rps: 50, concurrency: 8 });
    await until('predictions to be logged', async () => (predictionRows(dataDir) > 50 ? true : undefined), 30_000);

    await tools.ok(['apply', '-f', '-'], secret('before-full'));

    const filled = fill(filler);
    const full = Date.now();
    // Writes until one needs a page the disk does not have (SQLite first reuses the free room in its WAL and file).
    let accepted = 0;
    let refusal: { stdout: string; stderr: string } | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      const r = await kubectl(KUBECTL, u, ['apply', '-f', '-'], { input: secret(`while-full-${i}`) });
      if (r.code === 0) accepted++;
      else refusal = r;
    }
    assert.ok(refusal, `${accepted} writes of 256 KB accepted on a full disk`);
    assert.match(refusal.stderr, /\(InsufficientStorage\).*the disk holding .* is full/, `after ${accepted} accepted: ${refusal.stderr}\n${u.output().slice(-3000)}`);
    assert.ok(refusal.stderr.includes(dataDir), `the error names the data dir: ${refusal.stderr}`);
    // The API's answer carries the catalogued code and status.
    const res = await apiFetch(u, '/api/v1/namespaces/default/secrets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: secret('while-full-api') });
    const status = (await res.json()) as { code: number; errorCode: string; message: string };
    assert.deepEqual([res.status, status.code, status.errorCode], [507, 507, 'SY_ERR_STORE_FULL'], status.message);

    // Reads go on, and so does serving; the prediction log drops what it cannot write and counts it.
    const droppedAtFull = await predictionsDropped(u);
    const okBefore = load.seen.byStatus.get(200) ?? 0;
    await new Promise((r) => setTimeout(r, 3000));
    const servedWhileFull = (load.seen.byStatus.get(200) ?? 0) - okBefore;
    assert.ok(servedWhileFull > 100, `${servedWhileFull} requests answered in 3 s on a full disk; ${JSON.stringify([...load.seen.byStatus])}, ${JSON.stringify(load.seen.failures.slice(-3))}\n${u.output().slice(-3000)}`);
    assert.match(await tools.ok(['get', 'isvc', 'iris', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']), /True/);
    assert.match(await tools.ok(['get', 'secret', 'before-full']), /before-full/);
    await until('the prediction log to count what it could not write', async () => ((await predictionsDropped(u)) > droppedAtFull ? true : undefined), 15_000);
    const droppedWhileFull = (await predictionsDropped(u)) - droppedAtFull;
    assert.equal(integrity(dataDir), 'ok', 'integrity_check on a full disk');
    assert.equal(u.proc.exitCode, null, `up keeps running:\n${u.output().slice(-2000)}`);

    // Space returns: the next write succeeds, without a restart, and predictions are logged again.
    rmSync(filler);
    const freedAt = Date.now();
    await until('a write to succeed again', async () => {
      const r = await kubectl(KUBECTL, u, ['apply', '-f', '-'], { input: secret('after-full') });
      return r.code === 0 ? true : undefined;
    }, 30_000);
    const recoveredIn = Date.now() - freedAt;
    const fullFor = freedAt - full;
    // The replica's log lost its access lines while the disk was full, and says so once it can write again.
    const pod = (await tools.ok(['get', 'pods', '-o', 'name'])).trim().split('\n')[0]!;
    let logs = '';
    const lostLine = await until('the replica log to tell what it lost', async () => {
      logs = await tools.ok(['logs', pod]);
      return /^\[switchyard\] up to \d+ bytes of this container's output were lost: ENOSPC.*$/m.exec(logs)?.[0];
    }, 15_000, () => logs.slice(-1500));
    const rows = predictionRows(dataDir);
    await until('predictions to be logged again', async () => (predictionRows(dataDir) > rows + 50 ? true : undefined), 15_000);
    await load.stop();
    assert.deepEqual([...load.seen.byStatus.keys()], [200], 'every inference request was answered 200, full disk or not');
    assert.equal(integrity(dataDir), 'ok', 'integrity_check after space returned');
    const free = statfsSync(mount);
    figure(t, `data dir on a ${DISK} tmpfs, filled (${(filled / 2 ** 20).toFixed(1)} MB filler) for ${(fullFor / 1000).toFixed(0)} s: ${accepted} write(s) of 256 KB `
      + `still fit, then 507 SY_ERR_STORE_FULL; ${servedWhileFull} inference requests answered in 3 s while full, `
      + `${droppedWhileFull} prediction log entries dropped and counted; the replica log says "${lostLine.replace(/: ENOSPC.*/, ': ENOSPC')}"; integrity_check ok full and after; `
      + `writes succeed ${(recoveredIn / 1000).toFixed(1)} s after space returned (${((free.bavail * free.bsize) / 2 ** 20).toFixed(0)} MB free), no restart; `
      + `${load.seen.total} requests, ${load.seen.byStatus.get(200)} answered 200`);
  } finally {
    await up?.stop();
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    execFileSync('umount', ['-l', mount]);
    removeDir(mount);
  }
});
