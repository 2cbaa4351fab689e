// No import cycles in src/, type-only imports included: a cycle means two
// modules are one concept split in two (or one depends on the other's
// internals), and at runtime it makes evaluation order matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** Relative imports of a file, resolved to the source files they name. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const base = resolve(dirname(file), m[1] ?? m[2]!).replace(/\.(js|ts|tsx)$/, '');
    const hit = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find(existsSync);
    if (hit) out.push(hit);
  }
  return out;
}

/** Every back edge of a depth-first search closes a cycle; none means the graph is acyclic. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const onStack = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string): void => {
    onStack.add(n);
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      if (onStack.has(d)) cycles.push([...path.slice(path.indexOf(d)), d]);
      else if (!done.has(d)) visit(d);
    }
    path.pop();
    onStack.delete(n);
    done.add(n);
  };
  for (const n of graph.keys()) if (!done.has(n)) visit(n);
  return cycles;
}

test('the cycle finder finds a cycle through type-only imports and none in a chain', () => {
  assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
  assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), [['a', 'b', 'c', 'a']]);
});

test('src/ has no import cycles', () => {
  const graph = new Map(walk(SRC).map((f) => [f, importsOf(f)]));
  const cycles = findCycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' -> '));
  assert.deepEqual(cycles, []);
});
