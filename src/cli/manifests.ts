// Reads the objects named by -f: files, directories (their .yaml/.yml/.json
// files, sorted) or `-` for stdin. Each document parses on its own, so one
// bad document is reported without hiding the others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { syError, type SwitchyardError } from '../core/errors.ts';

export interface Manifest {
  /** `file.yaml` or `file.yaml#2` (1-based document index), for messages. */
  source: string;
  object?: Record<string, unknown>;
  error?: SwitchyardError;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function filesOf(path: string): string[] {
  if (path === '-') return ['-'];
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw syError('SY_ERR_CONFIG', `the path "${path}" does not exist`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .map((name) => join(path, name))
    .filter((p) => MANIFEST_EXTENSIONS.has(extname(p)) && statSync(p).isFile());
}

function hasForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  return Object.keys(value).some((k) => k === '__proto__' || k === 'constructor' || hasForbiddenKey((value as Record<string, unknown>)[k]));
}

/** Splits one file's text into objects; `kind: List` documents are expanded into their items. */
export function parseManifests(text: string, file: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const source = list.length > 1 ? `${file}#${i + 1}` : file;
    if (doc.errors.length > 0) {
      out.push({ source, error: syError('SY_ERR_MALFORMED_BODY', `error parsing ${source}: ${doc.errors[0]!.message}`) });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.push({ source, error: syError('SY_ERR_MALFORMED_BODY', `error parsing ${source}: ${(err as Error).message}`) });
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing ---
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.push({ source, error: syError('SY_ERR_MALFORMED_BODY', `error parsing ${source}: a document must be an object with apiVersion and kind`) });
      return;
    }
    if (hasForbiddenKey(value)) {
      out.push({ source, error: syError('SY_ERR_MALFORMED_BODY', `error parsing ${source}: keys named __proto__ or constructor are not allowed`) });
      return;
    }
    const obj = value as Record<string, unknown>;
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      obj.items.forEach((item, j) => out.push(checked(item, `${source}[${j}]`)));
    } else {
      out.push(checked(obj, source));
    }
  });
  return out;
}

function checked(value: unknown, source: string): Manifest {
  const obj = value as Record<string, unknown> | null;
  if (!obj || typeof obj !== 'object') return { source, error: syError('SY_ERR_MALFORMED_BODY', `error parsing ${source}: not an object`) };
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const missing = typeof obj.apiVersion !== 'string' ? 'apiVersion' : typeof obj.kind !== 'string' ? 'kind' : typeof meta?.name !== 'string' ? 'metadata.name' : undefined;
  if (missing) return { source, error: syError('SY_ERR_INVALID', `error validating ${source}: ${missing} is required`, { causes: [{ field: missing, message: 'Required value', reason: 'FieldValueRequired' }] }) };
  return { source, object: obj };
}

export function readManifests(paths: string[], readStdin: () => string = () => readFileSync(0, 'utf8')): Manifest[] {
  if (paths.length === 0) throw syError('SY_ERR_CONFIG', 'must specify -f FILENAME (a file, a directory or - for stdin)');
  const out: Manifest[] = [];
  for (const path of paths) {
    const files = filesOf(path);
    if (files.length === 0) throw syError('SY_ERR_CONFIG', `no .yaml, .yml or .json files in directory "${path}"`);
    for (const file of files) {
      const text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
      out.push(...parseManifests(text, file === '-' ? 'stdin' : file));
    }
  }
  return out;
}
