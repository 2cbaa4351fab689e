// Switch conditions: the GJSON subset KServe's examples use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, ConditionError } from '../../src/gateway/graph/condition.ts';
import { compileGraph } from '../../src/gateway/graph/compile.ts';
import { pickByWeight } from '../../src/gateway/graph/execute.ts';

const body = { instances: [[6.8, 2.8, 4.8, 1.4]], user: { tier: 'gold', age: 41, vip: true, note: null }, source: 'client', items: [{ score: 0.2 }, { score: 0.7 }] };
const m = (c: string, b: unknown = body): boolean => compileCondition(c)(b);

test('comparisons on nested paths and array indexes', () => {
  assert.equal(m('instances.0.0 > 5'), true);
  assert.equal(m('instances.0.0 > 7'), false);
  assert.equal(m('instances.0.3 <= 1.4'), true);
  assert.equal(m('instances.0.3 < 1.4'), false);
  assert.equal(m('user.tier == "gold"'), true);
  assert.equal(m('user.tier != "gold"'), false);
  assert.equal(m('user.age >= 41'), true);
  assert.equal(m('user.vip == true'), true);
  assert.equal(m('user.note == null'), true);
  assert.equal(m('user.tier % "go*"'), true);
  assert.equal(m('user.tier !% "go*"'), false);
  assert.equal(m('instances.# == 1'), true);
});

test('types must agree: a string never equals a number, a missing field never matches', () => {
  assert.equal(m('user.tier == 5'), false);
  assert.equal(m('user.age == "41"'), false);
  assert.equal(m('user.missing == "x"'), false);
  assert.equal(m('user.missing != "x"'), false, 'GJSON: a query on a missing value does not exist');
});

test('a bare path matches when the value exists, as gjson Exists()', () => {
  assert.equal(m('user.tier'), true);
  assert.equal(m('user.note'), true);
  assert.equal(m('user.nope'), false);
  assert.equal(m('instances.0.9'), false);
});

test('GJSON queries: [@this].#(...) on the body, path.#(...) over an array', () => {
  assert.equal(m('[@this].#(source==client)'), true);
  assert.equal(m('[@this].#(source=="server")'), false);
  assert.equal(m('items.#(score>0.5)'), true);
  assert.equal(m('items.#(score>0.9)'), false);
  assert.equal(m('#(score>0.5)', body.items), true);
});

test('unsupported syntax is refused, not silently false', () => {
  assert.throws(() => compileCondition('a.b|@reverse[0'), ConditionError);
  assert.throws(() => compileCondition(''), ConditionError);
  assert.throws(() => compileCondition('a == '), ConditionError);
  assert.equal(compileCondition('note == "a (b)"')({ note: 'a (b)' }), true, 'brackets inside quotes are fine');
});

test('Splitter picks steps in proportion to weight over [0, 100)', () => {
  const g = compileGraph('ns', 'g', { nodes: { root: { routerType: 'Splitter', steps: [{ serviceName: 'a', weight: 20 }, { serviceName: 'b', weight: 80 }] } } }, { domain: 'example.com' });
  const steps = g.nodes.get('root')!.steps;
  const picked = (x: number) => (pickByWeight(steps, () => x).target as { name: string }).name;
  assert.equal(picked(0), 'a');
  assert.equal(picked(0.1999), 'a');
  assert.equal(picked(0.2), 'b');
  assert.equal(picked(0.9999), 'b');
  // With a real generator: 2000 draws at p = 0.2 stay within 4σ (σ = sqrt(2000·0.2·0.8) ≈ 17.9).
  let a = 0;
  for (let i = 0; i < 2000; i++) if (picked(Math.random()) === 'a') a++;
  assert.ok(Math.abs(a - 400) < 4 * Math.sqrt(2000 * 0.2 * 0.8), `a was picked ${a} times of 2000`);
});

test('service steps call KServe\'s predictor endpoint for the protocol', () => {
  const g = compileGraph('ns', 'g', { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'v1svc' }, { serviceName: 'v2svc' }] } } }, {
    domain: 'example.com', protocolOf: (_ns, name) => (name === 'v2svc' ? 'v2' : undefined),
  });
  const [s1, s2] = g.nodes.get('root')!.steps;
  assert.deepEqual(s1!.target, { kind: 'service', namespace: 'ns', name: 'v1svc', host: 'v1svc.ns.example.com', path: '/v1/models/v1svc:predict' });
  assert.equal((s2!.target as { path: string }).path, '/v2/models/v2svc/infer');
});
