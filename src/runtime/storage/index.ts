// Storage initializer: turns an InferenceService storageUri into a local
// model directory plus the artifact digest that goes on the revision status.
// See docs/storage.md for the schemes, limits, cache and safety rules.
import { createReadStream, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { commitEntry, discard, findEntry, lookupUrl, rememberUrl, stageStream } from './cache.ts';
import { download } from './download.ts';
import { bucketStallMs, resolveBucket } from './bucket.ts';
import { GcsConfig, S3Config, gcsFromEnv, s3FromEnv } from './credentials.ts';
import { gcsStore } from './gcs.ts';
import { s3Store } from './s3.ts';
import { locateArtifact, sha256File, type Artifact } from './tree.ts';
import { parseStorageUri, redact, type StorageLocation } from './uri.ts';

export type { Artifact } from './tree.ts';
export { SUPPORTED_SCHEMES } from '../../api/storage-uri.ts';
export { gcsFromSecret, isGcsSecret, isS3Secret, s3FromSecret, type GcsConfig, type S3Config, type SecretLike } from './credentials.ts';

export const DEFAULT_MAX_BYTES = 8 * 1024 ** 3;
export const DEFAULT_FETCH_TIMEOUT_MS = 10 * 60_000;

const OptionsSchema = z.object({
  dataDir: z.string().min(1),
  cacheDir: z.string().min(1).optional(),
  maxBytes: z.number().int().positive().optional(),
  fetchTimeoutMs: z.number().int().positive().optional(),
  expectedSha256: z.string().regex(/^(sha256:)?[0-9a-fA-F]{64}$/, 'must be 64 hex digits, optionally prefixed sha256:').optional(),
  /** s3:// settings (a Secret's); AWS_* / S3_* variables of this process when absent. */
  s3: S3Config.optional(),
  /** gs:// settings (a Secret's); GOOGLE_APPLICATION_CREDENTIALS or anonymous when absent. */
  gcs: GcsConfig.optional(),
});
export type ResolveOptions = z.input<typeof OptionsSchema>;

function expectedHex(uri: string, fromOption: string | undefined, fromUri: string | undefined): string | undefined {
  const opt = fromOption?.replace(/^sha256:/, '').toLowerCase();
  if (opt && fromUri && opt !== fromUri) {
    throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": its #sha256= fragment (${fromUri}) disagrees with the expected sha256 (${opt})`);
  }
  return opt ?? fromUri;
}

function checkDigest(uri: string, expected: string | undefined, actualHex: string, what: string): void {
  if (expected !== undefined && expected !== actualHex) {
    throw syError('SY_ERR_STORAGE_DIGEST', `storageUri "${redact(uri)}": ${what} has sha256 ${actualHex} but ${expected} was expected; the artifact changed or the expected digest is wrong`);
  }
}

async function resolveHttp(uri: string, loc: Extract<StorageLocation, { scheme: 'http' }>, cacheDir: string, maxBytes: number, timeoutMs: number, expected?: string): Promise<Artifact> {
  // A pinned digest finds its content whatever URL brought it; otherwise the
  // URL is treated as immutable and its previous download is reused.
  const cached = expected ? await findEntry(cacheDir, expected) : await lookupUrl(cacheDir, loc.url);
  if (cached) return cached;
  const staged = await download(uri, loc.url, { cacheDir, maxBytes, timeoutMs });
  if (expected !== undefined && staged.hex !== expected) {
    await discard(staged);
    checkDigest(uri, expected, staged.hex, 'the downloaded file');
  }
  const entry = await commitEntry(cacheDir, staged, loc.name);
  await rememberUrl(cacheDir, loc.url, staged.hex);
  return entry;
}

/** A single local file is copied into the cache so its model dir holds only it and cannot change under the server. */
async function resolveLocalFile(uri: string, realFile: string, name: string, cacheDir: string, expected?: string): Promise<Artifact> {
  const { hex } = await sha256File(realFile);
  checkDigest(uri, expected, hex, realFile);
  const cached = await findEntry(cacheDir, hex);
  if (cached) return cached;
  const staged = await stageStream(cacheDir, createReadStream(realFile));
  if (staged.hex !== hex) {
    await discard(staged);
    throw syError('SY_ERR_STORAGE_DIGEST', `storageUri "${uri}": ${realFile} changed while it was being copied; retry once it is fully written`);
  }
  return commitEntry(cacheDir, staged, name);
}

/**
 * Resolve a storageUri (file://, pvc://CLAIM/path, http(s)://, s3://, gs://,
 * optionally with #sha256=<hex>) to a local model directory, its files and its digest.
 * Errors are SwitchyardErrors with SY_ERR_STORAGE_* codes naming the URI and
 * the cause.
 */
export async function resolveStorageUri(uri: string, options: ResolveOptions): Promise<Artifact> {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw syError('SY_ERR_CONFIG', `storage options are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const opts = parsed.data;
  const cacheDir = opts.cacheDir ?? join(opts.dataDir, 'cache');
  const loc = parseStorageUri(uri, opts.dataDir);
  const expected = expectedHex(uri, opts.expectedSha256, loc.expectedSha256);

  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  if (loc.scheme === 'http') return resolveHttp(uri, loc, cacheDir, maxBytes, timeoutMs, expected);
  if ('bucket' in loc) {
    const store = loc.scheme === 's3'
      ? s3Store(opts.s3 ?? s3FromEnv(process.env), bucketStallMs(timeoutMs))
      : gcsStore(opts.gcs ?? gcsFromEnv(process.env, (f) => readFileSync(f, 'utf8')), bucketStallMs(timeoutMs));
    return resolveBucket(uri, loc.bucket, loc.key, store, { cacheDir, maxBytes, timeoutMs, ...(expected ? { expected } : {}) });
  }
  const found = await locateArtifact(uri, loc.root, loc.path);
  if ('file' in found) return resolveLocalFile(uri, found.file, basename(loc.path), cacheDir, expected);
  checkDigest(uri, expected, found.dir.digest.slice('sha256:'.length), `directory ${loc.path}`);
  return found.dir;
}
