// s3:// and gs:// as KServe's storage initializer reads them: the key names
// one object (a single-file model) or, failing that, a "directory" of every
// object under KEY/ (directory markers and empty objects skipped). The listing
// is fetched on every resolve; when it is the one seen before (keys, sizes,
// ETags) the cached entry is used without downloading. Downloads are
// assembled in the cache's staging area and only a complete, verified model
// is moved into place.
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSwitchyardError, syError } from '../../core/errors.ts';
import { commitEntry, commitTree, discard, findEntry, lookupUrl, rememberUrl, stageStream, stagingDir } from './cache.ts';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';
import { manifestDigest, type Artifact } from './tree.ts';

export interface BucketLimits {
  cacheDir: string;
  maxBytes: number;
  timeoutMs: number;
  expected?: string;
}

interface Planned {
  /** Key in the bucket, and path relative to the model directory. */
  objects: { info: ObjectInfo; rel: string }[];
  single: boolean;
}

const MAX_STALL_MS = 60_000;

/** Keys become file paths: every segment must be a plain name. */
function checkRelative(uri: string, key: string, rel: string): void {
  const bad = rel.split('/').find((seg) => seg === '' || seg === '.' || seg === '..' || seg.includes('\\') || seg.includes('\0'));
  if (bad !== undefined) {
    throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${uri}": object key "${key}" has the path segment "${bad}", which would leave the model directory or is empty; rename the object`);
  }
}

async function plan(uri: string, bucket: string, key: string, store: ObjectStore, signal: AbortSignal): Promise<Planned> {
  const listed = await store.list(bucket, key, signal);
  const exact = key === '' ? undefined : listed.find((o) => o.key === key);
  if (exact) return { objects: [{ info: exact, rel: key.split('/').pop()! }], single: true };
  const prefix = key === '' ? '' : `${key}/`;
  const objects = listed
    .filter((o) => o.key.startsWith(prefix) && !o.key.endsWith('/') && o.size > 0)
    .map((info) => ({ info, rel: info.key.slice(prefix.length) }));
  if (objects.length === 0) {
    throw syError('SY_ERR_STORAGE_NOT_FOUND', `storageUri "${uri}": there is no object ${store.scheme}${bucket}/${key} and none under ${store.scheme}${bucket}/${prefix}`);
  }
  for (const o of objects) checkRelative(uri, o.info.key, o.rel);
  return { objects, single: false };
}

/** What this listing looks like: the same fingerprint means the same bytes as last time. */
function listingKey(uri: string, p: Planned): string {
  const h = createHash('sha256').update(`${uri.replace(/#.*$/, '')}\n`);
  for (const o of p.objects) h.update(`${o.rel}\t${o.info.size}\t${o.info.version}\n`);
  return `listing:${h.digest('hex')}`;
}

function tooLarge(uri: string, maxBytes: number, seen: string): Error {
  return syError('SY_ERR_STORAGE_TOO_LARGE', `storageUri "${uri}": the artifact is larger than the ${maxBytes}-byte limit (${seen}); raise the limit or publish a smaller artifact`);
}

async function downloadTree(uri: string, bucket: string, p: Planned, store: ObjectStore, o: BucketLimits, signal: AbortSignal): Promise<Artifact> {
  const dir = await stagingDir(o.cacheDir);
  try {
    const hashed: { rel: string; hex: string }[] = [];
    let total = 0;
    for (const { info, rel } of p.objects) {
      const path = join(dir, ...rel.split('/'));
      await mkdir(dirname(path), { recursive: true });
      const before = total;
      const staged = await stageStream(o.cacheDir, await store.get(bucket, info.key, signal), (bytes) => {
        if (before + bytes > o.maxBytes) throw tooLarge(uri, o.maxBytes, 'download aborted once it passed the limit');
      }, path);
      total += staged.bytes;
      hashed.push({ rel, hex: staged.hex });
    }
    const hex = manifestDigest(hashed);
    if (o.expected !== undefined && o.expected !== hex) {
      throw syError('SY_ERR_STORAGE_DIGEST', `storageUri "${uri}": the downloaded directory has sha256 ${hex} but ${o.expected} was expected; the artifact changed or the expected digest is wrong`);
    }
    return await commitTree(o.cacheDir, dir, hex);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function downloadFile(uri: string, bucket: string, p: Planned, store: ObjectStore, o: BucketLimits, signal: AbortSignal): Promise<Artifact> {
  const { info, rel } = p.objects[0]!;
  const staged = await stageStream(o.cacheDir, await store.get(bucket, info.key, signal), (bytes) => {
    if (bytes > o.maxBytes) throw tooLarge(uri, o.maxBytes, 'download aborted once it passed the limit');
  });
  if (o.expected !== undefined && staged.hex !== o.expected) {
    await discard(staged);
    throw syError('SY_ERR_STORAGE_DIGEST', `storageUri "${uri}": the downloaded file has sha256 ${staged.hex} but ${o.expected} was expected; the artifact changed or the expected digest is wrong`);
  }
  return commitEntry(o.cacheDir, staged, rel);
}

function asStorageError(uri: string, err: unknown, o: BucketLimits, aborted: boolean): Error {
  if (isSwitchyardError(err)) return err;
  if (aborted) return syError('SY_ERR_STORAGE_DOWNLOAD', `storageUri "${uri}": the download did not finish within ${o.timeoutMs} ms; check the object store or raise the timeout`, { cause: err });
  if (err instanceof ObjectStoreError) {
    const code = err.failure === 'access' ? 'SY_ERR_STORAGE_ACCESS' : err.failure === 'not-found' ? 'SY_ERR_STORAGE_NOT_FOUND' : 'SY_ERR_STORAGE_DOWNLOAD';
    return syError(code, `storageUri "${uri}": ${err.message}`, { cause: err });
  }
  return syError('SY_ERR_STORAGE_DOWNLOAD', `storageUri "${uri}": the download failed (${err instanceof Error ? err.message : String(err)})`, { cause: err });
}

export function bucketStallMs(timeoutMs: number): number {
  return Math.min(timeoutMs, MAX_STALL_MS);
}

export async function resolveBucket(uri: string, bucket: string, key: string, store: ObjectStore, o: BucketLimits): Promise<Artifact> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs);
  try {
    const p = await plan(uri, bucket, key, store, ac.signal);
    const total = p.objects.reduce((n, x) => n + x.info.size, 0);
    if (total > o.maxBytes) throw tooLarge(uri, o.maxBytes, `the listing says ${total} bytes`);
    const memo = listingKey(uri, p);
    const cached = o.expected ? await findEntry(o.cacheDir, o.expected) : await lookupUrl(o.cacheDir, memo);
    if (cached) return cached;
    const entry = p.single ? await downloadFile(uri, bucket, p, store, o, ac.signal) : await downloadTree(uri, bucket, p, store, o, ac.signal);
    await rememberUrl(o.cacheDir, memo, entry.digest.slice('sha256:'.length));
    return entry;
  } catch (err) {
    throw asStorageError(uri, err, o, ac.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}
