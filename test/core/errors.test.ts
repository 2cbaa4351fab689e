import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, syError } from '../../src/core/errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

test('every catalogue code is documented in docs/errors.md with its status, reason and meaning', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} missing from docs/errors.md`);
    const [status, reason, meaning] = row.split(' | ').slice(1).map((cell) => cell.replace(/ \|$/, ''));
    assert.deepEqual({ status, reason, meaning }, { status: String(spec.status), reason: spec.reason, meaning: spec.summary }, `${code} documented differently from the catalogue`);
  }
});

test('docs/errors.md documents no code the catalogue lacks', () => {
  const documented = [...doc.matchAll(/^\| `(SY_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  for (const code of documented) assert.ok(code! in ERRORS, `${code} documented but not in the catalogue`);
});

test('errors carry status and reason from the catalogue', () => {
  const err = syError('SY_ERR_CONFLICT', 'stale');
  assert.equal(err.status, 409);
  assert.equal(err.reason, 'Conflict');
  assert.equal(err.code, 'SY_ERR_CONFLICT');
});

test('every code is raised somewhere in src, or says it is retired: the page lists no error nobody can get', () => {
  const src = fileURLToPath(new URL('../../src', import.meta.url));
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  const code = walk(src).filter((f) => /\.tsx?$/.test(f) && !f.endsWith(join('core', 'errors.ts'))).map((f) => readFileSync(f, 'utf8')).join('\n');
  const unused = Object.entries(ERRORS).filter(([c, spec]) => !new RegExp(`\\b${c}\\b`).test(code) && !spec.summary.startsWith('Retired:')).map(([c]) => c);
  assert.deepEqual(unused, []);
});
