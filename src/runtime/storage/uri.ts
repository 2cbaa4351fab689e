// Parses a storageUri into where the artifact lives and which directory it
// must not escape. Pure: no filesystem access. Paths are checked on the raw
// text because WHATWG URL parsing silently resolves `..` (file:///a/../b is
// /b), which would hide exactly the tricks we have to refuse.
import { join } from 'node:path';
import { syError } from '../../core/errors.ts';
import { SUPPORTED_SCHEMES, redact, schemeOf } from '../../api/storage-uri.ts';

export { redact };

export type StorageLocation =
  | { scheme: 'file'; root: string; path: string; expectedSha256?: string }
  | { scheme: 'pvc'; claim: string; root: string; path: string; expectedSha256?: string }
  | { scheme: 'http'; url: string; name: string; expectedSha256?: string }
  | { scheme: 's3' | 'gs'; bucket: string; key: string; expectedSha256?: string };

// S3 and GCS bucket names: 3-63 of lowercase letters, digits, '.', '-' (and '_' on GCS).
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

// Kubernetes PersistentVolumeClaim names are DNS-1123 subdomains.
const CLAIM_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Split `#sha256=<hex>` off a URI; any other fragment is an error. */
function splitFragment(uri: string): { rest: string; expectedSha256?: string } {
  const hashAt = uri.indexOf('#');
  if (hashAt < 0) return { rest: uri };
  const fragment = uri.slice(hashAt + 1);
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(fragment);
  if (!m) throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": fragment "#${fragment}" is not understood; the only fragment allowed is #sha256=<64 hex digits>`);
  return { rest: uri.slice(0, hashAt), expectedSha256: m[1]!.toLowerCase() };
}

/**
 * Decode a slash-separated path into safe segments. Refuses `..` (also as
 * %2e%2e), encoded separators and NUL that would let a segment smuggle one in,
 * and malformed percent-encoding. `.` and a trailing slash are dropped.
 */
function safeSegments(uri: string, rawPath: string): string[] {
  const out: string[] = [];
  const raw = rawPath.split('/');
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i]!;
    if (part === '') {
      if (i === raw.length - 1) continue; // trailing slash
      throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${redact(uri)}": empty path segment ("//") is not allowed; write the path relative to its root with single slashes`);
    }
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": malformed percent-encoding in path segment "${part}"`);
    }
    if (seg === '..') throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${redact(uri)}": path segment ".." is not allowed; name the artifact by a path inside its root`);
    if (seg.includes('/') || seg.includes('\\') || seg.includes('\0')) {
      throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${redact(uri)}": path segment "${part}" decodes to a separator or NUL, which is not allowed`);
    }
    if (seg === '.') continue;
    out.push(seg);
  }
  return out;
}

function parseFile(uri: string, rest: string, expectedSha256?: string): StorageLocation {
  let path = rest.slice('file://'.length);
  if (path.startsWith('localhost/')) path = path.slice('localhost'.length);
  if (!path.startsWith('/')) {
    throw syError('SY_ERR_STORAGE_URI', `storageUri "${uri}": file:// needs an absolute path with an empty host, like file:///models/iris`);
  }
  if (path.includes('?')) throw syError('SY_ERR_STORAGE_URI', `storageUri "${uri}": a query string is not allowed in a file:// URI`);
  const segments = safeSegments(uri, path.slice(1));
  const abs = '/' + segments.join('/');
  return { scheme: 'file', root: abs, path: abs, ...(expectedSha256 ? { expectedSha256 } : {}) };
}

function parsePvc(uri: string, rest: string, dataDir: string, expectedSha256?: string): StorageLocation {
  const body = rest.slice('pvc://'.length);
  if (body.includes('?')) throw syError('SY_ERR_STORAGE_URI', `storageUri "${uri}": a query string is not allowed in a pvc:// URI`);
  const slash = body.indexOf('/');
  const rawClaim = slash < 0 ? body : body.slice(0, slash);
  if (rawClaim === '') throw syError('SY_ERR_STORAGE_URI', `storageUri "${uri}": the claim name is empty; write pvc://CLAIM/path/in/volume`);
  const claim = safeSegments(uri, rawClaim)[0] ?? '';
  if (!CLAIM_NAME.test(claim)) {
    throw syError('SY_ERR_STORAGE_URI', `storageUri "${uri}": "${claim}" is not a valid claim name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)`);
  }
  const rawPath = slash < 0 ? '' : body.slice(slash + 1);
  if (rawPath.startsWith('/')) {
    throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${uri}": the path after the claim must be relative to the volume, not absolute ("${claim}//..." names the host filesystem)`);
  }
  const root = join(dataDir, 'volumes', claim);
  const segments = safeSegments(uri, rawPath);
  return { scheme: 'pvc', claim, root, path: join(root, ...segments), ...(expectedSha256 ? { expectedSha256 } : {}) };
}

function parseHttp(uri: string, rest: string, expectedSha256?: string): StorageLocation {
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}" is not a valid URL`);
  }
  if (url.hostname === '') throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}" has no host`);
  return { scheme: 'http', url: url.href, name: fileNameOf(url), ...(expectedSha256 ? { expectedSha256 } : {}) };
}

/** s3://BUCKET/key or gs://BUCKET/key: the key is checked like any path (no `..`, no empty segments). */
function parseBucket(uri: string, scheme: 's3' | 'gs', rest: string, expectedSha256?: string): StorageLocation {
  const body = rest.slice(`${scheme}://`.length);
  if (body.includes('?')) throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": a query string is not allowed in a ${scheme}:// URI`);
  const slash = body.indexOf('/');
  const bucket = slash < 0 ? body : body.slice(0, slash);
  if (!BUCKET_NAME.test(bucket)) {
    throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, '.', '-'${scheme === 'gs' ? ", '_'" : ''}); write ${scheme}://BUCKET/path/to/model`);
  }
  const rawKey = slash < 0 ? '' : body.slice(slash + 1);
  if (rawKey.startsWith('/')) throw syError('SY_ERR_STORAGE_PATH_ESCAPE', `storageUri "${redact(uri)}": empty path segment ("//") is not allowed; write the key relative to the bucket with single slashes`);
  return { scheme, bucket, key: safeSegments(uri, rawKey).join('/'), ...(expectedSha256 ? { expectedSha256 } : {}) };
}

/** The file name a download is stored under: the URL's last path segment, made safe. */
function fileNameOf(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  name = name.replace(/[/\\\0]/g, '_');
  return name === '' || name === '.' || name === '..' ? 'model' : name;
}

export function parseStorageUri(uri: string, dataDir: string): StorageLocation {
  const { rest, expectedSha256 } = splitFragment(uri.trim());
  const scheme = schemeOf(rest);
  const supported = SUPPORTED_SCHEMES.join(', ');
  if (scheme === undefined) throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}" has no scheme; supported schemes: ${supported}`);
  const normalized = scheme + rest.slice(scheme.length);
  switch (scheme) {
    case 'file': return parseFile(uri, normalized, expectedSha256);
    case 'pvc': return parsePvc(uri, normalized, dataDir, expectedSha256);
    case 'http':
    case 'https': return parseHttp(uri, normalized, expectedSha256);
    case 's3':
    case 'gs': return parseBucket(uri, scheme, normalized, expectedSha256);
    default:
      throw syError('SY_ERR_STORAGE_URI', `storageUri "${redact(uri)}": scheme ${scheme}:// is not supported; supported schemes: ${supported}`);
  }
}
