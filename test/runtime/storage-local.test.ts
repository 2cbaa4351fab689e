// file:// and pvc:// artifacts on a real filesystem with real symlinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStorageUri } from '../../src/runtime/storage/index.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const base = mkdtempSync(join(tmpdir(), 'sy-storage-local-'));
const dataDir = join(base, 'data');
const outside = join(base, 'outside');
const claim = join(dataDir, 'volumes', 'models');
const modelBytes = Buffer.from('ONNX-bytes-of-the-iris-model');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// Layout:
//   outside/secret.onnx, outside/dir/x.onnx        (not reachable through the claim)
//   volumes/models/iris/{model.onnx, labels/classes.txt, alias.onnx -> model.onnx, loop -> .}
//   volumes/models/single.onnx, volumes/models/empty/
//   volumes/models/leak/{model.onnx, secret.onnx -> outside/secret.onnx}
//   volumes/models/linkdir -> outside/dir           (intermediate dir escaping)
//   volumes/models/dangling/{model.onnx, gone -> missing}
mkdirSync(join(outside, 'dir'), { recursive: true });
writeFileSync(join(outside, 'secret.onnx'), 'secret');
writeFileSync(join(outside, 'dir', 'x.onnx'), 'x');
mkdirSync(join(claim, 'iris', 'labels'), { recursive: true });
writeFileSync(join(claim, 'iris', 'model.onnx'), modelBytes);
writeFileSync(join(claim, 'iris', 'labels', 'classes.txt'), 'setosa\nversicolor\nvirginica\n');
symlinkSync('model.onnx', join(claim, 'iris', 'alias.onnx'));
symlinkSync('.', join(claim, 'iris', 'loop'));
writeFileSync(join(claim, 'single.onnx'), modelBytes);
mkdirSync(join(claim, 'empty'));
mkdirSync(join(claim, 'leak'));
writeFileSync(join(claim, 'leak', 'model.onnx'), modelBytes);
symlinkSync(join(outside, 'secret.onnx'), join(claim, 'leak', 'secret.onnx'));
symlinkSync(join(outside, 'dir'), join(claim, 'linkdir'));
mkdirSync(join(claim, 'dangling'));
writeFileSync(join(claim, 'dangling', 'model.onnx'), modelBytes);
symlinkSync('missing', join(claim, 'dangling', 'gone'));

async function rejects(uri: string, code: ErrorCode, mentions: RegExp, extra: object = {}): Promise<void> {
  await assert.rejects(resolveStorageUri(uri, { dataDir, ...extra }), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(uri.split('#')[0]!), `message names the URI: ${err.message}`);
    assert.match(err.message, mentions);
    return true;
  });
}

test('a pvc directory lists its files (in-root symlinks followed, loops skipped) with the sha256sum manifest digest', async () => {
  const a = await resolveStorageUri('pvc://models/iris/', { dataDir });
  assert.equal(a.modelDir, join(claim, 'iris'));
  assert.deepEqual(a.files, ['alias.onnx', 'labels/classes.txt', 'model.onnx']);
  // The documented recipe, run with coreutils, gives the same digest.
  const manifest = execFileSync('sh', ['-c', "find . \\( -type f -o -type l \\) ! -name loop | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum"], { cwd: a.modelDir });
  assert.equal(a.digest, `sha256:${sha(manifest)}`);
  assert.equal(a.bytes, modelBytes.length * 2 + 'setosa\nversicolor\nvirginica\n'.length);
});

test('the same directory through file:// and pvc:// has the same digest', async () => {
  const viaPvc = await resolveStorageUri('pvc://models/iris', { dataDir });
  const viaFile = await resolveStorageUri(`file://${join(claim, 'iris')}`, { dataDir });
  assert.equal(viaFile.digest, viaPvc.digest);
  assert.deepEqual(viaFile.files, viaPvc.files);
});

test('a single file becomes a cache directory holding only it; digest is sha256sum of the file', async () => {
  const viaFile = await resolveStorageUri(`file://${join(claim, 'single.onnx')}`, { dataDir });
  assert.equal(viaFile.digest, `sha256:${sha(modelBytes)}`);
  assert.deepEqual(readdirSync(viaFile.modelDir), ['single.onnx']);
  assert.deepEqual(viaFile.files, ['single.onnx']);
  assert.deepEqual(readFileSync(join(viaFile.modelDir, 'single.onnx')), modelBytes);
  assert.ok(viaFile.modelDir.startsWith(join(dataDir, 'cache')));
  const viaPvc = await resolveStorageUri('pvc://models/iris/model.onnx', { dataDir });
  assert.equal(viaPvc.digest, viaFile.digest);
  assert.equal(viaPvc.modelDir, viaFile.modelDir, 'same bytes share one cache entry');
  assert.equal(viaPvc.bytes, modelBytes.length);
});

test('the file:// root is the given path: a symlink inside it that leaves it is refused', async () => {
  await rejects(`file://${join(claim, 'leak')}`, 'SY_ERR_STORAGE_PATH_ESCAPE', /outside its root/);
  // …but a symlink to a sibling file is fine when the root is the parent.
  const a = await resolveStorageUri(`file://${join(claim, 'iris', 'alias.onnx')}`, { dataDir });
  assert.equal(a.digest, `sha256:${sha(modelBytes)}`);
});

test('symlinks that leave the claim are refused, as file, inside a directory, or as an intermediate directory', async () => {
  await rejects('pvc://models/leak/secret.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /outside its root/);
  await rejects('pvc://models/leak', 'SY_ERR_STORAGE_PATH_ESCAPE', /symlink/);
  await rejects('pvc://models/linkdir/x.onnx', 'SY_ERR_STORAGE_PATH_ESCAPE', /outside its root/);
  await rejects('pvc://models/linkdir', 'SY_ERR_STORAGE_PATH_ESCAPE', /outside its root/);
});

test('missing artifacts say what is missing', async () => {
  await rejects('pvc://models/nope.onnx', 'SY_ERR_STORAGE_NOT_FOUND', /does not exist/);
  await rejects('pvc://no-such-claim/model.onnx', 'SY_ERR_STORAGE_NOT_FOUND', /volumes\/no-such-claim does not exist/);
  await rejects(`file://${join(base, 'nowhere')}`, 'SY_ERR_STORAGE_NOT_FOUND', /does not exist/);
  await rejects('pvc://models/empty', 'SY_ERR_STORAGE_NOT_FOUND', /holds no files/);
  await rejects('pvc://models/dangling', 'SY_ERR_STORAGE_NOT_FOUND', /gone does not exist/);
});

test('an expected sha256 (fragment or option) is enforced for local artifacts too', async () => {
  const good = sha(modelBytes);
  const a = await resolveStorageUri(`pvc://models/single.onnx#sha256=${good.toUpperCase()}`, { dataDir });
  assert.equal(a.digest, `sha256:${good}`);
  await rejects('pvc://models/single.onnx', 'SY_ERR_STORAGE_DIGEST', new RegExp(`but ${'0'.repeat(64)} was expected`), { expectedSha256: '0'.repeat(64) });
  const dir = await resolveStorageUri('pvc://models/iris', { dataDir });
  await resolveStorageUri('pvc://models/iris', { dataDir, expectedSha256: dir.digest });
  await rejects(`pvc://models/iris#sha256=${good}`, 'SY_ERR_STORAGE_DIGEST', /directory/);
  await rejects(`pvc://models/single.onnx#sha256=${good}`, 'SY_ERR_STORAGE_URI', /disagrees/, { expectedSha256: '1'.repeat(64) });
});
