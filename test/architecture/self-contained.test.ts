// The repository runs on its own: a clone outside this workspace has no
// shared folder beside it, so no code, test, script, bench, example or CI
// step may reach for one. Data a test needs is copied into test/fixtures
// with its provenance and licence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHECKED = ['src', 'test', 'scripts', 'bench', 'examples', '.ci', 'bin', 'package.json'];
// Built from parts so that this file does not match itself.
const OUTSIDE = new RegExp(['\\.\\.', 'shared'].join('/') + '|' + ['/work', 'shared'].join('/'));

function walk(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((n) => n !== 'node_modules').flatMap((n) => walk(join(path, n)));
}

test('no file refers to the workspace outside the repository', () => {
  const list = CHECKED.flatMap((p) => walk(join(ROOT, p))).map((f) => relative(ROOT, f));
  assert.ok(list.some((f) => f.startsWith('src/')) && list.some((f) => f.startsWith('.ci/')), 'the check sees the tree');
  const offenders: string[] = [];
  for (const file of list) {
    readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
      if (OUTSIDE.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});
