// Which PredictionLogPolicy the prediction rows were kept under, as the API
// answers it beside them: one line for a namespace whose services keep
// different inputs would say something false of some of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyLines } from '../../src/cli/commands/predictions.ts';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { policyView } from '../../src/store/predictions-policy.ts';
import { PredictionLog, type PredictionEntry } from '../../src/store/predictions.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

let dir: string;
let store: Store;
let api: ApiServer;
let log: PredictionLog;
let token: string;

const row = (requestId: string, service: string): PredictionEntry => ({
  requestId, time: Date.now(), namespace: 'ml', service, revision: `${service}-predictor-00001`, role: 'primary', status: 200, latencyMs: 1,
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-plp-api-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  log = new PredictionLog({ path: join(dir, 'db.sqlite'), hashKey: new Uint8Array(32), flushIntervalMs: 60_000 });
  await log.setPolicies([{ namespace: 'ml', name: 'iris-inputs', spec: { services: ['iris'], inputs: { hash: ['$.ssn'] }, retention: '24h' } }]);
  for (const [id, service] of [['a', 'iris'], ['b', 'churn'], ['c', 'fraud']] as const) log.enqueue(row(id, service));
  await log.flush();
  const registry = new TokenRegistry(join(dir, 'tokens.json'));
  token = registry.create('viewer', 'viewer-1');
  api = await startApiServer({
    store, tokens: registry, port: 0, predictions: (q) => log.query(q),
    predictionPolicy: (namespace, service) => policyView(log.policy(namespace, service ?? '')),
  });
});

after(async () => {
  await api.close();
  await log.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function read(query: string): Promise<{ items: unknown[]; policy?: { policy: string | null }; policies: Array<{ services: string[]; policy: string | null; retention: string }> }> {
  const res = await fetch(`${api.url}/switchyard/v1/namespaces/ml/predictions?${query}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return res.json() as never;
}

test('rows of services under different policies: each policy with the services it covers, and no single policy', async () => {
  const all = await read('');
  assert.equal(all.items.length, 3);
  assert.equal(all.policy, undefined, 'no one policy covers every row');
  assert.deepEqual(all.policies.map((p) => [p.services, p.policy, p.retention]), [[['churn', 'fraud'], null, '168h'], [['iris'], 'ml/iris-inputs', '24h']]);
  assert.deepEqual(policyLines(all as never), [
    'Policy for churn, fraud: default (no PredictionLogPolicy): inputs not stored; rows kept 168h',
    'Policy for iris: ml/iris-inputs: inputs of 100% of requests (hash $.ssn); rows kept 24h',
  ]);
});

test('one service, or rows all under one policy: the one policy line', async () => {
  const iris = await read('service=iris');
  assert.equal(iris.policy?.policy, 'ml/iris-inputs');
  assert.deepEqual(policyLines(iris as never), ['Policy: ml/iris-inputs: inputs of 100% of requests (hash $.ssn); rows kept 24h']);
  const none = await read('service=nothing-here');
  assert.deepEqual(policyLines(none as never), ['Policy: default (no PredictionLogPolicy): inputs not stored; rows kept 168h']);
});
