import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR, existingGeneratedFiles, generatedFiles } from '../../scripts/generate.ts';

const root = join(new URL('../..', import.meta.url).pathname, GENERATED_DIR);

test('docs/generated matches the schemas (run `npm run gen` after changing a kind)', () => {
  const want = generatedFiles();
  assert.deepEqual(existingGeneratedFiles(root), [...want.keys()].sort(), 'generated file set drifted');
  for (const [rel, content] of want) assert.ok(readFileSync(join(root, rel), 'utf8') === content, `${rel} drifted from the schemas; run npm run gen`);
});
