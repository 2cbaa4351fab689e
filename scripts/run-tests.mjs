#!/usr/bin/env node
// Runs node's built-in test runner over test files (Node 20's --test has no globs).
// usage: run-tests.mjs unit|e2e|ui|cluster|faults [path-filter...]
// Each slow suite is a directory of its own: e2e (real kubectl against `switchyard up`), ui (the
// dashboard in a real browser), cluster (a real kube-apiserver, built by
// scripts/kube-control-plane.sh), faults (the fault battery, docs/reliability.md, which also runs
// the gateway fault tests it cites); unit is everything else.
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

// The battery also runs the gateway's own fault tests (docs/reliability.md cites them).
const GATEWAY_FAULTS = ['ingress-retry', 'mirror-isolation', 'server-resilience', 'vs-gateway', 'h1-pool'].map((n) => join('test', 'gateway', `${n}.test.ts`));
const SLOW = ['e2e', 'ui', 'cluster', 'faults'];
if (suite !== 'unit' && !SLOW.includes(suite)) {
  console.error(`unknown suite ${suite}: unit, ${SLOW.join(', ')}`);
  process.exit(1);
}

const files = walk('test')
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => {
    const dir = f.split(/[\\/]/)[1];
    return suite === 'unit' ? !SLOW.includes(dir) : dir === suite || (suite === 'faults' && GATEWAY_FAULTS.includes(f));
  })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no ${suite} test files found`);
  process.exit(1);
}
const concurrency = suite === 'unit' ? '2' : '1';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
