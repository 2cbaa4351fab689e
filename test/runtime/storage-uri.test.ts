// storageUri forms that must be refused before any file is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStorageUri } from '../../src/runtime/storage/index.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sy-storage-uri-'));
// A real target outside the claim, so a wrongly accepted URI would succeed rather than fail for another reason.
writeFileSync(join(dataDir, 'secret.onnx'), 'secret');
mkdirSync(join(dataDir, 'volumes', 'models'), { recursive: true });
writeFileSync(join(dataDir, 'volumes', 'models', 'iris.onnx'), 'iris');

async function rejects(uri: string, code: ErrorCode, mentions: RegExp): Promise<void> {
  await assert.rejects(resolveStorageUri(uri, { dataDir }), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `${uri}: ${err.message}`);
    assert.ok(err.message.includes(uri.split('#')[0]!) || err.message.includes(uri), `message names the URI: ${err.message}`);
    assert.match(err.message, mentions);
    return true;
  });
}

test('.. segments are refused, however they are spelt', async () => {
  await rejects('pvc://models/../../secret.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /"\.\."/);
  await rejects('pvc://models/a/%2e%2e/%2E%2E/../secret.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /"\.\."/);
  await rejects(`file://${dataDir}/volumes/../secret.onnx`, 'SY_ERR_STORAGE_PATH_ESCAPE', /"\.\."/);
  await rejects(`file://${dataDir}/volumes/%2E%2e/secret.onnx`, 'SY_ERR_STORAGE_PATH_ESCAPE', /"\.\."/);
});

test('encoded separators cannot smuggle a traversal into one segment', async () => {
  await rejects('pvc://models/x%2F..%2F..%2Fsecret.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /separator/);
  await rejects('pvc://models/iris.onnx%00.txt', 'SY_ERR_STORAGE_PATH_ESCAPE', /NUL/);
});

test('absolute paths and empty claims in pvc URIs are refused', async () => {
  await rejects(`pvc://models/${dataDir}/secret.onnx`, 'SY_ERR_STORAGE_PATH_ESCAPE', /absolute/); // dataDir starts with '/'
  await rejects('pvc://models//etc/passwd', 'SY_ERR_STORAGE_PATH_ESCAPE', /absolute/);
  await rejects('pvc:///iris.onnx', 'SY_ERR_STORAGE_URI', /claim name is empty/);
  await rejects('pvc://', 'SY_ERR_STORAGE_URI', /claim name is empty/);
  await rejects('pvc://Models_X/iris.onnx', 'SY_ERR_STORAGE_URI', /not a valid claim name/);
  await rejects('pvc://models/a//iris.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /empty path segment/);
});

test('unsupported schemes name the supported ones', async () => {
  for (const uri of ['hdfs://x/y', 'azure://container/model', 'hf://org/model']) {
    await rejects(uri, 'SY_ERR_STORAGE_URI', /file:\/\/, pvc:\/\/, http:\/\/, https:\/\/, s3:\/\/, gs:\/\//);
  }
  await rejects('/models/iris.onnx', 'SY_ERR_STORAGE_URI', /no scheme; supported schemes: file:\/\//);
});

test('bucket URIs need a valid bucket name and a key without escapes', async () => {
  await rejects('s3://Bad_Bucket/model', 'SY_ERR_STORAGE_URI', /"Bad_Bucket" is not a valid bucket name/);
  await rejects('s3://ab/model', 'SY_ERR_STORAGE_URI', /not a valid bucket name/);
  await rejects('gs://bucket//etc/passwd', 'SY_ERR_STORAGE_PATH_ESCAPE', /empty path segment/);
  await rejects('s3://bucket/models/%2e%2e/x', 'SY_ERR_STORAGE_PATH_ESCAPE', /"\.\."/);
  await rejects('s3://bucket/model?versionId=3', 'SY_ERR_STORAGE_URI', /query string/);
});

test('malformed URIs are refused with the cause', async () => {
  await rejects('file://host/models/iris.onnx', 'SY_ERR_STORAGE_URI', /absolute path with an empty host/);
  await rejects('pvc://models/%zz.onnx', 'SY_ERR_STORAGE_URI', /percent-encoding/);
  await rejects('pvc://models/iris.onnx#md5=abc', 'SY_ERR_STORAGE_URI', /#sha256=/);
  await rejects('https://', 'SY_ERR_STORAGE_URI', /not a valid URL|no host/);
});

test('credentials in a URL never appear in messages', async () => {
  await assert.rejects(resolveStorageUri('ftp://alice:hunter2@example.com/m.onnx', { dataDir }), (err: Error) => {
    assert.doesNotMatch(err.message, /hunter2/);
    assert.match(err.message, /ftp:\/\/\*\*\*@example\.com/);
    return true;
  });
});

test('a well-formed pvc URI with a claim and relative path resolves under volumes/CLAIM', async () => {
  const a = await resolveStorageUri('pvc://models/./iris.onnx', { dataDir });
  assert.deepEqual(a.files, ['iris.onnx']);
  assert.equal(a.bytes, 4);
});
