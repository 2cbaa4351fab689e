// kill -9 of `switchyard up` in the middle of a stream of applies: the
// database passes PRAGMA integrity_check, the audit chain verifies, and
// every apply the server acknowledged is there after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { apiFetch, removeDir, startUp, until } from './harness.ts';

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

test('after a restart, requests for a routed revision wait for its replica (the activator) instead of failing', async () => {
  let up = await startUp();
  const dataDir = up.dataDir;
  const isvcs = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';
  const ready = async () => {
    const res = await apiFetch(up, `${isvcs}/iris`);
    const o = (await res.json()) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  };
  try {
    const body = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } } };
    assert.equal((await apiFetch(up, isvcs, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, 201);
    await until('iris to be Ready', ready, 60_000);
    await up.stop();

    up = await startUp([], dataDir);
    // Sent as soon as the gateway listens again, while the revision's replica is starting.
    const predict = () => fetch(`${up.gatewayUrl}/v1/models/iris:predict`, { method: 'POST', headers: { host: 'iris.default.example.com', 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }) });
    const answers = await Promise.all(Array.from({ length: 10 }, predict));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
    const metrics = await (await fetch(`${up.gatewayUrl}/metrics`)).text();
    const held = /switchyard_activator_requests_total\{namespace="default",service="iris",revision="iris-predictor-00001",role="primary"\} (\d+)/.exec(metrics);
    assert.ok(held && Number(held[1]) > 0, 'they arrived before the replica was ready and were held');
  } finally {
    await up.stop();
    removeDir(dataDir);
  }
});
