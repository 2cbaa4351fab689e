// kill -9 of `switchyard up` in the middle of a stream of applies: the
// database passes PRAGMA integrity_check, the audit chain verifies, and
// every apply the server acknowledged is there after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { apiFetch, removeDir, startUp } from './harness.ts';

test('kill -9 during a stream of applies leaves a sound database and audit chain', async () => {
  let up = await startUp();
  const dataDir = up.dataDir;
  try {
    const acknowledged: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `se-${i}`;
        const body = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default', labels: { i: String(i) } }, spec: { hosts: [`${name}.external`] } };
        try {
          const res = await apiFetch(up, '/apis/networking.istio.io/v1/namespaces/default/serviceentries', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (res.status === 201) acknowledged.push(name);
          await res.arrayBuffer();
        } catch {
          return; // the server is gone
        }
      }
    })();
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 50)));
    up.proc.kill('SIGKILL');
    await up.stop();
    stop = true;
    await writer;

    const db = new Database(join(dataDir, 'switchyard.db'));
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();

    up = await startUp([], dataDir);
    const verify = (await (await apiFetch(up, '/switchyard/v1/audit/verify')).json()) as { ok: boolean; records: number; problems: string[] };
    assert.deepEqual(verify.problems, []);
    assert.ok(verify.ok);
    assert.ok(verify.records >= acknowledged.length);
    const list = (await (await apiFetch(up, '/apis/networking.istio.io/v1/namespaces/default/serviceentries')).json()) as { items: { metadata: { name: string } }[] };
    const names = new Set(list.items.map((o) => o.metadata.name));
    for (const name of acknowledged) assert.ok(names.has(name), `${name} was acknowledged but is missing after the crash`);
  } finally {
    await up.stop();
    removeDir(dataDir);
  }
});
