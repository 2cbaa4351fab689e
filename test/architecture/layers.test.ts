// The import rule of DESIGN.md: imports only go down the layers; L2 modules
// do not import each other; the CLI and dashboard speak HTTP only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

const LAYER: Record<string, number> = {
  core: 0, api: 0, analysis: 1, store: 1,
  gateway: 2, controllers: 2, runtime: 2, kube: 2,
  server: 3, cli: 3, web: 3,
};
/** Same-layer imports that the design allows. */
const ALLOWED_SIDEWAYS = new Set(['api->core']);
/** The CLI and the dashboard reach the system over HTTP only. */
const HTTP_ONLY = new Set(['cli', 'web']);
/** ...but may run pure functions offline (lint a plan file, price it): no state, no I/O. */
const PURE_FOR_CLIENTS = new Set(['core', 'api', 'analysis']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

function moduleOf(file: string): string | undefined {
  const rel = relative(SRC, file);
  return rel.includes('/') ? rel.split('/')[0] : undefined; // src/main.ts is the composition root
}

test('every src module is a known layer', () => {
  for (const d of readdirSync(SRC)) {
    if (statSync(join(SRC, d)).isDirectory()) assert.ok(d in LAYER, `src/${d} is not a layer of DESIGN.md`);
  }
});

test('imports only go down the layers', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = moduleOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      const to = moduleOf(resolve(dirname(file), spec));
      if (!to || to === from) continue;
      const rel = relative(ROOT, file);
      if (HTTP_ONLY.has(from) && !PURE_FOR_CLIENTS.has(to)) violations.push(`${rel}: ${from} must speak HTTP only, imports ${to}`);
      else if (LAYER[to]! > LAYER[from]!) violations.push(`${rel}: ${from} (L${LAYER[from]}) imports ${to} (L${LAYER[to]})`);
      else if (LAYER[to] === LAYER[from] && !ALLOWED_SIDEWAYS.has(`${from}->${to}`)) violations.push(`${rel}: ${from} imports ${to} on the same layer`);
    }
  }
  assert.deepEqual(violations, []);
});

test('docs/architecture.md puts every src module on its layer and names none that does not exist', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const documented: Record<string, number> = {};
  for (const row of doc.matchAll(/^\| L(\d) \| ([^|]+) \|/gm)) {
    for (const mod of row[2]!.matchAll(/`src\/(\w+)`/g)) documented[mod[1]!] = Number(row[1]);
  }
  const existing = readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory()).sort();
  assert.deepEqual(documented, Object.fromEntries(existing.map((d) => [d, LAYER[d]])));
});
