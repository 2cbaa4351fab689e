import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, parseYaml, parseYamlStream } from '../../src/core/parse.ts';

test('rejects __proto__ and constructor keys with their path', () => {
  assert.throws(() => parseJson('{"metadata":{"__proto__":{"x":1}}}'), /forbidden key "__proto__" at metadata.__proto__/);
  assert.throws(() => parseYaml('spec:\n  constructor: 1\n'), /forbidden key "constructor" at spec.constructor/);
});

test('malformed JSON and YAML name the problem', () => {
  assert.throws(() => parseJson('{"a":'), /invalid JSON/);
  assert.throws(() => parseYaml('a: [1, 2\n'), /invalid YAML/);
  assert.throws(() => parseYaml('a: 1\na: 2\n'), /invalid YAML/);
});

test('a YAML alias bomb is refused', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
  assert.throws(() => parseYaml(bomb.join('\n')), /invalid YAML/);
});

test('multi-document streams keep good documents and report bad ones in place', () => {
  const docs = parseYamlStream('a: 1\n---\nb: [\n---\nc: 3\n---\n');
  assert.equal(docs.length, 3);
  assert.deepEqual(docs[0]!.value, { a: 1 });
  assert.match(docs[1]!.error!.message, /document 2/);
  assert.deepEqual(docs[2]!.value, { c: 3 });
});
