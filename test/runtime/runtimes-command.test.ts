// `switchyard runtimes list` prints the Python environments as a table (-o wide adds the pinned
// requirements and what each holds) or as json/yaml {items}, like the other list verbs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMPLETE_MARKER, ENVIRONMENTS, environmentDir } from '../../src/runtime/python/environments.ts';

const BIN = new URL('../../bin/switchyard.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sy-runtimes-list-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const kserve = ENVIRONMENTS.find((e) => e.name === 'kserve')!;
const mlserver = ENVIRONMENTS.find((e) => e.name === 'mlserver')!;
// An environment is installed once its install wrote the completion marker.
mkdirSync(environmentDir(dir, kserve), { recursive: true });
writeFileSync(join(environmentDir(dir, kserve), COMPLETE_MARKER), '');

function list(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'runtimes', 'list', '--runtimes-dir', dir, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const words = (line: string) => line.trim().split(/\s{3,}/);

test('the table names each environment, whether it is installed, its runtimes and where; wide adds the requirements and what it holds', async () => {
  const plain = await list();
  assert.equal(plain.code, 0, plain.stderr);
  const [header, ...rows] = plain.stdout.trimEnd().split('\n').map(words);
  assert.deepEqual(header, ['NAME', 'STATUS', 'RUNTIMES', 'PATH']);
  assert.deepEqual(rows, [
    ['mlserver', 'missing', 'kserve-mlserver', environmentDir(dir, mlserver)],
    ['kserve', 'installed', 'kserve-sklearnserver,kserve-xgbserver,kserve-lgbserver,switchyard-python', environmentDir(dir, kserve)],
  ]);

  const wide = await list('-o', 'wide');
  assert.equal(wide.code, 0, wide.stderr);
  const [wideHeader, ...wideRows] = wide.stdout.trimEnd().split('\n').map(words);
  assert.deepEqual(wideHeader, ['NAME', 'STATUS', 'RUNTIMES', 'PATH', 'REQUIREMENTS', 'DESCRIPTION']);
  assert.deepEqual(wideRows[1], [...rows[1]!, kserve.requirements, kserve.description]);
});

test('-o json and -o yaml print {items} with the same fields; another format is refused naming the allowed ones', async () => {
  const json = await list('-o', 'json');
  assert.equal(json.code, 0, json.stderr);
  const data = JSON.parse(json.stdout) as { items: Array<Record<string, unknown>> };
  assert.deepEqual(data.items.map((e) => [e.name, e.status]), [['mlserver', 'missing'], ['kserve', 'installed']]);
  assert.deepEqual(data.items[1], {
    name: 'kserve', status: 'installed', runtimes: kserve.runtimes, path: environmentDir(dir, kserve), requirements: kserve.requirements, description: kserve.description,
  });
  const yaml = await list('-o', 'yaml');
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.deepEqual(parse(yaml.stdout), data);

  const bad = await list('-o', 'name');
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /unable to match a printer suitable for the output format "name", allowed formats are: json,wide,yaml/);
});

test('--help documents -o', async () => {
  const help = await list('--help');
  assert.match(help.stdout, /-o, --output <format>\s+wide .*\| json \| yaml/s);
});
