// RFC 7386 JSON merge patch and RFC 6902 JSON patch, the two PATCH bodies
// kubectl sends for custom kinds. Both are pure: they return a new value and
// never mutate their inputs.
import { syError } from './errors.ts';

type Json = unknown;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw syError('SY_ERR_BAD_REQUEST', `json patch: path "${pointer}" must start with "/"`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, forInsert: boolean, path: string): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw syError('SY_ERR_INVALID', `json patch: "${token}" is not an array index in path "${path}"`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw syError('SY_ERR_INVALID', `json patch: index ${i} out of range in path "${path}"`);
  return i;
}

function getAt(doc: Json, tokens: string[], path: string): Json {
  let cur: Json = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw syError('SY_ERR_INVALID', `json patch: path "${path}" does not exist`);
  }
  return cur;
}

/** Walks to the parent of the last token; containers along the way are copied so inputs stay untouched. */
function withParent(doc: Json, tokens: string[], path: string, edit: (parent: Record<string, unknown> | unknown[], last: string) => void): Json {
  if (tokens.length === 0) throw syError('SY_ERR_INVALID', 'json patch: this operation needs a non-root path');
  const root = structuredClone(doc);
  let cur: Json = root;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw syError('SY_ERR_INVALID', `json patch: path "${path}" does not exist`);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw syError('SY_ERR_INVALID', `json patch: parent of "${path}" is not an object or array`);
  edit(cur, tokens[tokens.length - 1]!);
  return root;
}

function add(doc: Json, path: string, value: unknown): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  return withParent(doc, tokens, path, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, path), 0, structuredClone(value));
    else parent[last] = structuredClone(value);
  });
}

function remove(doc: Json, path: string): Json {
  return withParent(doc, parsePointer(path), path, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, path), 1);
    else if (Object.hasOwn(parent, last)) delete parent[last];
    else throw syError('SY_ERR_INVALID', `json patch: path "${path}" does not exist`);
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}

/** RFC 6902. Any failing operation fails the whole patch (nothing is applied). */
export function applyJsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw syError('SY_ERR_BAD_REQUEST', 'json patch: body must be an array of operations');
  let cur = doc;
  ops.forEach((raw, i) => {
    if (!isPlainObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw syError('SY_ERR_BAD_REQUEST', `json patch: operation ${i} needs string "op" and "path"`);
    }
    const op = raw as unknown as Operation;
    switch (op.op) {
      case 'add': cur = add(cur, op.path, op.value); break;
      case 'remove': cur = remove(cur, op.path); break;
      case 'replace': getAt(cur, parsePointer(op.path), op.path); cur = add(remove(cur, op.path), op.path, op.value); break;
      case 'move': {
        const value = getAt(cur, parsePointer(op.from ?? ''), op.from ?? '');
        cur = add(remove(cur, op.from ?? ''), op.path, value);
        break;
      }
      case 'copy': cur = add(cur, op.path, getAt(cur, parsePointer(op.from ?? ''), op.from ?? '')); break;
      case 'test':
        if (!deepEqual(getAt(cur, parsePointer(op.path), op.path), op.value)) {
          // A failed test is an invalid patch (422), as the Kubernetes API server answers it.
          throw syError('SY_ERR_INVALID', `json patch: test operation ${i} failed at "${op.path}"`);
        }
        break;
      default: throw syError('SY_ERR_BAD_REQUEST', `json patch: unknown op "${op.op}" in operation ${i}`);
    }
  });
  return cur;
}

/**
 * kubectl sends strategic merge patches for built-in kinds (Namespace).
 * Our built-in kinds have no merge keys that matter, so it is a merge patch
 * with the `$`-directives removed.
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  return applyMergePatch(target, stripDirectives(patch));
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}
