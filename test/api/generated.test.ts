import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_DIR, GENERATED_DIR, existingGeneratedFiles, generatedDeployFiles, generatedFiles } from '../../scripts/generate.ts';

const root = join(new URL('../..', import.meta.url).pathname, GENERATED_DIR);

test('docs/generated matches the schemas (run `npm run gen` after changing a kind)', () => {
  const want = generatedFiles();
  assert.deepEqual(existingGeneratedFiles(root), [...want.keys()].sort(), 'generated file set drifted');
  for (const [rel, content] of want) assert.ok(readFileSync(join(root, rel), 'utf8') === content, `${rel} drifted from the schemas; run npm run gen`);
});

test('deploy/crds matches the TrafficPlan schema (run `npm run gen` after changing it)', () => {
  const deploy = join(new URL('../..', import.meta.url).pathname, DEPLOY_DIR);
  for (const [rel, content] of generatedDeployFiles()) assert.ok(readFileSync(join(deploy, rel), 'utf8') === content, `${DEPLOY_DIR}/${rel} drifted from the schema; run npm run gen`);
});
