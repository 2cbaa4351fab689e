import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseManifests, readManifests } from '../../src/cli/manifests.ts';

test('multi-document YAML: each document stands alone, bad ones are reported with their position', () => {
  const text = `apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: Namespace
metadata: {name: [unclosed
---
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: last}
---
`;
  const docs = parseManifests(text, 'ns.yaml');
  assert.equal(docs.length, 4);
  assert.equal((docs[0]!.object!.metadata as any).name, 'demo');
  assert.equal(docs[1]!.error?.code, 'SY_ERR_MALFORMED_BODY');
  assert.match(docs[1]!.error!.message, /ns\.yaml#2/);
  assert.equal(docs[2]!.error?.code, 'SY_ERR_INVALID');
  assert.match(docs[2]!.error!.message, /apiVersion is required/);
  assert.equal((docs[3]!.object!.metadata as any).name, 'last');
});

test('JSON documents and kind: List are accepted', () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } }] });
  assert.deepEqual(parseManifests(list, 'l.json').map((m) => (m.object!.metadata as any).name), ['a', 'b']);
});

test('alias bombs and __proto__ keys are refused', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 12; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
  const [doc] = parseManifests(bomb.join('\n'), 'bomb.yaml');
  assert.equal(doc!.error?.code, 'SY_ERR_MALFORMED_BODY');
  const [proto] = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: p, __proto__: {polluted: true}}\n', 'p.yaml');
  assert.equal(proto!.error?.code, 'SY_ERR_MALFORMED_BODY');
  assert.equal(({} as any).polluted, undefined);
});

test('a directory yields its .yaml/.yml/.json files in name order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-mf-'));
  writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n');
  writeFileSync(join(dir, 'a.json'), '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}');
  writeFileSync(join(dir, 'README.md'), '# not a manifest');
  assert.deepEqual(readManifests([dir]).map((m) => (m.object!.metadata as any).name), ['a', 'b']);
  assert.throws(() => readManifests([join(dir, 'missing.yaml')]), (e: any) => e.code === 'SY_ERR_CONFIG');
  assert.deepEqual(readManifests(['-'], () => 'apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n').map((m) => m.source), ['stdin']);
});
