// What users read about storageUri (`kubectl explain`, the published
// schemas, docs/storage.md) names exactly the schemes the storage
// initializer accepts: a scheme added or removed there shows up here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kindJsonSchema } from '../../src/api/openapi.ts';
import { KINDS } from '../../src/api/registry.ts';
import { SUPPORTED_SCHEMES } from '../../src/runtime/storage/index.ts';

const supported = [...SUPPORTED_SCHEMES].map((s) => s.replace('://', '')).sort();
const schemesIn = (text: string) => [...new Set([...text.matchAll(/\b([a-z][a-z0-9+.-]*):\/\//g)].map((m) => m[1]!))].sort();

/** Every description of a property named storageUri in a JSON schema. */
function storageUriDescriptions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) storageUriDescriptions(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'storageUri') out.push((value as { description?: string }).description ?? '');
      storageUriDescriptions(value, out);
    }
  }
  return out;
}

test('the storageUri field description lists the schemes the storage initializer accepts', () => {
  const isvc = KINDS.find((k) => k.kind === 'InferenceService')!;
  const descriptions = storageUriDescriptions(kindJsonSchema(isvc));
  assert.ok(descriptions.length > 0, 'InferenceService has storageUri fields');
  for (const d of descriptions) assert.deepEqual(schemesIn(d), supported, d);
});

test('docs/storage.md tables the schemes the storage initializer accepts', () => {
  const doc = readFileSync(new URL('../../docs/storage.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Schemes'), doc.indexOf('\n## ', doc.indexOf('## Schemes') + 1));
  const firstCells = section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1]!);
  assert.deepEqual(schemesIn(firstCells.join(' ')), supported);
});
