// Docs and comments send readers to files by path (`test/gateway/limits.test.ts
// checks it`, `see src/store/predictions-write.ts`): each path must exist, or
// the pointer is a claim nobody can check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKIP = new Set(['node_modules', 'generated', 'fixtures']);
const walk = (path: string): string[] =>
  statSync(path).isDirectory() ? readdirSync(path).filter((n) => !SKIP.has(n)).flatMap((n) => walk(join(path, n))) : [path];
// A repository path: not the tail of a longer one (packages/sdk-js/src/util.ts is another repository's).
const PATH = /(?<![\w./-])(?:src|test|bench|scripts|examples|docs|deploy|python)\/[\w./-]*\w\.(?:ts|tsx|mjs|sh|ya?ml|py|md|txt)\b/g;

test('every file path that README, docs and code comments name exists', () => {
  const files = [join(ROOT, 'README.md'), ...['docs', 'src', 'test', 'scripts', 'bench', 'examples', '.ci'].flatMap((d) => walk(join(ROOT, d)))]
    .filter((f) => /\.(md|ts|tsx|mjs|sh|ya?ml)$|\/\.ci\/run$/.test(f));
  const missing: string[] = [];
  for (const file of files) {
    for (const [path] of readFileSync(file, 'utf8').matchAll(PATH)) {
      // Placeholders (python/requirements/NAME.txt) and globs name no one file.
      if (!/\*|\b[A-Z]{2,}\b/.test(path) && !existsSync(join(ROOT, path))) missing.push(`${relative(ROOT, file)}: ${path}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});
