// One sleep (src/core/sleep.ts): a wait written by hand — a promise resolved by a timer, or node's
// promise timers imported elsewhere — is a second one, with its own way of being cut short.
// src/web runs in the browser, which has no node:timers: it keeps its own, said where it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');
const EXEMPT = new Set(['src/core/sleep.ts', 'src/web/watch.ts']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** Where the call whose `(` is at `open` ends. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return text.length;
}

/** `new Promise((resolve) => … setTimeout(resolve, ms) …)`: the executor's resolve handed to a timer. */
function handMadeSleeps(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/new Promise(?:<[^>]*>)?\(\s*\(?\s*(\w+)[^)]*\)?\s*=>/g)) {
    const body = text.slice(m.index!, closingParen(text, text.indexOf('(', m.index! + 'new Promise'.length)));
    if (new RegExp(`setTimeout\\(\\s*${m[1]}\\b`).test(body)) found.push(text.slice(m.index!, text.indexOf('\n', m.index!)).trim());
  }
  if (/from ['"](node:)?timers\/promises['"]/.test(text)) found.push("import from 'node:timers/promises'");
  return found;
}

test('src waits only with src/core/sleep.ts', () => {
  const found = walk(SRC).flatMap((file) => {
    const rel = relative(ROOT, file);
    return EXEMPT.has(rel) ? [] : handMadeSleeps(readFileSync(file, 'utf8')).map((s) => `${rel}: ${s}`);
  });
  assert.deepEqual(found, []);
});

test('the check finds the hand-made sleeps it is meant to', () => {
  assert.equal(handMadeSleeps('await new Promise((r) => setTimeout(r, 20));').length, 1);
  assert.equal(handMadeSleeps('new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs))),').length, 1);
  assert.equal(handMadeSleeps("import { setTimeout as t } from 'node:timers/promises';").length, 1);
  assert.equal(handMadeSleeps('const t = setTimeout(() => child.kill(), ms);').length, 0);
  assert.equal(handMadeSleeps('await Promise.race([new Promise<void>((resolve) => (idle = resolve)), sleep(ms)]);\nsetTimeout(resolve, 1);').length, 0);
  assert.equal(handMadeSleeps('new Promise<void>((resolve) => {\n  const t = setTimeout(resolve, ms);\n});').length, 1);
});
