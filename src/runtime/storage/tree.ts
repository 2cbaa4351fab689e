// Lists an artifact (one file or a directory tree) without ever leaving its
// root, and digests it. Symlinks are followed only when their real target is
// inside the root, so a volume cannot hand the model server /etc/shadow.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { syError } from '../../core/errors.ts';

export interface Artifact {
  /** Directory the model server is pointed at. */
  modelDir: string;
  /** Regular files of the artifact, relative to modelDir, '/'-separated, sorted. */
  files: string[];
  /** 'sha256:<hex>': of the bytes for a single file, of the sha256sum manifest for a directory. */
  digest: string;
  bytes: number;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function isInside(realRoot: string, realTarget: string): boolean {
  return realTarget === realRoot || realTarget.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/** realpath that turns a missing target into SY_ERR_STORAGE_NOT_FOUND. */
async function realOrNotFound(uri: string, path: string, what: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      throw syError('SY_ERR_STORAGE_NOT_FOUND', `storageUri "${uri}": ${what} ${path} does not exist`, { cause: err });
    }
    throw err;
  }
}

async function confined(uri: string, realRoot: string, path: string, what: string): Promise<string> {
  const real = await realOrNotFound(uri, path, what);
  if (!isInside(realRoot, real)) {
    throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${uri}": ${path} resolves to ${real}, outside its root ${realRoot} (a symlink leaves the root); point the URI at the real location or copy the files in`);
  }
  return real;
}

export async function sha256File(path: string): Promise<{ hex: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: h.digest('hex'), bytes };
}

/** Relative paths of every regular file under dir (following confined symlinks). */
async function walk(uri: string, realRoot: string, dir: string, rel: string, seen: Set<string>, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const real = await confined(uri, realRoot, path, 'symlink target of');
      const st = await stat(real);
      isDir = st.isDirectory();
      isFile = st.isFile();
      if (isDir && seen.has(real)) continue; // a link back up the tree: already listed
      if (isDir) seen.add(real);
    }
    if (isDir) await walk(uri, realRoot, path, relPath, seen, out);
    else if (isFile) out.push(relPath);
    // sockets, FIFOs and devices are not model files (and reading a FIFO would hang)
  }
}

/** Sort as `LC_ALL=C sort` does: by UTF-8 bytes. */
export function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The directory digest: sha256 of its `sha256sum` manifest, one "<hex>  <relpath>\n" per file in byte order. */
export function manifestDigest(files: { rel: string; hex: string }[]): string {
  const manifest = createHash('sha256');
  for (const f of [...files].sort((a, b) => byUtf8(a.rel, b.rel))) manifest.update(`${f.hex}  ${f.rel}\n`);
  return manifest.digest('hex');
}

/**
 * Find the artifact at `path`, which must stay inside `root`: a single file
 * (its real path, for the caller to place in the cache) or a directory,
 * listed and digested. A directory digests to the sha256 of its
 * `sha256sum`-style manifest ("<hex>  <relpath>\n" per file, sorted by path),
 * so it can be checked with coreutils.
 */
export async function locateArtifact(uri: string, root: string, path: string): Promise<{ file: string } | { dir: Artifact }> {
  const realRoot = await realOrNotFound(uri, root, 'root');
  await lstat(path).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw syError('SY_ERR_STORAGE_NOT_FOUND', `storageUri "${uri}": ${path} does not exist`, { cause: err });
    throw err;
  });
  const real = await confined(uri, realRoot, path, 'artifact');
  const st = await stat(real);

  if (st.isFile()) return { file: real };
  if (!st.isDirectory()) throw syError('SY_ERR_STORAGE_NOT_FOUND', `storageUri "${uri}": ${path} is neither a file nor a directory`);

  const files: string[] = [];
  await walk(uri, realRoot, path, '', new Set([real]), files);
  if (files.length === 0) throw syError('SY_ERR_STORAGE_NOT_FOUND', `storageUri "${uri}": directory ${path} holds no files`);
  files.sort(byUtf8);

  const hashed: { rel: string; hex: string }[] = [];
  let bytes = 0;
  for (const rel of files) {
    const f = await sha256File(join(path, ...rel.split('/')));
    hashed.push({ rel, hex: f.hex });
    bytes += f.bytes;
  }
  return { dir: { modelDir: path, files, digest: `sha256:${manifestDigest(hashed)}`, bytes } };
}
