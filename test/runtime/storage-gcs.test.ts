// gs:// against fake-gcs-server (GCS's JSON API on loopback): anonymous
// access, and a service-account key whose signed JWT is exchanged at the
// key's own token endpoint (served here, as Google's would answer) for the
// bearer token the requests carry; a refused key is a storage access error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcsFromSecret, resolveStorageUri } from '../../src/runtime/storage/index.ts';
import { freePort } from '../../src/runtime/supervisor/ports.ts';
import { missingPrerequisite } from '../prerequisite.ts';

const BIN = [process.env.FAKE_GCS_SERVER, join(homedir(), '.cache/switchyard/bin/fake-gcs-server')].find((p) => p && existsSync(p))
  ?? (() => { try { return execFileSync('which', ['fake-gcs-server'], { encoding: 'utf8' }).trim(); } catch { return undefined; } })();

let gcs: ChildProcess | undefined;
let endpoint = '';
let dir = '';
let tokens: Server | undefined;
let tokenUri = '';
const exchanged: { iss?: string; scope?: string; aud?: string; verified: boolean }[] = [];
let refuse = false;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function skipOrFail(t: { skip: (m: string) => void }): void {
  t.skip(missingPrerequisite('fake-gcs-server is not installed (GOBIN=~/.cache/switchyard/bin go install github.com/fsouza/fake-gcs-server@v1.56.1; .ci/run does it)'));
}

before(async () => {
  if (!BIN) return;
  dir = mkdtempSync(join(tmpdir(), 'sy-gcs-'));
  const data = join(dir, 'data');
  mkdirSync(join(data, 'models', 'iris', 'meta'), { recursive: true });
  writeFileSync(join(data, 'models', 'iris', 'model.joblib'), 'weights-v1');
  writeFileSync(join(data, 'models', 'iris', 'meta', 'labels.txt'), 'setosa\n');
  const port = await freePort();
  gcs = spawn(BIN, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-data', data], { stdio: 'ignore' });
  endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`${endpoint}/storage/v1/b`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  // The key's token endpoint: checks the JWT assertion's signature and claims, as Google's does.
  tokens = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      const assertion = new URLSearchParams(body).get('assertion') ?? '';
      const [h, p, sig] = assertion.split('.');
      const verified = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(sig ?? '', 'base64url'));
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as { iss?: string; scope?: string; aud?: string };
      exchanged.push({ ...claims, verified });
      res.writeHead(refuse ? 400 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(refuse ? { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } : { access_token: 'ya29.test', expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((r) => tokens!.listen(0, '127.0.0.1', r));
  tokenUri = `http://127.0.0.1:${(tokens.address() as { port: number }).port}/token`;
});

after(async () => {
  gcs?.kill('SIGTERM');
  tokens?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function keySecret(): Parameters<typeof gcsFromSecret>[0] {
  const key = { type: 'service_account', client_email: 'models-reader@proj.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), private_key_id: 'k1', token_uri: tokenUri, project_id: 'proj' };
  return { namespace: 'ml', name: 'gcscreds', annotations: {}, data: { 'gcloud-application-credentials.json': JSON.stringify(key) } };
}

test('anonymous: a prefix is a directory with the digest of the same files on disk', async (t) => {
  if (!BIN) return skipOrFail(t);
  const dataDir = join(dir, 'anon');
  const a = await resolveStorageUri('gs://models/iris/', { dataDir, gcs: { endpoint } });
  assert.deepEqual(a.files, ['meta/labels.txt', 'model.joblib']);
  mkdirSync(join(dataDir, 'volumes', 'disk', 'meta'), { recursive: true });
  writeFileSync(join(dataDir, 'volumes', 'disk', 'model.joblib'), 'weights-v1');
  writeFileSync(join(dataDir, 'volumes', 'disk', 'meta', 'labels.txt'), 'setosa\n');
  assert.equal(a.digest, (await resolveStorageUri('pvc://disk/', { dataDir })).digest);
  await assert.rejects(resolveStorageUri('gs://models/none/', { dataDir, gcs: { endpoint } }), { code: 'SY_ERR_STORAGE_NOT_FOUND' });
});

test('a service-account key from a Secret: its signed JWT is exchanged at the key\'s token endpoint', async (t) => {
  if (!BIN) return skipOrFail(t);
  exchanged.length = 0;
  refuse = false;
  const cfg = { ...gcsFromSecret(keySecret(), {}), endpoint };
  const a = await resolveStorageUri('gs://models/iris/model.joblib', { dataDir: join(dir, 'key'), gcs: cfg });
  assert.deepEqual(a.files, ['model.joblib']);
  assert.equal(exchanged.length, 1);
  assert.deepEqual(exchanged[0], { iss: 'models-reader@proj.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/devstorage.read_only', aud: tokenUri, verified: true, iat: exchanged[0]!['iat' as never], exp: exchanged[0]!['exp' as never] });
});

test('a refused key is a storage access error naming the Secret; nothing is fetched', async (t) => {
  if (!BIN) return skipOrFail(t);
  refuse = true;
  const dataDir = join(dir, 'refused');
  try {
    const cfg = { ...gcsFromSecret(keySecret(), {}), endpoint };
    await assert.rejects(resolveStorageUri('gs://models/iris/', { dataDir, gcs: cfg }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SY_ERR_STORAGE_ACCESS');
      assert.match(err.message, /^storageUri "gs:\/\/models\/iris\/": the service-account key from Secret ml\/gcscreds was refused \(.*invalid_grant/);
      return true;
    });
    assert.equal(existsSync(join(dataDir, 'cache', 'sha256')), false);
  } finally {
    refuse = false;
  }
});
