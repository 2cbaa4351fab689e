import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETENTION_MS, filterInput, keepsInput, keyedHash, PolicySet, type PolicySource } from '../../src/store/predictions-policy.ts';
import { inputText } from '../../src/store/predictions-write.ts';

const KEY = Buffer.alloc(32, 1);
const policy = (name: string, spec: PolicySource['spec'], creationTimestamp = '2026-01-01T00:00:00Z', namespace = 'ml'): PolicySource => ({ namespace, name, creationTimestamp, spec });
const ruleOf = (spec: PolicySource['spec']) => new PolicySet([policy('p', spec)]).of('ml', 'any').inputs!;
const filter = (spec: PolicySource['spec'], body: unknown) => filterInput(structuredClone(body), ruleOf(spec), (v) => keyedHash(KEY, 'ml', v));

const BODY = {
  instances: [
    { name: 'Ada', ssn: '123-45-6789', amount: 5, tags: ['a', 'b'] },
    { name: 'Bob', ssn: '987-65-4321', amount: 7, tags: ['c'] },
  ],
  customer: { id: 'c-1', email: 'ada@example.com' },
};

test('without any policy nothing keeps inputs, and rows live the default 7 days', () => {
  const p = new PolicySet([]).of('ml', 'fraud');
  assert.equal(p.inputs, undefined);
  assert.equal(p.policy, undefined);
  assert.equal(p.retentionMs, DEFAULT_RETENTION_MS);
  assert.equal(keepsInput(p, 'any-id'), false);
});

test('a policy naming the service wins over a namespace-wide one; other namespaces are untouched', () => {
  const set = new PolicySet([
    policy('wide', { retention: '48h' }, '2025-01-01T00:00:00Z'),
    policy('fraud', { services: ['fraud'], inputs: {}, retention: '1h' }, '2026-06-01T00:00:00Z'),
  ]);
  assert.equal(set.of('ml', 'fraud').policy, 'ml/fraud');
  assert.equal(set.of('ml', 'fraud').retentionMs, 3_600_000);
  assert.deepEqual(set.of('ml', 'fraud').inputs, { sampleRate: 1, drop: [], hash: [] });
  assert.equal(set.of('ml', 'churn').policy, 'ml/wide');
  assert.equal(set.of('ml', 'churn').inputs, undefined, 'a policy without inputs keeps none');
  assert.equal(set.of('ml', 'churn').retentionMs, 48 * 3_600_000);
  assert.equal(set.of('web', 'fraud').policy, undefined);
});

test('between equally specific policies the oldest wins, then the name', () => {
  const set = new PolicySet([
    policy('b-newer', { retention: '2h' }, '2026-02-01T00:00:00Z'),
    policy('z-older', { retention: '3h' }, '2026-01-01T00:00:00Z'),
    policy('a-older', { retention: '4h' }, '2026-01-01T00:00:00Z'),
  ]);
  assert.equal(set.of('ml', 'x').policy, 'ml/a-older');
});

test('keep selects paths and the structure around them; arrays keep their positions', () => {
  assert.deepEqual(filter({ inputs: { keep: ['$.instances[*].amount'] } }, BODY), { instances: [{ amount: 5 }, { amount: 7 }] });
  assert.deepEqual(filter({ inputs: { keep: ['$.instances[1].name', "$['customer'].id"] } }, BODY), { instances: [null, { name: 'Bob' }], customer: { id: 'c-1' } });
  assert.deepEqual(filter({ inputs: { keep: ['$.nothing.here'] } }, BODY), {});
  assert.deepEqual(filter({ inputs: { keep: ['$'] } }, BODY), BODY);
});

test('drop removes fields (array elements become null); hash replaces values by a keyed hash', () => {
  const out = filter({ inputs: { drop: ['$.instances[*].name', '$.customer', '$.instances[0].tags[0]'], hash: ['$.instances[*].ssn'] } }, BODY) as typeof BODY;
  assert.deepEqual(out, {
    instances: [
      { ssn: keyedHash(KEY, 'ml', '123-45-6789'), amount: 5, tags: [null, 'b'] },
      { ssn: keyedHash(KEY, 'ml', '987-65-4321'), amount: 7, tags: ['c'] },
    ],
  });
  assert.match(out.instances[0]!.ssn, /^hmac-sha256:[0-9a-f]{64}$/);
  // keep, then drop, then hash on what is left; hashing an object hashes its JSON.
  assert.deepEqual(filter({ inputs: { keep: ['$.customer'], drop: ['$.customer.email'], hash: ['$.customer'] } }, BODY), { customer: keyedHash(KEY, 'ml', { id: 'c-1' }) });
  assert.equal(filter({ inputs: { drop: ['$'] } }, BODY), null);
});

test('the keyed hash is stable for a key and namespace, and differs across namespaces and keys', () => {
  const h = keyedHash(KEY, 'ml', '123-45-6789');
  assert.equal(keyedHash(KEY, 'ml', '123-45-6789'), h);
  assert.notEqual(keyedHash(KEY, 'web', '123-45-6789'), h, 'equal values do not link across namespaces');
  assert.notEqual(keyedHash(Buffer.alloc(32, 2), 'ml', '123-45-6789'), h);
  assert.notEqual(keyedHash(KEY, 'ml', 123456789), keyedHash(KEY, 'ml', '123-45-6789'));
});

test('input sampling is decided by the request id: stable, and close to the rate', () => {
  const p = new PolicySet([policy('s', { inputs: { sampleRate: 0.1 } })]).of('ml', 'fraud');
  let kept = 0;
  for (let i = 0; i < 10_000; i++) {
    const k = keepsInput(p, `req-${i}`);
    assert.equal(keepsInput(p, `req-${i}`), k);
    if (k) kept++;
  }
  assert.ok(Math.abs(kept - 1000) <= 5 * Math.sqrt(10_000 * 0.1 * 0.9), `kept ${kept}`);
  assert.equal(keepsInput(new PolicySet([policy('n', { inputs: { sampleRate: 0 } })]).of('ml', 'x'), 'req-1'), false);
});

test('bodies as stored: filtered JSON; non-JSON only when no path needs to see inside; too large as a marker', () => {
  const hashValue = (v: unknown) => keyedHash(KEY, 'ml', v);
  assert.equal(inputText('{"a":1,"b":2}', ruleOf({ inputs: {} }), hashValue, 1000), '{"a":1,"b":2}');
  assert.equal(inputText('{"a":1,"b":2}', ruleOf({ inputs: { drop: ['$.b'] } }), hashValue, 1000), '{"a":1}');
  assert.equal(inputText('plain text', ruleOf({ inputs: {} }), hashValue, 1000), '"plain text"');
  assert.equal(inputText('ssn 123', ruleOf({ inputs: { hash: ['$.ssn'] } }), hashValue, 1000), '"[not JSON: 7 bytes]"');
  assert.equal(inputText('{"a":"xxxxxxxx"}', ruleOf({ inputs: {} }), hashValue, 10), '"[too large: 16 bytes]"');
});

test('paths that cannot select parts of a body, and bad durations, are refused naming the policy', () => {
  assert.throws(() => new PolicySet([policy('f', { inputs: { keep: ["$.a[?(@.b=='c')]"] } })]), /PredictionLogPolicy ml\/f: spec.inputs.keep.0: filters are not supported/);
  assert.throws(() => new PolicySet([policy('r', { retention: '0s' })]), /PredictionLogPolicy ml\/r: retention must be a positive duration/);
});
