// Safe decoding of untrusted JSON and YAML: bounded aliases (no "billion
// laughs"), and no __proto__/constructor/prototype keys that could reach an
// object's prototype when the value is later merged or spread.
import { parseAllDocuments, parseDocument } from 'yaml';
import { syError } from './errors.ts';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_ALIASES = 100;
const MAX_DEPTH = 64;

/** Throws SY_ERR_MALFORMED_BODY naming the path of the first forbidden key or excessive depth. */
export function assertSafeValue(value: unknown, path = '', depth = 0): void {
  if (depth > MAX_DEPTH) throw syError('SY_ERR_MALFORMED_BODY', `document nests deeper than ${MAX_DEPTH} levels at ${path || '<root>'}`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertSafeValue(v, `${path}[${i}]`, depth + 1));
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) throw syError('SY_ERR_MALFORMED_BODY', `forbidden key "${key}" at ${child}`, { causes: [{ field: child, message: 'forbidden key', reason: 'FieldValueForbidden' }] });
      assertSafeValue((value as Record<string, unknown>)[key], child, depth + 1);
    }
  }
}

export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw syError('SY_ERR_MALFORMED_BODY', `invalid JSON: ${(err as Error).message}`);
  }
  assertSafeValue(value);
  return value;
}

function yamlError(err: unknown, doc?: number): never {
  const where = doc === undefined ? '' : ` (document ${doc + 1})`;
  throw syError('SY_ERR_MALFORMED_BODY', `invalid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
}

/** One YAML (or JSON) document. */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) yamlError(doc.errors[0]);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    yamlError(err);
  }
  assertSafeValue(value);
  return value;
}

export interface ParsedDocument {
  index: number;
  value?: unknown;
  error?: Error;
}

/**
 * Every document of a multi-document YAML stream. A bad document is reported
 * in its slot so the good ones can still be applied, as kubectl does.
 * Empty documents (a trailing ---) are skipped.
 */
export function parseYamlStream(text: string): ParsedDocument[] {
  const out: ParsedDocument[] = [];
  parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false }).forEach((doc, index) => {
    if ('errors' in doc && doc.errors.length > 0) {
      try { yamlError(doc.errors[0], index); } catch (error) { out.push({ index, error: error as Error }); }
      return;
    }
    try {
      const value = doc.toJS({ maxAliasCount: MAX_ALIASES });
      if (value === null || value === undefined) return;
      assertSafeValue(value);
      out.push({ index, value });
    } catch (error) {
      out.push({ index, error: (error as Error).name === 'SwitchyardError' ? (error as Error) : syError('SY_ERR_MALFORMED_BODY', `invalid YAML (document ${index + 1}): ${(error as Error).message}`) });
    }
  });
  return out;
}
