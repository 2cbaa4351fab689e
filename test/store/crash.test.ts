// kill -9 in the middle of a stream of writes must leave a database that is
// intact, whose audit chain verifies, and that holds every write the writer
// saw commit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';

const root = mkdtempSync(join(tmpdir(), 'sy-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

const WRITER = new URL('./fixtures/writer.ts', import.meta.url).pathname;

/** Runs the writer until it has reported `lines` commits plus a random short delay, then SIGKILLs it. */
function runAndKill(dbPath: string, runId: number, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dbPath, String(runId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!killTimer && out.split('\n').length > lines) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 40));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited by itself (code ${code}): ${err}`));
      // Only whole lines: a line cut by the kill proves nothing.
      resolve(out.split('\n').slice(0, -1));
    });
  });
}

test('kill -9 during writes leaves an intact database, a verifying audit chain and every reported commit', { timeout: 60_000 }, async () => {
  const dbPath = join(root, 'crash.db');
  const committed = new Map<string, number>(); // name -> last reported resourceVersion
  let reportedWrites = 0;
  // The same file across runs: each writer starts on a database that survived a kill.
  for (let run = 1; run <= 4; run++) {
    const lines = await runAndKill(dbPath, run, 30 + Math.floor(Math.random() * 30));
    assert.ok(lines.length >= 30, `run ${run}: only ${lines.length} lines before the kill`);
    for (const line of lines) {
      const [, name, rv] = line.split(' ');
      committed.set(name!, Number(rv));
      reportedWrites++;
    }

    const raw = new Database(dbPath);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok', `run ${run}: integrity_check`);
    raw.close();

    const store = await openSqliteStore({ path: dbPath });
    const verification = await store.verifyAudit();
    assert.deepEqual(verification.problems, [], `run ${run}: audit chain`);
    assert.ok(verification.records >= reportedWrites, `run ${run}: ${verification.records} audit records < ${reportedWrites} reported writes`);
    for (const [name, rv] of committed) {
      const obj = await store.get({ group: 'serving.kserve.io', resource: 'inferenceservices', namespace: 'crash', name });
      assert.ok(obj, `run ${run}: ${name} was reported committed but is missing`);
      assert.ok(Number(obj.metadata.resourceVersion) >= rv, `run ${run}: ${name} is older (${obj.metadata.resourceVersion}) than reported (${rv})`);
    }
    await store.close();
  }
});
