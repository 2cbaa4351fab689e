// s3:// against a real S3-compatible server (moto, with authentication on):
// KServe's prefix semantics, the same digests and cache as local storage,
// credentials from a Secret's conventions, and the safety checks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { resolveStorageUri, s3FromSecret, type S3Config } from '../../src/runtime/storage/index.ts';
import { labPythonOrSkip, labVenv, startMoto, type Moto } from './python-helpers.ts';

let moto: Moto | undefined;
let dataDir = '';
let s3: S3Config;

before(async () => {
  const venv = labVenv();
  if (!('dir' in venv)) return; // each test skips (locally) or fails (CI) with the reason
  moto = await startMoto(join(venv.dir, 'bin', 'python'));
  dataDir = mkdtempSync(join(tmpdir(), 'sy-s3-'));
  // As a KServe user writes it: keys in the data, endpoint and scheme in annotations.
  s3 = s3FromSecret({
    namespace: 'ml', name: 's3creds',
    annotations: { 'serving.kserve.io/s3-endpoint': moto.endpoint.replace('http://', ''), 'serving.kserve.io/s3-usehttps': '0', 'serving.kserve.io/s3-region': 'us-east-1' },
    data: { AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey },
  });
  moto.python([
    's3.create_bucket(Bucket="models")',
    's3.put_object(Bucket="models", Key="iris/model.joblib", Body=b"weights-v1")',
    's3.put_object(Bucket="models", Key="iris/meta/labels.txt", Body=b"setosa\\nversicolor\\nvirginica\\n")',
    's3.put_object(Bucket="models", Key="iris/", Body=b"")',  // a directory marker, as consoles create them
    's3.put_object(Bucket="models", Key="iris-v10/model.joblib", Body=b"not iris")',
    's3.put_object(Bucket="models", Key="one/model.bst", Body=b"booster")',
    's3.put_object(Bucket="models", Key="esc/a/../../../etc/passwd", Body=b"x")',
  ].join('\n'));
});

after(async () => {
  await moto?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

test('a prefix is a directory: its objects under KEY/, markers skipped, with the digest of the same files on disk', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  const a = await resolveStorageUri('s3://models/iris', { dataDir, s3 });
  assert.deepEqual(a.files, ['meta/labels.txt', 'model.joblib'], 'iris-v10/ shares the prefix but is another directory');
  assert.equal(readFileSync(join(a.modelDir, 'model.joblib'), 'utf8'), 'weights-v1');
  const local = join(dataDir, 'volumes', 'disk', 'iris');
  mkdirSync(join(local, 'meta'), { recursive: true });
  writeFileSync(join(local, 'model.joblib'), 'weights-v1');
  writeFileSync(join(local, 'meta', 'labels.txt'), 'setosa\nversicolor\nvirginica\n');
  const onDisk = await resolveStorageUri('pvc://disk/iris/', { dataDir });
  assert.equal(a.digest, onDisk.digest);
  assert.equal(a.bytes, onDisk.bytes);
});

test('an unchanged listing reuses the cached model; a changed object is fetched again', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  const first = await resolveStorageUri('s3://models/iris/', { dataDir, s3 });
  const again = await resolveStorageUri('s3://models/iris/', { dataDir, s3 });
  assert.equal(again.modelDir, first.modelDir);
  moto.python('s3.put_object(Bucket="models", Key="iris/model.joblib", Body=b"weights-v2")');
  const changed = await resolveStorageUri('s3://models/iris/', { dataDir, s3 });
  assert.notEqual(changed.digest, first.digest);
  assert.equal(readFileSync(join(changed.modelDir, 'model.joblib'), 'utf8'), 'weights-v2');
  moto.python('s3.put_object(Bucket="models", Key="iris/model.joblib", Body=b"weights-v1")');
});

test('a key naming one object is a single-file model whose digest is the sha256 of its bytes', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  const a = await resolveStorageUri('s3://models/one/model.bst', { dataDir, s3 });
  assert.deepEqual(a.files, ['model.bst']);
  assert.equal(a.digest, `sha256:${sha('booster')}`);
  await assert.rejects(resolveStorageUri(`s3://models/one/model.bst#sha256=${sha('other')}`, { dataDir, s3 }), { code: 'SY_ERR_STORAGE_DIGEST' });
});

test('a wrong secret is refused with the storage error and the Secret named; nothing is left behind', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  const fresh = mkdtempSync(join(tmpdir(), 'sy-s3-'));
  try {
    const wrong = { ...s3, secretAccessKey: 'not-the-secret' };
    await assert.rejects(resolveStorageUri('s3://models/iris/', { dataDir: fresh, s3: wrong }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SY_ERR_STORAGE_ACCESS');
      assert.match(err.message, /^storageUri "s3:\/\/models\/iris\/": the object store refused listing .*SignatureDoesNotMatch.*Secret ml\/s3creds/);
      return true;
    });
    const unknown = { ...s3, accessKeyId: 'AKIANOSUCHKEY0000000' };
    await assert.rejects(resolveStorageUri('s3://models/iris/', { dataDir: fresh, s3: unknown }), { code: 'SY_ERR_STORAGE_ACCESS' });
    assert.deepEqual(readdirSync(fresh), [], 'no cache entry, no partial download');
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('keys that would leave the model directory, a missing prefix and the size limit are refused before writing', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  await assert.rejects(resolveStorageUri('s3://models/esc/', { dataDir, s3 }), { code: 'SY_ERR_STORAGE_PATH_ESCAPE' });
  await assert.rejects(resolveStorageUri('s3://models/a/../b', { dataDir, s3 }), { code: 'SY_ERR_STORAGE_PATH_ESCAPE' });
  await assert.rejects(resolveStorageUri('s3://models/nothing-here/', { dataDir, s3 }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SY_ERR_STORAGE_NOT_FOUND');
    assert.match(err.message, /no object s3:\/\/models\/nothing-here and none under s3:\/\/models\/nothing-here\//);
    return true;
  });
  await assert.rejects(resolveStorageUri('s3://no-such-bucket/x', { dataDir, s3 }), { code: 'SY_ERR_STORAGE_NOT_FOUND' });
  const fresh = mkdtempSync(join(tmpdir(), 'sy-s3-'));
  try {
    await assert.rejects(resolveStorageUri('s3://models/iris/', { dataDir: fresh, s3, maxBytes: 8 }), { code: 'SY_ERR_STORAGE_TOO_LARGE' });
    assert.deepEqual(readdirSync(fresh), [], 'the listing says it is too large: nothing is fetched');
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('credentials follow KServe: no keys and no anonymous flag is an access error that says what to set', async (t) => {
  if (!moto) return void labPythonOrSkip(t);
  const none = { ...s3, accessKeyId: undefined, secretAccessKey: undefined };
  await assert.rejects(resolveStorageUri('s3://models/iris/', { dataDir, s3: none }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SY_ERR_STORAGE_ACCESS');
    assert.match(err.message, /no S3 credentials: Secret ml\/s3creds sets no AWS_ACCESS_KEY_ID .*s3-useanoncredential/);
    return true;
  });
});
