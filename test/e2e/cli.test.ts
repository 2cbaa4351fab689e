// Drives the `switchyard` client verbs through the real binary against a real
// `switchyard up` (API server on an ephemeral port, temp data dir).
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const BIN = new URL('../../bin/switchyard.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sy-cli-e2e-'));
const dataDir = join(dir, 'data');
const kubeconfig = join(dataDir, 'kubeconfig');
let server: ChildProcess;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sy(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const isvc = (labels: string, minReplicas: number) => `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  namespace: demo
  labels: {${labels}}
spec:
  predictor:
    minReplicas: ${minReplicas}
    model:
      modelFormat: {name: onnx}
      storageUri: pvc://models/iris-v1/
`;

before(async () => {
  server = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--api-port', '0', '--gateway-port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!(existsSync(kubeconfig) && /listening on/.test(output))) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`switchyard up did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a second switchyard up on the same data dir refuses to start, naming the running one', async () => {
  const second = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--api-port', '0', '--gateway-port', '0'], { cwd: dir, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr });
    });
  });
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`data dir \\S+ is in use by another switchyard up \\(pid ${server.pid}\\)`));
  assert.equal(server.exitCode, null, 'the first keeps running');
});

test('apply: valid documents apply, an invalid one is reported, exit 1', async () => {
  const bad = isvc('team: search', 1).replace('name: iris', 'name: broken').replace('minReplicas: 1', 'canaryTrafficPercent: 150');
  const path = file('all.yaml', `apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n---\n${isvc('team: search, tier: gold', 1)}---\n${bad}`);
  const r = await sy(['apply', '-f', path]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^namespace\/demo created$/m);
  assert.match(r.stdout, /^inferenceservice\.serving\.kserve\.io\/iris created$/m);
  assert.match(r.stderr, /canaryTrafficPercent/);
  assert.match(r.stderr, /all\.yaml#3/);
  assert.match(r.stderr, /SY_ERR_INVALID/);
});

test('apply again: unchanged; then a removed label is deleted and a changed field updated', async () => {
  const same = await sy(['apply', '-f', file('iris.yaml', isvc('team: search, tier: gold', 1))]);
  assert.equal(same.stdout.trim(), 'inferenceservice.serving.kserve.io/iris unchanged', same.stderr);
  const changed = await sy(['apply', '-f', file('iris.yaml', isvc('team: search', 2))]);
  assert.equal(changed.stdout.trim(), 'inferenceservice.serving.kserve.io/iris configured', changed.stderr);
  const got = JSON.parse((await sy(['get', 'isvc', 'iris', '-n', 'demo', '-o', 'json'])).stdout);
  assert.deepEqual(got.metadata.labels, { team: 'search' });
  assert.equal(got.spec.predictor.minReplicas, 2);
});

test('get: server tables, -A, jsonpath, name; unknown objects exit 1 with the Status message', async () => {
  const table = await sy(['get', 'isvc', '-n', 'demo']);
  assert.equal(table.code, 0, table.stderr);
  const [header, row] = table.stdout.trimEnd().split('\n');
  assert.match(header!, /^NAME {3,}/);
  assert.match(row!, /^iris {3,}/);
  const all = await sy(['get', 'inferenceservices', '-A']);
  assert.match(all.stdout, /^NAMESPACE {3,}NAME/);
  assert.match(all.stdout, /^demo {3,}iris/m);
  assert.equal((await sy(['get', 'isvc/iris', '-n', 'demo', '-o', 'jsonpath={.metadata.labels.team}'])).stdout, 'search');
  assert.equal((await sy(['get', 'isvc', '-n', 'demo', '-o', 'name'])).stdout.trim(), 'inferenceservice.serving.kserve.io/iris');
  const missing = await sy(['get', 'isvc', 'nope', '-n', 'demo']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): .*"nope" not found \(SY_ERR_NOT_FOUND\)/);
});

test('patch: merge and json patches change the object', async () => {
  const merge = await sy(['patch', 'isvc', 'iris', '-n', 'demo', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":10}}}']);
  assert.equal(merge.stdout.trim(), 'inferenceservice.serving.kserve.io/iris patched', merge.stderr);
  const json = await sy(['patch', 'isvc/iris', '-n', 'demo', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/predictor/canaryTrafficPercent","value":20}]']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((await sy(['get', 'isvc', 'iris', '-n', 'demo', '-o', 'jsonpath={.spec.predictor.canaryTrafficPercent}'])).stdout, '20');
  const invalid = await sy(['patch', 'isvc', 'iris', '-n', 'demo', '-p', '{"spec":{"predictor":{"canaryTrafficPercent":101}}}']);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /Error from server \(Invalid\)/);
});

test('wait: returns once the condition is set, times out with kubectl\'s message otherwise', async () => {
  const waiting = sy(['wait', 'isvc/iris', '-n', 'demo', '--for=condition=Ready', '--timeout=20s']);
  await new Promise((r) => setTimeout(r, 1500));
  const status = '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}';
  const patched = await sy(['patch', 'isvc', 'iris', '-n', 'demo', '--subresource', 'status', '-p', status]);
  assert.equal(patched.code, 0, patched.stderr);
  const done = await waiting;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout.trim(), 'inferenceservice.serving.kserve.io/iris condition met');
  const timeout = await sy(['wait', 'isvc', 'iris', '-n', 'demo', '--for=condition=NeverHappens', '--timeout=1s']);
  assert.equal(timeout.code, 1);
  assert.match(timeout.stderr, /timed out waiting for the condition on inferenceservices\/iris/);
});

test('describe shows the object', async () => {
  const r = await sy(['describe', 'isvc', 'iris', '-n', 'demo']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Name: +iris$/m);
  assert.match(r.stdout, /^Namespace: +demo$/m);
  assert.match(r.stdout, /Storage Uri: +pvc:\/\/models\/iris-v1\//);
});

test('tokens: a viewer token can read but not write', async () => {
  const created = await sy(['token', 'create', '--role', 'viewer', '--name', 'e2e-viewer']);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.ok(token.length > 10);
  assert.equal((await sy(['get', 'isvc', '-n', 'demo', '--token', token])).code, 0);
  const write = await sy(['delete', 'isvc', 'iris', '-n', 'demo', '--token', token]);
  assert.equal(write.code, 1);
  assert.match(write.stderr, /Forbidden.*SY_ERR_FORBIDDEN/);
});

test('delete, wait --for=delete, --ignore-not-found', async () => {
  const r = await sy(['delete', 'isvc', 'iris', '-n', 'demo']);
  assert.equal(r.stdout.trim(), 'inferenceservice.serving.kserve.io "iris" deleted', r.stderr);
  assert.equal((await sy(['wait', 'isvc/iris', '-n', 'demo', '--for=delete', '--timeout=5s'])).code, 0);
  assert.equal((await sy(['delete', 'isvc', 'iris', '-n', 'demo'])).code, 1);
  assert.equal((await sy(['delete', 'isvc', 'iris', '-n', 'demo', '--ignore-not-found'])).code, 0);
});

test('audit verify and log, version', async () => {
  const verify = await sy(['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /^audit chain ok: \d+ records$/m);
  const log = await sy(['audit', 'log']);
  assert.match(log.stdout, /^SEQ {3,}TIME/);
  assert.match(log.stdout, /inferenceservices\/demo\/iris/);
  const version = await sy(['version']);
  assert.match(version.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\d+\.\d+\.\d+$/m);
});

test('no server: a clear SY_ERR_CONNECT message naming the URL', async () => {
  const r = await sy(['get', 'isvc', '--server', 'http://127.0.0.1:9']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the Switchyard API server at http:\/\/127\.0\.0\.1:9 .*switchyard up.*SY_ERR_CONNECT/);
});
