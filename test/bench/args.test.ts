// Every benchmark says what it measures and which options it takes (--help), and refuses a wrong
// option in one line, through one helper (bench/args.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from '../e2e/harness.ts';

const benches = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.ts') && readFileSync(join(ROOT, 'bench', f), 'utf8').includes('benchArgs('));

test('every benchmark with options reads them through benchArgs', () => {
  const raw = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.ts') && f !== 'args.ts' && /\bparseArgs\(/.test(readFileSync(join(ROOT, 'bench', f), 'utf8')));
  assert.deepEqual(raw, []);
  assert.ok(benches.length >= 5, benches.join(', '));
});

test('--help prints what a benchmark measures and its options with their defaults; a wrong option is one line, exit 2', async () => {
  const help = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/srm.ts'), '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^The sample-ratio check/);
  assert.match(help.stdout, /Options:\n  --runs <value> +\(default: 4000\)/);
  const wrong = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/srm.ts'), '--runz', '5']);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.stderr.trim(), "srm.ts: Unknown option '--runz' (--help lists the options)");
});
