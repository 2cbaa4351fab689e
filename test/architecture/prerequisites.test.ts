// One rule for a missing prerequisite (test/prerequisite.ts): skip on a
// developer's machine, fail in CI, whatever value the CI system gives CI
// (true, 1, yes). A test that reads CI itself gets that wrong for some of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEST = join(ROOT, 'test');
const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

test('only test/prerequisite.ts reads CI', () => {
  const readers = walk(TEST)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('prerequisite.ts') && !f.endsWith('prerequisites.test.ts'))
    .filter((f) => /process\.env\.CI\b|env\[['"]CI['"]\]/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(readers, []);
});

test('a missing prerequisite skips locally and fails under each way CI systems set CI', () => {
  const probe = `import('./test/prerequisite.ts').then((p) => console.log(p.missingPrerequisite('no tool')))`;
  const run = (ci: string | undefined) => {
    const env = { ...process.env };
    if (ci === undefined) delete env.CI;
    else env.CI = ci;
    try {
      return execFileSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: ROOT, env, encoding: 'utf8', stdio: 'pipe' }).trim();
    } catch {
      return 'failed';
    }
  };
  assert.deepEqual([undefined, '', 'false', '0'].map(run), ['no tool', 'no tool', 'no tool', 'no tool']);
  assert.deepEqual(['true', '1', 'yes'].map(run), ['failed', 'failed', 'failed']);
});
