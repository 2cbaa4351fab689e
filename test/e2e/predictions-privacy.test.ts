// The prediction log's privacy, checked on the database file itself: the
// quickstart model behind `switchyard up` gets a request with an "ssn" field
// and secret headers. By default its row has the answer, the revision and the
// artifact digest but no input, and neither the ssn nor a header value is
// anywhere in the file; under a PredictionLogPolicy the input is kept with
// the ssn keyed-hashed; a shorter retention deletes the rows.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { keyedHash } from '../../src/store/predictions-policy.ts';
import { BIN, kubectl, removeDir, run, startUp, until, type Up } from './harness.ts';

const K = '1.33';
const SSN = '123-45-6789';
const SECRETS = { authorization: 'Bearer e2e-secret-token-4f1d', 'x-api-key': 'e2e-api-key-77c3' };

interface Row { request_id: string; revision: string; digest: string | null; role: string; status: number; output: string | null; input: string | null }

function rowsOf(up: Up): Row[] {
  const db = new Database(join(up.dataDir, 'switchyard.db'), { readonly: true });
  try {
    return db.prepare("SELECT * FROM predictions WHERE namespace = 'quickstart' AND service = 'iris'").all() as Row[];
  } finally {
    db.close();
  }
}

/** Every byte of the database file and its write-ahead log. */
function fileBytes(up: Up): Buffer {
  const path = join(up.dataDir, 'switchyard.db');
  return Buffer.concat([path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

async function predict(up: Up): Promise<string> {
  const res = await request(`${up.gatewayUrl}/v1/models/iris:predict`, {
    method: 'POST',
    headers: { host: 'iris.quickstart.example.com', 'content-type': 'application/json', ...SECRETS },
    body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4]], ssn: SSN }),
  });
  assert.equal(res.statusCode, 200, await res.body.text());
  await res.body.dump();
  return res.headers['x-request-id'] as string;
}

const policy = (retention: string) => JSON.stringify({
  apiVersion: 'switchyard.dev/v1alpha1', kind: 'PredictionLogPolicy',
  metadata: { name: 'iris-inputs', namespace: 'quickstart' },
  spec: { services: ['iris'], inputs: { hash: ['$.ssn'] }, retention },
});

async function policyLine(up: Up): Promise<string> {
  const r = await run(process.execPath, [BIN, 'predictions', '-n', 'quickstart', '--service', 'iris'], { env: { KUBECONFIG: up.kubeconfig } });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n')[0]!;
}

test('the prediction log keeps no inputs or headers by default, inputs under a policy, and deletes by retention', { timeout: 180_000 }, async () => {
  const up = await startUp(['--apply', 'examples/quickstart']);
  try {
    const wait = await kubectl(K, up, ['wait', '--for=condition=Ready', 'isvc/iris', '-n', 'quickstart', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.equal(wait.code, 0, wait.stderr);

    // By default: the answer and what answered, no input; the ssn and header values are nowhere in the file.
    const first = await predict(up);
    const row = await until('the first row', () => rowsOf(up).find((r) => r.request_id === first));
    assert.equal(row.input, null);
    assert.deepEqual(JSON.parse(row.output!), { predictions: [1] });
    assert.equal(row.revision, 'iris-predictor-00001');
    assert.match(row.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    const bytes = fileBytes(up);
    for (const secret of [SSN, ...Object.values(SECRETS)]) assert.equal(bytes.includes(secret), false, `${secret} is in the database file`);
    assert.equal(await policyLine(up), 'Policy: default (no PredictionLogPolicy): inputs not stored; rows kept 168h');

    // Under a policy: the input is kept, its ssn replaced by the keyed hash under the data dir's key.
    const applied = await kubectl(K, up, ['apply', '-f', '-'], { input: policy('24h') });
    assert.equal(applied.code, 0, applied.stderr);
    await until('the policy in force', async () => ((await policyLine(up)).includes('quickstart/iris-inputs') ? true : undefined));
    assert.equal(await policyLine(up), 'Policy: quickstart/iris-inputs: inputs of 100% of requests (hash $.ssn); rows kept 24h');
    const listed = await kubectl(K, up, ['get', 'plp', '-n', 'quickstart']);
    assert.match(listed.stdout, /^NAME\s+SERVICES\s+INPUTS\s+RETENTION\s+AGE\niris-inputs\s+\["iris"\]\s+100%\s+24h\s+\S+$/m);
    const second = await predict(up);
    const kept = await until('the second row', () => rowsOf(up).find((r) => r.request_id === second));
    const key = Buffer.from(readFileSync(join(up.dataDir, 'predictions.key'), 'utf8').trim(), 'hex');
    assert.deepEqual(JSON.parse(kept.input!), { instances: [[6.8, 2.8, 4.8, 1.4]], ssn: keyedHash(key, 'quickstart', SSN) });
    assert.equal(rowsOf(up).find((r) => r.request_id === first)!.input, null, 'a policy does not reach back to earlier rows');
    const after = fileBytes(up);
    for (const secret of [SSN, ...Object.values(SECRETS)]) assert.equal(after.includes(secret), false, `${secret} is in the database file`);

    // Retention is deletion: a 1 s retention applied two seconds later removes both rows at once.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await kubectl(K, up, ['apply', '-f', '-'], { input: policy('1s') })).code, 0);
    await until('the rows deleted', () => (rowsOf(up).length === 0 ? true : undefined));
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
