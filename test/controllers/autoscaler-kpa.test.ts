// KPA behaviour over simulated time: one sample and one decision per second,
// replicas that take `startup` seconds to become ready. No sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, initialAutoscalerState, record, type AutoscalerState, type Decision } from '../../src/controllers/autoscaler/kpa.ts';
import { kpaConfig, type KpaConfig } from '../../src/controllers/autoscaler/knobs.ts';

const T0 = 1_700_000_000_000;
const at = (s: number): number => T0 + s * 1000;

interface Step {
  t: number;
  ready: number;
  d: Decision;
}

interface Sim {
  state: AutoscalerState;
  ready: number;
  t: number;
  /** Requested replica count and when each pending replica turns ready. */
  pending: number[];
  steps: Step[];
}

function startSim(config: KpaConfig, ready: number, state?: AutoscalerState): Sim {
  return { state: state ?? initialAutoscalerState(config, at(0), ready), ready, t: 0, pending: [], steps: [] };
}

/** Runs seconds [sim.t, sim.t + seconds): record the load, decide, apply the decision. */
function run(sim: Sim, config: KpaConfig, seconds: number, load: (t: number) => number, startup = 0): Sim {
  for (let i = 0; i < seconds; i++, sim.t++) {
    const t = sim.t;
    sim.ready += sim.pending.filter((r) => r <= t).length;
    sim.pending = sim.pending.filter((r) => r > t);
    sim.state = record(sim.state, { at: at(t), value: load(t) });
    const d = decide(sim.state, at(t), config, { ready: sim.ready });
    sim.state = d.state;
    sim.steps.push({ t, ready: sim.ready, d });
    const wanted = d.desired - sim.ready - sim.pending.length;
    if (wanted > 0) for (let k = 0; k < wanted; k++) sim.pending.push(t + startup);
    if (d.desired < sim.ready) {
      sim.ready = d.desired; // stopping is immediate
      sim.pending = [];
    }
    if (startup === 0) {
      sim.ready += sim.pending.length;
      sim.pending = [];
    }
  }
  return sim;
}

const last = (sim: Sim): Step => sim.steps[sim.steps.length - 1]!;
const target7 = kpaConfig({ target: 10 }); // 10 × 70 % = 7 in-flight requests per replica

test('steady load at 3× target settles at 3 replicas, in stable mode after the window', () => {
  const sim = run(startSim(target7, 1), target7, 150, () => 21);
  assert.equal(last(sim).d.desired, 3);
  assert.equal(last(sim).d.panicking, false);
  assert.match(last(sim).d.reason, /^stable: 21 concurrency over 60s \/ target 7 → 3/);
  assert.ok(sim.steps.slice(1).every((s) => s.d.desired === 3), 'never over- or under-shoots');
});

test('a slow ramp from 2 replicas scales up in stable mode without panicking', () => {
  const sim = run(startSim(target7, 2), target7, 70, () => 14);
  assert.equal(last(sim).d.panicking, false, 'the start-up panic ends after a stable window');
  run(sim, target7, 120, (t) => Math.min(21, 14 + (t - 70) * 0.1));
  assert.ok(sim.steps.slice(70).every((s) => !s.d.panicking));
  assert.equal(last(sim).d.desired, 3);
});

test('a burst that doubles the load triggers panic and scales up at once', () => {
  const sim = run(startSim(target7, 3), target7, 70, () => 21);
  assert.equal(last(sim).d.panicking, false);
  run(sim, target7, 10, () => 42, 10); // new replicas need 10 s to start
  const first = sim.steps.slice(70).find((s) => s.d.panicking);
  assert.ok(first, 'panic mode was entered');
  assert.ok(first.t - 70 <= 6, `panic within the 6 s panic window (after ${first.t - 70}s)`);
  assert.equal(first.d.desired, Math.ceil(first.d.observed.panic / 7), 'the panic-window value');
  assert.equal(first.d.desired, 6);
  assert.ok(first.d.observed.stable / 7 <= 4, 'while the stable window alone would still ask for ≤ 4');
  assert.match(first.d.reason, /^panic: [\d.]+ concurrency over 6s \/ target 7 → 6 \(stable 4\)/);
});

test('no scale-down while panicking; panic ends 60 s after the last panic condition', () => {
  const sim = run(startSim(target7, 3), target7, 70, () => 21);
  run(sim, target7, 10, () => 42, 10);
  const lastOver = Math.max(...sim.steps.filter((s) => s.d.panicking && Math.ceil(s.d.observed.panic / 7) / Math.max(1, s.ready) >= 2).map((s) => s.t));
  run(sim, target7, 120, () => 7); // load falls to a third of one replica's target
  const panicSteps = sim.steps.filter((s) => s.t > 70 && s.d.panicking);
  assert.ok(panicSteps.every((s) => s.d.desired === 6), 'held at the panic maximum throughout');
  assert.ok(panicSteps.some((s) => /no scale-down while panicking/.test(s.d.reason)));
  const exit = sim.steps.find((s) => s.t > lastOver && !s.d.panicking)!;
  assert.equal(exit.t - lastOver, 61, 'still panicking at +60 s, stable again at the next decision');
  assert.ok(exit.d.desired < 6, 'scales down once panic ends');
});

test('scale-down is limited to halving per decision', () => {
  const config = target7;
  let state = initialAutoscalerState(config, at(0), 1);
  for (let s = 0; s < 60; s++) state = record(state, { at: at(s), value: 7 }); // needs 1 replica
  const counts: number[] = [];
  let ready = 8;
  for (let s = 60; s < 64; s++) {
    state = record(state, { at: at(s), value: 7 });
    const d = decide(state, at(s), config, { ready });
    state = d.state;
    counts.push(d.desired);
    if (ready === 8) assert.match(d.reason, /scale-down limited to 4 \(max-scale-down-rate 2\)/);
    ready = d.desired;
  }
  assert.deepEqual(counts, [4, 2, 1, 1]);
  const gentle = kpaConfig({ ...config, maxScaleDownRate: 4 });
  const d = decide(state, at(63), gentle, { ready: 8 });
  assert.equal(d.desired, 2);
});

test('scale-up is limited by max-scale-up-rate', () => {
  const config = kpaConfig({ target: 10, maxScaleUpRate: 1.5, maxReplicas: 100 });
  let state = initialAutoscalerState(config, at(0), 2);
  state = record(state, { at: at(0), value: 700 });
  const d = decide(state, at(0), config, { ready: 2 });
  assert.equal(d.desired, 3); // ceil(1.5 × 2)
  assert.match(d.reason, /scale-up limited to 3/);
});

test('min and max bounds, and the local limit when maxReplicas is 0', () => {
  const decideAt = (config: KpaConfig, load: number, ready: number): Decision => {
    let state = initialAutoscalerState(config, at(0), 1);
    for (let s = 0; s < 60; s++) state = record(state, { at: at(s), value: load });
    return decide(state, at(59), config, { ready });
  };
  assert.equal(decideAt(kpaConfig({ target: 10, maxReplicas: 5 }), 700, 4).desired, 5);
  assert.equal(decideAt(kpaConfig({ target: 10 }), 700, 4).desired, 8, 'maxReplicas 0 → local limit 8');
  assert.equal(decideAt(kpaConfig({ target: 10, localReplicaLimit: 3 }), 700, 4).desired, 3);
  assert.equal(decideAt(kpaConfig({ target: 10, maxReplicas: 12 }), 700, 8).desired, 12, 'an explicit maxReplicas above the local limit is honoured');
  const low = decideAt(kpaConfig({ target: 10, minReplicas: 2 }), 0, 2);
  assert.equal(low.desired, 2);
  assert.match(low.reason, /bounded to \[2, 8\] → 2/);
});

test('rps metric: default target 200 × 70 %, scaleTarget replaces it, containerConcurrency does not cap it', () => {
  // 62 s: past the start-up panic of an autoscaler that begins with 3 ready replicas.
  const run420 = (config: KpaConfig): number => last(run(startSim(config, 3), config, 62, () => 420)).d.desired;
  assert.equal(run420(kpaConfig({ metric: 'rps' })), 3); // 420 / 140
  assert.equal(run420(kpaConfig({ metric: 'rps', target: 100 })), 6); // 420 / 70
  assert.equal(run420(kpaConfig({ metric: 'rps', target: 100, containerConcurrency: 5 })), 6);
  const sim = run(startSim(kpaConfig({ metric: 'rps' }), 3), kpaConfig({ metric: 'rps' }), 62, () => 420);
  assert.match(last(sim).d.reason, /420 rps over 60s \/ target 140/);
});

test('containerConcurrency is the target when none is set, and caps a higher one', () => {
  const replicasFor21 = (config: KpaConfig): number => last(run(startSim(config, 1), config, 61, () => 21)).d.desired;
  assert.equal(replicasFor21(kpaConfig({ containerConcurrency: 10 })), 3); // 10 × 0.7 = 7
  assert.equal(replicasFor21(kpaConfig({ target: 50, containerConcurrency: 10 })), 3); // min(50, 10) × 0.7
  assert.equal(replicasFor21(kpaConfig({ target: 50 })), 1); // 35 per replica
  assert.equal(replicasFor21(kpaConfig({})), 1); // default 100 × 0.7
  assert.equal(replicasFor21(kpaConfig({ target: 10, targetUtilizationPercentage: 100 })), 3); // 21 / 10
});

const knativeZero = kpaConfig({ target: 10, minReplicas: 0 });

/** 30 s of traffic, then idle seconds recorded as zeros; returns the first second at zero replicas. */
function firstZero(config: KpaConfig, seconds = 400): { t: number | undefined; sim: Sim } {
  const sim = run(startSim(config, 1), config, seconds, (t) => (t < 30 ? 7 : 0));
  return { t: sim.steps.find((s) => s.d.desired === 0)?.t, sim };
}

test('Knative mode with minReplicas 0 scales to zero a stable window plus the grace period after the last request', () => {
  const { t, sim } = firstZero(knativeZero);
  // Last request in second 29; the stable average reaches 0 at 89 (revision turns inactive); grace 30 s.
  assert.equal(t, 119);
  const waiting = sim.steps.find((s) => s.t === 100)!;
  assert.equal(waiting.d.desired, 1);
  assert.match(waiting.d.reason, /inactive, scale to zero in 19s → keeping 1/);
  assert.match(sim.steps.find((s) => s.t === 119)!.d.reason, /inactive for 30s → scale to zero/);
  assert.ok(sim.steps.slice(119).every((s) => s.d.desired === 0), 'stays at zero while idle');
  assert.equal(firstZero(kpaConfig({ ...knativeZero, scaleToZeroGracePeriodSeconds: 10 })).t, 99);
  assert.equal(firstZero(kpaConfig({ ...knativeZero, scaleToZeroPodRetentionPeriodSeconds: 120 })).t, 209);
});

test('a revision is kept for a stable window after it became active', () => {
  const config = kpaConfig({ ...knativeZero, scaleToZeroGracePeriodSeconds: 1 });
  const sim = run(startSim(config, 1), config, 80, () => 0); // never any traffic
  assert.match(sim.steps[10]!.d.reason, /active for less than the stable window \(50s left\) → 1/);
  assert.equal(sim.steps.find((s) => s.d.desired === 0)?.t, 61);
});

test('never to zero in Standard mode, with minReplicas 1, or with scale to zero disabled', () => {
  for (const config of [
    kpaConfig({ ...knativeZero, mode: 'Standard' }),
    kpaConfig({ ...knativeZero, minReplicas: 1 }),
    kpaConfig({ ...knativeZero, enableScaleToZero: false }),
  ]) {
    const { t, sim } = firstZero(config, 600);
    assert.equal(t, undefined, `${config.mode} min ${config.minReplicas} enable ${config.enableScaleToZero}`);
    assert.equal(last(sim).d.desired, 1);
  }
});

test('from zero, an arriving request asks for a replica at once (activator poke)', () => {
  const { sim } = firstZero(knativeZero, 200);
  assert.equal(last(sim).d.desired, 0);
  const t = sim.t;
  // The activator holds one request: a decision before the next sample already asks for 1.
  const poke = decide(sim.state, at(t) + 300, knativeZero, { ready: 0, buffered: 1 });
  assert.equal(poke.desired, 1);
  assert.match(poke.reason, /activating: 1 request\(s\) buffered at zero replicas/);
  // Once the activator's sample is recorded, the metric alone asks for 1 too.
  const withSample = decide(record(sim.state, { at: at(t) + 300, value: 1 }), at(t) + 300, knativeZero, { ready: 0 });
  assert.equal(withSample.desired, 1);
  // A large burst at zero panics and asks for more than one.
  const burst = decide(record(sim.state, { at: at(t) + 300, value: 70 }), at(t) + 300, knativeZero, { ready: 0, buffered: 70 });
  assert.equal(burst.panicking, true);
  assert.ok(burst.desired >= 2, `burst asks for ${burst.desired}`);
});

test('with no samples at all: keeps the current count within bounds, and wakes for buffered requests', () => {
  const state = initialAutoscalerState(knativeZero, at(0), 0);
  const idle = decide(state, at(5), knativeZero, { ready: 0 });
  assert.equal(idle.desired, 0);
  assert.match(idle.reason, /no concurrency data/);
  assert.equal(decide(state, at(5), knativeZero, { ready: 0, buffered: 2 }).desired, 1);
  assert.equal(decide(state, at(5), kpaConfig({ target: 10, minReplicas: 2 }), { ready: 0 }).desired, 2);
});

test('a restarted autoscaler with several ready replicas starts in panic and does not shrink them', () => {
  const config = target7;
  let state = initialAutoscalerState(config, at(0), 5);
  state = record(state, { at: at(0), value: 0 });
  const d = decide(state, at(0), config, { ready: 5 });
  assert.equal(d.panicking, true);
  assert.equal(d.desired, 5);
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

test('decisions are pure: same inputs, same outputs, inputs untouched', () => {
  const scenario = (): Decision[] => {
    const sim = run(startSim(knativeZero, 1), knativeZero, 200, (t) => (t < 40 ? 21 : t < 50 ? 70 : 0), 5);
    return sim.steps.map((s) => s.d);
  };
  assert.deepEqual(scenario(), scenario());
  const sim = run(startSim(target7, 3), target7, 75, (t) => (t < 70 ? 21 : 60));
  const frozen = deepFreeze(structuredClone(sim.state));
  const snapshot = structuredClone(frozen);
  const config = deepFreeze(kpaConfig({ target: 10 }));
  const a = decide(frozen, at(75), config, { ready: 3 });
  const b = decide(frozen, at(75), config, { ready: 3 });
  assert.deepEqual(a, b);
  assert.deepEqual(frozen, snapshot);
  assert.doesNotThrow(() => record(frozen, { at: at(76), value: 5 }));
});
