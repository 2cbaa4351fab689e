// The plan view's model: the timeline of phases and steps, the threshold
// lines of a gate (as the analysis reads its checks), the gate and split
// series from the plan's history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksOf } from '../../src/analysis/gates.ts';
import { COMMAND_ANNOTATION, COMMAND_REASON_ANNOTATION, HALT_COMMANDS, TERMINAL_PLAN_PHASES } from '../../src/api/kinds/trafficplan.ts';
import { commandsFor, HALT_COMMANDS as WEB_HALT_COMMANDS } from '../../src/web/model/commands.ts';
import * as kinds from '../../src/web/model/kinds.ts';
import { xRangeOf, yRangeOf } from '../../src/web/components/chart-range.ts';
import { gateKey, gateSeriesOf, splitSeriesOf, thresholdLines, timelineOf, type HistoryPoint } from '../../src/web/model/plan.ts';
import type { Plan } from '../../src/web/model/kinds.ts';

const spec = (phases: NonNullable<Plan['spec']>['phases']): Plan['spec'] => ({ phases });
const plan = (status: Plan['status'], phases: NonNullable<Plan['spec']>['phases'] = [{ canary: { steps: [10, 50, 100] } }]): Plan => ({ metadata: { name: 'p', namespace: 'ml' }, spec: spec(phases), status });
const states = (p: Plan) => timelineOf(p).map((s) => `${s.label}:${s.state}`);

test('the timeline says where the plan is and how it ended', () => {
  assert.deepEqual(states(plan({ phase: 'Pending' })), ['10 %:next', '50 %:next', '100 %:next']);
  assert.deepEqual(states(plan({ phase: 'Progressing', phaseIndex: 0, currentStep: 1 })), ['10 %:done', '50 %:current', '100 %:next']);
  assert.deepEqual(states(plan({ phase: 'Paused', phaseIndex: 0, currentStep: 0 })), ['10 %:current', '50 %:next', '100 %:next']);
  assert.deepEqual(states(plan({ phase: 'RolledBack', phaseIndex: 0, currentStep: 1 })), ['10 %:done', '50 %:stopped', '100 %:next']);
  assert.deepEqual(states(plan({ phase: 'Promoted', phaseIndex: 0, currentStep: 0 })), ['10 %:done', '50 %:skipped', '100 %:skipped'], 'promoted by command from the first step');
  assert.deepEqual(states(plan({ phase: 'Validated', phaseIndex: 0, currentStep: 0 }, [{ shadow: { percent: 50 } }])), ['shadow 50 %:done'], 'a shadow-only plan that passed');
  const phased = plan({ phase: 'Progressing', phaseIndex: 1, currentStep: 0 }, [{ shadow: { percent: 25 } }, { canary: { steps: [20, 100] } }, { bandit: { algorithm: 'thompson' } }]);
  assert.deepEqual(timelineOf(phased).map((s) => `${s.kind} ${s.label}:${s.state}`), ['shadow shadow 25 %:done', 'canary 20 %:current', 'canary 100 %:next', 'bandit bandit (thompson):next']);
});

test("threshold lines are the gate's max and min checks as the analysis reads them; deltas are not drawn", () => {
  const gates = [
    { metric: 'errorRate', max: 0.01, pass: { max: 0.005 } },
    { metric: 'latencyP99Ms', max: 500, maxRelativeDelta: 0.5 },
    { metric: 'requests', min: 100 },
    { metric: 'classRateDelta', maxDelta: 0.05 },
  ];
  for (const g of gates) {
    const fromAnalysis = checksOf(g).filter((c) => c.kind === 'max' || c.kind === 'min').flatMap((c) => (c.pass === c.fail ? [c.fail] : [c.fail, c.pass]));
    assert.deepEqual(thresholdLines(g).map((l) => l.value), fromAnalysis, g.metric);
  }
  assert.deepEqual(thresholdLines(gates[0]).map((l) => [l.role, l.label]), [['fail', 'fails above 0.01'], ['pass', 'passes below 0.005']]);
  assert.equal(gateKey({ name: 'p99-slow', metric: 'latencyP99Ms' }), 'p99-slow');
  assert.equal(gateKey({ metric: 'errorRate' }), 'errorRate');
});

test('the browser repeats the command annotation names and the terminal phases of the schema exactly', () => {
  assert.equal(kinds.COMMAND_ANNOTATION, COMMAND_ANNOTATION);
  assert.equal(kinds.COMMAND_REASON_ANNOTATION, COMMAND_REASON_ANNOTATION);
  assert.deepEqual([...kinds.TERMINAL_PHASES].sort(), [...TERMINAL_PLAN_PHASES].sort());
  assert.deepEqual([...WEB_HALT_COMMANDS].sort(), [...HALT_COMMANDS].sort());
});

test("commands offered follow the plan's owner rules: everything to admins and the owner team, halting to canHalt, nothing to others or once finished", () => {
  const owned = (phase: string): Plan => ({ metadata: { name: 'p' }, spec: { owner: { team: 'ml', canHalt: ['sre'] } }, status: { phase: phase as 'Progressing' } });
  const offer = (phase: string, role: string, groups: string[]) => commandsFor(owned(phase), { role, groups });
  assert.deepEqual(offer('Progressing', 'admin', []).commands, ['pause', 'promote', 'rollback', 'abort', 'kill']);
  assert.deepEqual(offer('Paused', 'operator', ['ml']).commands, ['resume', 'promote', 'rollback', 'abort', 'kill']);
  const sre = offer('Paused', 'operator', ['sre']);
  assert.deepEqual(sre.commands, ['rollback', 'abort', 'kill'], 'canHalt may stop the plan, not resume or promote it');
  assert.match(sre.note!, /only its owner team "ml" or an admin may promote or resume/);
  const other = offer('Progressing', 'operator', []);
  assert.deepEqual(other.commands, []);
  assert.match(other.note!, /owner team "ml", the groups that may halt it \(sre\) or an admin.*your groups: none/);
  assert.deepEqual(offer('RolledBack', 'admin', []), { commands: [] });
  const bandit: Plan = { metadata: { name: 'b' }, spec: { owner: { team: 'ml', canHalt: ['sre'] }, phases: [{ bandit: { algorithm: 'thompson' } }] as NonNullable<Plan['spec']>['phases'] }, status: { phase: 'Progressing', phaseIndex: 0 } };
  assert.deepEqual(commandsFor(bandit, { role: 'operator', groups: ['sre'] }).commands, ['pause', 'rollback', 'abort', 'kill', 'learning-off'], 'a bandit can be held by those who may halt it');
});

const T0 = 1_700_000_000_000;
const point = (s: number, extra: Partial<HistoryPoint>): HistoryPoint => ({ at: T0 + s * 1000, gates: [], ...extra });

test('gate series: one value per judged window, per gate and slice, from its first value on, infinite ends left open', () => {
  const g = (value: number, slice?: string) => ({ name: 'errorRate', metric: 'errorRate', verdict: 'inconclusive', window: value * 2, value, interval: [0, value > 0.01 ? Infinity : value * 3], ...(slice ? { slice } : {}) });
  const points = [
    point(0, { phase: 'Pending' }),
    point(1, { verdict: 'nodata', gates: [{ name: 'errorRate', metric: 'errorRate', verdict: 'nodata' }] }),
    point(2, { verdict: 'inconclusive', gates: [g(0.01)] }),
    point(3, { canaryPercent: 50 }),
    point(4, { verdict: 'pass', gates: [g(0.02), g(0.001, 'tier=gold')] }),
  ];
  const series = gateSeriesOf(points);
  assert.deepEqual(series.map((s) => s.key), ['errorRate', 'errorRate[tier=gold]']);
  assert.deepEqual(series[0]!.t, [T0 / 1000 + 2, T0 / 1000 + 4]);
  assert.deepEqual(series[0]!.value, [0.01, 0.02]);
  assert.deepEqual(series[0]!.window, [0.02, 0.04]);
  assert.deepEqual(series[0]!.hi, [0.03, null], 'an infinite bound is open, not a point at infinity');
  assert.deepEqual(series[1]!.t, [T0 / 1000 + 4]);
});

test('split series: baseline first, each move a step, ending at the live status', () => {
  const p = plan({ phase: 'Progressing', baselineRevision: 'r1', candidateRevision: 'r2', split: { r1: 50, r2: 50 } });
  const points = [point(0, { split: { r2: 10, r1: 90 } }), point(5, { split: { r1: 90, r2: 10 }, verdict: 'pass' }), point(8, { split: { r1: 50, r2: 50 } })];
  const s = splitSeriesOf(points, p, T0 + 10_000);
  assert.deepEqual(s.revisions, ['r1', 'r2']);
  assert.deepEqual(s.t, [0, 5, 8, 10].map((x) => T0 / 1000 + x));
  assert.deepEqual(s.percent, [[90, 90, 50, 50], [10, 10, 50, 50]]);
});

test('chart ranges: fixed ends kept, never narrower than the least span', () => {
  assert.deepEqual(yRangeOf(0, 0, [0, null], 0.01), [0, 0.01], 'no errors: a flat line at 0, not mid-height');
  assert.deepEqual(yRangeOf(0, 0.2, [0, null], 0.01), [0, 0.2]);
  assert.deepEqual(yRangeOf(1, 1, [null, 1], 0.05), [0.95, 1], 'agreement at 100 % sits at the top');
  assert.deepEqual(yRangeOf(0.9, 1, [null, 1], 0.05), [0.9, 1]);
  assert.deepEqual(yRangeOf(null, null, [0, 100]), [0, 100]);
  assert.deepEqual(yRangeOf(5, 5, undefined), [5, 10]);
});

test('the time axis spans the points, and a minute around a lone one (uPlot\'s own spans a thousand days)', () => {
  assert.deepEqual(xRangeOf([1000, 1300, 1600], 1000, 1600), [1000, 1600]);
  assert.deepEqual(xRangeOf([1000], 1000, 1000 + 86_400_000), [970, 1030]);
  assert.deepEqual(xRangeOf([1000, 1000], 1000, 1000), [970, 1030]);
  assert.deepEqual(xRangeOf([], null, null, 5000), [4940, 5000]);
});
