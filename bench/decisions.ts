// Decision-quality benchmark for the TrafficPlan core: simulated rollouts
// driven straight through the real gates and step logic (pure functions,
// simulated clock), at several traffic levels.
//   A/A        candidate identical to the baseline: how often is it wrongly
//              rolled back, and how often promoted within maxDuration?
//   errors     error rate 3× the gate's fail threshold
//   shift      class rates moved by 10 points
//   latency    every latency doubled (p99 ×2)
//   psi        output distribution with PSI 0.3 against the baseline's
// Each window carries N requests split by the canary percentage; labels,
// errors and latencies are drawn as counts (binomial / multinomial), so a
// rollout of millions of requests costs little. Seeded: same output every run.
// Run: node --import tsx bench/decisions.ts [--rollouts 200] [--levels 2000,20000,200000] [--seed 7]
import { benchArgs } from './args.ts';
import { binomial, multinomial, seededRandom } from '../src/core/random.ts';
import { RECOMMENDED_GATES, alphaShares } from '../src/analysis/gates.ts';
import { oneProportionSampleSize } from '../src/analysis/fixed-horizon.ts';
import { normalQuantile, normalCdf } from '../src/analysis/special.ts';
import type { SideEvidence } from '../src/analysis/evidence.ts';
import { trafficPlanSpec, type TrafficPlanSpec } from '../src/api/kinds/trafficplan.ts';
import { initialState } from '../src/controllers/plan/state.ts';
import { step } from '../src/controllers/plan/step.ts';


const values = benchArgs(import.meta.url, {
  rollouts: { type: 'string', default: '200' },
  levels: { type: 'string', default: '2000,20000,200000' },
  seed: { type: 'string', default: '7' },
});
const ROLLOUTS = Number(values.rollouts);
const LEVELS = values.levels.split(',').map(Number);
const WINDOW_MS = 60_000;
const MIN_REQUESTS = 5000;

export const BENCH_PLAN: TrafficPlanSpec = trafficPlanSpec.parse({
  target: { inferenceService: 'fraud-score' },
  candidate: { storageUri: 'pvc://models/v2/' },
  owner: { team: 'risk' },
  phases: [{ canary: { steps: [1, 10, 50, 100], hold: { minRequests: MIN_REQUESTS, passingWindows: 2 } } }],
  gates: RECOMMENDED_GATES,
  window: '1m',
  maxDuration: '24h',
  rollback: { onGateFailure: true, keepWarm: '24h' },
});
const MAX_WINDOWS = 24 * 60;
const ALPHA = alphaShares(BENCH_PLAN);

const BASE_RATES = [0.6, 0.3, 0.1];
const ERROR_RATE = 0.002;
const LATENCY_MEDIAN = 40;
const LATENCY_SIGMA = 0.5;
// Latency: lognormal, median 40 ms, σ 0.5 (p99 ≈ 128 ms), discretised on a grid of 2 % steps in
// latency from 4 σ below to 5 σ above the median.
const STEP = Math.log(1.02);
const GRID = Array.from({ length: Math.ceil((9 * LATENCY_SIGMA) / STEP) }, (_, i) => -4 * LATENCY_SIGMA + i * STEP);
const LATENCY_BINS = GRID.map((x) => LATENCY_MEDIAN * Math.exp(x + STEP / 2));
const EQUAL = GRID.map((x, i) => (i === GRID.length - 1 ? 1 : normalCdf((x + STEP) / LATENCY_SIGMA)) - (i === 0 ? 0 : normalCdf(x / LATENCY_SIGMA)));

interface Truth {
  errorRate: number;
  classRates: number[];
  latencyFactor: number;
}
const BASELINE: Truth = { errorRate: ERROR_RATE, classRates: BASE_RATES, latencyFactor: 1 };

function side(rand: () => number, requests: number, t: Truth): SideEvidence {
  const errors = binomial(rand, requests, t.errorRate);
  const outputs = requests - errors;
  const labels: Record<string, number> = {};
  multinomial(rand, outputs, t.classRates).forEach((k, i) => { if (k > 0) labels[`c${i}`] = k; });
  const latency: Array<[number, number]> = [];
  multinomial(rand, requests, EQUAL).forEach((k, i) => { if (k > 0) latency.push([LATENCY_BINS[i]! * t.latencyFactor, k]); });
  return { requests, errors, outputs, invalidOutputs: 0, labels, latency };
}

interface Outcome {
  phase: string;
  /** Candidate requests when the gates decided: the rollback, or the first look in the first step at which every gate passed. */
  decidedAt?: number;
  firstStep: boolean;
  withinBudget: boolean;
  gate?: string;
}

function rollout(rand: () => number, n: number, truth: Truth): Outcome {
  let t = 0;
  let state = step(BENCH_PLAN, initialState(), {}, t).state;
  let firstPassAt: number | undefined;
  let served = 0;
  for (let w = 1; w <= MAX_WINDOWS; w++) {
    const nc = binomial(rand, n, state.canaryPercent / 100);
    served += nc;
    const before = state;
    const window = { fromMs: t, toMs: t + WINDOW_MS, candidate: side(rand, nc, truth), baseline: side(rand, n - nc, BASELINE) };
    state = step(BENCH_PLAN, state, { window }, t + WINDOW_MS).state;
    t += WINDOW_MS;
    if (firstPassAt === undefined && before.stepIndex === 0 && state.lastVerdict === 'pass') firstPassAt = served;
    if (state.phase === 'RolledBack' || state.phase === 'Promoted' || state.phase === 'Aborted') {
      const gate = state.gates.find((g) => g.verdict === 'fail')?.gate;
      const first = before.stepIndex === 0;
      return {
        phase: state.phase, firstStep: first && state.phase === 'RolledBack', withinBudget: first && state.phase === 'RolledBack' && before.requestsInStep + nc <= MIN_REQUESTS,
        ...(state.phase === 'RolledBack' ? { decidedAt: served } : firstPassAt !== undefined ? { decidedAt: firstPassAt } : {}), ...(gate ? { gate } : {}),
      };
    }
  }
  return { phase: state.phase, firstStep: false, withinBudget: false, ...(firstPassAt !== undefined ? { decidedAt: firstPassAt } : {}) };
}

/** Class rates at PSI `target` from the baseline's: mass moved from the first class to the last. */
function psiShift(target: number): number[] {
  const psi = (r: number[]) => r.reduce((a, c, i) => a + (c - BASE_RATES[i]!) * Math.log(c / BASE_RATES[i]!), 0);
  let lo = 0;
  let hi = 0.55;
  for (let i = 0; i < 60; i++) {
    const m = (lo + hi) / 2;
    if (psi([BASE_RATES[0]! - m, BASE_RATES[1]!, BASE_RATES[2]! + m]) < target) lo = m;
    else hi = m;
  }
  return [BASE_RATES[0]! - lo, BASE_RATES[1]!, BASE_RATES[2]! + lo];
}

// Fixed-horizon sample sizes for the same decisions: one look, the same α per gate, power 0.8.
const P99 = LATENCY_MEDIAN * Math.exp(LATENCY_SIGMA * normalQuantile(0.99));
const slowerThan = (ms: number, factor: number) => 1 - normalCdf(Math.log(ms / (LATENCY_MEDIAN * factor)) / LATENCY_SIGMA);
const classes = BASE_RATES.length;
// The baseline is taken as known (it has 99 times the candidate's data in the first step).
const FIXED: Record<string, (truth: Truth) => number> = {
  errorRate: (t) => oneProportionSampleSize(0.01, t.errorRate, ALPHA.step, 0.8),
  latencyP99Ms: (t) => oneProportionSampleSize(0.01, slowerThan(1.5 * P99, t.latencyFactor), ALPHA.step / 4, 0.8),
  // Every class within 5 points (A/A), or the class that moved beyond 5 points (the easiest one to show).
  classRateDelta: (t) => {
    const each = t.classRates.map((c, i) => {
      const b = BASE_RATES[i]!;
      const moved = Math.abs(c - b) > 0.05;
      const edge = b + 0.05 * (c >= b ? 1 : -1);
      return { moved, n: oneProportionSampleSize(moved ? edge : b + 0.05, c, ALPHA.step / (2 * classes), 0.8) };
    });
    const moved = each.filter((e) => e.moved);
    return moved.length > 0 ? Math.min(...moved.map((e) => e.n)) : Math.max(...each.map((e) => e.n));
  },
};

const SCENARIOS: Array<{ name: string; truth: (rand: () => number) => Truth; bad: boolean }> = [
  { name: 'A/A', truth: () => BASELINE, bad: false },
  { name: 'errors 3%', truth: () => ({ ...BASELINE, errorRate: 0.03 }), bad: true },
  { name: 'shift 10pt', truth: (rand) => {
    const from = rand() < 0.75 ? 0 : 1;
    const to = [0, 1, 2].filter((i) => i !== from)[Math.floor(rand() * 2)]!;
    const rates = [...BASE_RATES];
    rates[from]! -= 0.1;
    rates[to]! += 0.1;
    return { ...BASELINE, classRates: rates };
  }, bad: true },
  { name: 'p99 ×2', truth: () => ({ ...BASELINE, latencyFactor: 2 }), bad: true },
  { name: 'PSI 0.3', truth: () => ({ ...BASELINE, classRates: psiShift(0.3) }), bad: true },
];

const pct = (k: number, of: number) => `${((100 * k) / of).toFixed(1).padStart(5)} %`;
const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const mode = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1])[0]?.[0];

const started = performance.now();
console.log(`decisions: ${ROLLOUTS} rollouts per scenario, steps [1,10,50,100], hold {minRequests: ${MIN_REQUESTS}, passingWindows: 2}, window 1m, maxDuration 24h, α 0.05`);
console.log(`gates: ${RECOMMENDED_GATES.map((g) => `${g.metric} ${Object.entries(g).filter(([k]) => k !== 'metric').map(([k, v]) => `${k} ${v}`).join(' ')}`).join('; ')}`);
console.log(`α per gate and step ${ALPHA.step.toPrecision(3)}, per fail-fast window ${ALPHA.window.toPrecision(3)}`);
console.log('requests/min  scenario     rolled back  promoted  undecided  first step  in budget  median cand. requests to decide  fixed-horizon n (gate)');
console.log('(decide: the rollback, or for A/A the first look at which every gate passed; looks come once a window, so a decision waits for the window it falls in)');
const rand = seededRandom(Number(values.seed));
for (const n of LEVELS) {
  for (const sc of SCENARIOS) {
    const outs: Outcome[] = [];
    const truths: Truth[] = [];
    for (let i = 0; i < ROLLOUTS; i++) {
      const truth = sc.truth(rand);
      truths.push(truth);
      outs.push(rollout(rand, n, truth));
    }
    const count = (f: (o: Outcome) => boolean) => outs.filter(f).length;
    const decided = outs.filter((o) => (sc.bad ? o.phase === 'RolledBack' : o.decidedAt !== undefined)).map((o) => o.decidedAt!);
    const gate = sc.bad ? mode(outs.flatMap((o) => (o.gate ? [o.gate] : []))) : 'classRateDelta';
    const fixed = gate && FIXED[gate] ? Math.ceil(median(truths.map((t) => FIXED[gate]!(t)))) : undefined;
    const med = median(decided);
    console.log([
      String(n).padStart(12), sc.name.padEnd(11), pct(count((o) => o.phase === 'RolledBack'), ROLLOUTS).padStart(11), pct(count((o) => o.phase === 'Promoted'), ROLLOUTS).padStart(8),
      pct(count((o) => o.phase === 'Progressing' || o.phase === 'Paused'), ROLLOUTS).padStart(9), pct(count((o) => o.firstStep), ROLLOUTS).padStart(10), pct(count((o) => o.withinBudget), ROLLOUTS).padStart(9),
      String(Number.isNaN(med) ? '—' : med).padStart(32), `${fixed ?? '—'} (${gate ?? '—'})${fixed && !Number.isNaN(med) ? ` ×${(med / fixed).toFixed(2)}` : ''}`.padStart(24),
    ].join('  '));
  }
}
console.log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
