import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../src/core/jsonpatch.ts';

test('merge patch merges objects, deletes with null, replaces arrays, leaves input intact', () => {
  const target = { spec: { a: 1, b: { c: 2 }, list: [1, 2] } };
  const out = applyMergePatch(target, { spec: { a: null, b: { d: 3 }, list: [9] } });
  assert.deepEqual(out, { spec: { b: { c: 2, d: 3 }, list: [9] } });
  assert.deepEqual(target, { spec: { a: 1, b: { c: 2 }, list: [1, 2] } });
});

test('json patch add/remove/replace/move/copy/test', () => {
  const doc = { spec: { predictor: { canaryTrafficPercent: 10 }, tags: ['a'] } };
  const out = applyJsonPatch(doc, [
    { op: 'replace', path: '/spec/predictor/canaryTrafficPercent', value: 50 },
    { op: 'add', path: '/spec/tags/-', value: 'b' },
    { op: 'add', path: '/spec/tags/0', value: 'z' },
    { op: 'copy', from: '/spec/tags/1', path: '/spec/first' },
    { op: 'move', from: '/spec/first', path: '/spec/moved' },
    { op: 'test', path: '/spec/moved', value: 'a' },
    { op: 'remove', path: '/spec/tags/2' },
  ]);
  assert.deepEqual(out, { spec: { predictor: { canaryTrafficPercent: 50 }, tags: ['z', 'a'], moved: 'a' } });
  assert.equal(doc.spec.predictor.canaryTrafficPercent, 10);
});

test('json patch fails whole on a bad operation, naming the path', () => {
  // An operation that cannot apply is 422 Invalid, as the Kubernetes API server answers it; a body that is not a patch is 400.
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), (e: Error & { code?: string }) => /path "\/b" does not exist/.test(e.message) && e.code === 'SY_ERR_INVALID');
  assert.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'replace', path: '/a/5', value: 1 }]), (e: Error & { code?: string }) => /out of range/.test(e.message) && e.code === 'SY_ERR_INVALID');
  // A failed test is 422 Invalid, as the Kubernetes API server answers it (not 409: nothing changed under the client).
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e: Error & { code?: string }) => /test operation 0 failed/.test(e.message) && e.code === 'SY_ERR_INVALID');
  assert.throws(() => applyJsonPatch({ a: 1 }, { op: 'add' }), (e: Error & { code?: string }) => /array of operations/.test(e.message) && e.code === 'SY_ERR_BAD_REQUEST');
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'frobnicate', path: '/a' }]), /unknown op/);
});

test('strategic merge patch drops $-directives', () => {
  const out = applyStrategicMergePatch({ metadata: { labels: { a: '1' } } }, { metadata: { labels: { b: '2' } }, $setElementOrder: [] });
  assert.deepEqual(out, { metadata: { labels: { a: '1', b: '2' } } });
});
