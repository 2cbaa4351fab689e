// Content-addressed artifact cache: `<cache>/sha256/<hex>/` holds either one
// file whose bytes hash to <hex>, or a directory tree whose sha256sum manifest
// hashes to <hex> (a model fetched from a bucket prefix). Entries appear by
// renaming a finished temporary directory into place, so a reader never sees a
// partial file and concurrent writers of the same content simply let the first
// one win. `<cache>/urls/<sha256(key)>` remembers which entry a URL (or a
// bucket listing) produced.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { byUtf8, type Artifact } from './tree.ts';

export function entryDir(cacheDir: string, hex: string): string {
  return join(cacheDir, 'sha256', hex);
}

function tmpPath(cacheDir: string): string {
  return join(cacheDir, 'tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** The cached artifact for a content hash, or undefined when absent. */
export async function findEntry(cacheDir: string, hex: string): Promise<Artifact | undefined> {
  const dir = entryDir(cacheDir, hex);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return undefined;
  }
  const files: string[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    files.push(relative(dir, path).split(sep).join('/'));
    bytes += (await stat(path)).size;
  }
  if (files.length === 0) return undefined;
  return { modelDir: dir, files: files.sort(byUtf8), digest: `sha256:${hex}`, bytes };
}

/** A temporary directory to assemble a tree in; commitTree moves it into place. */
export async function stagingDir(cacheDir: string): Promise<string> {
  await mkdir(join(cacheDir, 'tmp'), { recursive: true });
  const dir = tmpPath(cacheDir);
  await mkdir(dir);
  return dir;
}

/** Move an assembled tree into the cache as `<hex>/` atomically. */
export async function commitTree(cacheDir: string, dir: string, hex: string): Promise<Artifact> {
  await mkdir(join(cacheDir, 'sha256'), { recursive: true });
  await moveIntoPlace(dir, entryDir(cacheDir, hex));
  const entry = await findEntry(cacheDir, hex);
  if (!entry) throw new Error(`cache entry ${entryDir(cacheDir, hex)} vanished after commit`);
  return entry;
}

async function moveIntoPlace(dir: string, target: string): Promise<void> {
  try {
    await rename(dir, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await rm(dir, { recursive: true, force: true });
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    // Another writer committed the same content first; theirs is identical.
  }
}

export interface StagedFile {
  path: string;
  hex: string;
  bytes: number;
}

/**
 * Write a byte stream to a temporary file (or `path`) while hashing and
 * counting it. `check` runs after every chunk and may throw (size limit) to
 * abort; the file is removed on any failure.
 */
export async function stageStream(cacheDir: string, source: AsyncIterable<Uint8Array>, check: (bytes: number) => void = () => {}, path?: string): Promise<StagedFile> {
  await mkdir(join(cacheDir, 'tmp'), { recursive: true });
  path ??= tmpPath(cacheDir);
  const hash = createHash('sha256');
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      bytes += chunk.length;
      check(bytes);
      hash.update(chunk);
      yield chunk;
    }
  }
  try {
    await pipeline(counted(), createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, hex: hash.digest('hex'), bytes };
}

export async function discard(staged: StagedFile): Promise<void> {
  await rm(staged.path, { force: true });
}

/** Move a staged file into the cache as `<hex>/<name>` atomically. */
export async function commitEntry(cacheDir: string, staged: StagedFile, name: string): Promise<Artifact> {
  const existing = await findEntry(cacheDir, staged.hex);
  if (existing) {
    await discard(staged);
    return existing;
  }
  const dir = tmpPath(cacheDir);
  await mkdir(dir);
  await rename(staged.path, join(dir, name));
  await mkdir(join(cacheDir, 'sha256'), { recursive: true });
  await moveIntoPlace(dir, entryDir(cacheDir, staged.hex));
  const entry = await findEntry(cacheDir, staged.hex);
  if (!entry) throw new Error(`cache entry ${entryDir(cacheDir, staged.hex)} vanished after commit`);
  return entry;
}

function urlKey(cacheDir: string, url: string): string {
  return join(cacheDir, 'urls', createHash('sha256').update(url).digest('hex'));
}

export async function lookupUrl(cacheDir: string, url: string): Promise<Artifact | undefined> {
  let hex: string;
  try {
    hex = (await readFile(urlKey(cacheDir, url), 'utf8')).trim();
  } catch {
    return undefined;
  }
  return /^[0-9a-f]{64}$/.test(hex) ? findEntry(cacheDir, hex) : undefined;
}

export async function rememberUrl(cacheDir: string, url: string, hex: string): Promise<void> {
  await mkdir(join(cacheDir, 'urls'), { recursive: true });
  await mkdir(join(cacheDir, 'tmp'), { recursive: true });
  const tmp = tmpPath(cacheDir);
  await writeFile(tmp, hex + '\n');
  await rename(tmp, urlKey(cacheDir, url));
}
