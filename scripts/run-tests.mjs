#!/usr/bin/env node
// Runs node's built-in test runner over test files (Node 20's --test has no globs).
// usage: run-tests.mjs unit|e2e [path-filter...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const [suite = 'unit', ...filters] = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk('test')
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => (suite === 'e2e') === f.startsWith(join('test', 'e2e')))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no ${suite} test files found`);
  process.exit(1);
}
const concurrency = suite === 'e2e' ? '1' : '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
