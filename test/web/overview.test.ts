// The overview's problems (not Ready, paused, undecidable, rolled back or
// aborted in the last hour: errors first, then warnings, newest first), the
// routes views are addressed by, and the watch stream's line splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineSplitter } from '../../src/web/lines.ts';
import type { Isvc, Plan } from '../../src/web/model/kinds.ts';
import { problemsOf, RECENT_MS } from '../../src/web/model/problems.ts';
import { hrefOf, parseRoute, type Route } from '../../src/web/router.ts';
import { intervalText, metricValue, percentOf } from '../../src/web/format.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const cond = (type: string, status: string, t: number, extra: Record<string, string> = {}) => ({ type, status, lastTransitionTime: ago(t), ...extra });

test('problems: what needs a person, errors first and newest first', () => {
  const isvcs: Isvc[] = [
    { metadata: { name: 'ok', namespace: 'ml' }, status: { conditions: [cond('Ready', 'True', 1000)] } },
    { metadata: { name: 'broken', namespace: 'ml' }, status: { conditions: [cond('Ready', 'False', 60_000, { reason: 'RevisionFailed', message: 'model file missing' })] } },
  ];
  const plan = (name: string, phase: string, conditions: ReturnType<typeof cond>[]): Plan => ({ metadata: { name, namespace: 'ml' }, status: { phase: phase as 'Paused', message: `${name} says why`, conditions } as Plan['status'] });
  const plans = [
    plan('recent-rollback', 'RolledBack', [cond('Completed', 'True', 5 * 60_000)]),
    plan('old-rollback', 'RolledBack', [cond('Completed', 'True', RECENT_MS + 1000)]),
    plan('aborted', 'Aborted', [cond('Completed', 'True', 30_000)]),
    plan('paused', 'Paused', [cond('Paused', 'True', 10_000)]),
    plan('stuck', 'Progressing', [cond('Decidable', 'False', 20_000, { message: 'gate outputPSI: value on its threshold' })]),
    plan('promoted', 'Promoted', [cond('Completed', 'True', 1000)]),
  ];
  const problems = problemsOf(isvcs, plans, NOW);
  assert.deepEqual(problems.map((p) => `${p.severity} ${p.title} ${p.name}`), [
    'error Aborted aborted', 'error Not Ready broken', 'error Rolled back recent-rollback', 'warning Paused paused', 'warning Cannot decide stuck',
  ]);
  assert.equal(problems[1]!.detail, 'RevisionFailed: model file missing');
  assert.equal(problems[4]!.detail, 'gate outputPSI: value on its threshold');
});

test('every view has an address that reads back as itself', () => {
  const routes: Route[] = [
    { view: 'overview' }, { view: 'plan', namespace: 'ml', name: 'fraud-v2' }, { view: 'service', namespace: 'a b', name: 'x/y' },
    { view: 'predictions' }, { view: 'predictions', namespace: 'ml', service: 'fraud' },
  ];
  for (const r of routes) assert.deepEqual(parseRoute(hrefOf(r)), r);
  assert.deepEqual(parseRoute('#/nowhere/at/all'), { view: 'overview' });
  assert.deepEqual(parseRoute(''), { view: 'overview' });
});

test('watch lines split across chunks are joined; blank lines are skipped', () => {
  const split = lineSplitter();
  assert.deepEqual(split('{"type":"ADDED"}\n{"ty'), ['{"type":"ADDED"}']);
  assert.deepEqual(split('pe":"MODIFIED"}\n\n'), ['{"type":"MODIFIED"}']);
  assert.deepEqual(split('{"a":1}'), []);
  assert.deepEqual(split('\n'), ['{"a":1}']);
});

test('gate values read in their unit', () => {
  assert.equal(metricValue('errorRate', 0.0123), '1.23 %');
  assert.equal(metricValue('latencyP99Ms', 212.44), '212 ms');
  assert.equal(metricValue('outputPSI', 0.012345), '0.0123');
  assert.equal(metricValue('errorRate', null), '—');
  assert.equal(intervalText('latencyP99Ms', [40, null]), '[40 ms, ∞]');
  assert.equal(percentOf(0.5), '50 %');
});
