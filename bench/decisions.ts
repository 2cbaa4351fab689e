// Decision-quality benchmark for the TrafficPlan core: simulated rollouts
// driven straight through gates + step logic (pure functions, simulated clock).
//   A/A:   candidate identical to baseline → how often is it wrongly rolled back?
//   shift: candidate's class rates moved by 10 points → how often is it rolled
//          back within the first step's request budget?
// Each window carries N requests split by the canary percentage; labels,
// errors and latencies are drawn as counts (multinomial / binomial), so a
// rollout of millions of requests costs microseconds. Seeded: same output every run.
// Run: node --import tsx bench/decisions.ts [--rollouts 100] [--requests 50000] [--seed 7]
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/core/random.ts';
import { newSketch, quantiles } from '../src/analysis/sketch.ts';
import { RECOMMENDED_GATES, type GateWindow } from '../src/analysis/gates.ts';
import { trafficPlanSpec, type TrafficPlanSpec } from '../src/api/kinds/trafficplan.ts';
import { initialState, type PlanState } from '../src/controllers/plan/state.ts';
import { step } from '../src/controllers/plan/step.ts';

const { values } = parseArgs({ options: {
  rollouts: { type: 'string', default: '100' },
  requests: { type: 'string', default: '50000' },
  seed: { type: 'string', default: '7' },
} });
const ROLLOUTS = Number(values.rollouts);
const N = Number(values.requests);
const WINDOW_MS = 60_000;
const MAX_WINDOWS = 300;

export const BENCH_PLAN: TrafficPlanSpec = trafficPlanSpec.parse({
  target: { inferenceService: 'fraud-score' },
  candidate: { storageUri: 'pvc://models/v2/' },
  owner: { team: 'risk' },
  phases: [{ canary: { steps: [1, 10, 50, 100], hold: { minRequests: 2000, passingWindows: 2 } } }],
  gates: RECOMMENDED_GATES,
  window: '1m',
  maxDuration: '24h',
  rollback: { onGateFailure: true, keepWarm: '24h' },
});

const CLASSES = ['a', 'b', 'c'];
const BASE_RATES = [0.6, 0.3, 0.1];
const ERROR_RATE = 0.002;
// Latency: lognormal, median 40 ms, σ 0.5 (p99 ≈ 128 ms), discretised into 200 equal-mass bins.
const LATENCY_BINS = Array.from({ length: 200 }, (_, i) => 40 * Math.exp(0.5 * normalQuantile((i + 0.5) / 200)));

function normalQuantile(p: number): number {
  // Acklam's rational approximation (|error| < 1.2e-9), enough for bin centres.
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(p, 1 - p);
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    const x = (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
    return p < 0.5 ? x : -x;
  }
  const r = (p - 0.5) ** 2;
  const s = p - 0.5;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * s) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Binomial(n, p): exact inversion when the mean is small, normal approximation (rounded, clamped) otherwise. */
function binomial(rand: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * Math.min(p, 1 - p);
  if (mean < 50) {
    const flip = p > 0.5;
    const q = flip ? 1 - p : p;
    let k = 0;
    let pk = Math.pow(1 - q, n);
    let cdf = pk;
    const u = rand();
    while (u > cdf && k < n) {
      pk *= ((n - k) / (k + 1)) * (q / (1 - q));
      k++;
      cdf += pk;
    }
    return flip ? n - k : k;
  }
  const u1 = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
  return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
}

/** Multinomial counts by sequential conditional binomials. */
function multinomial(rand: () => number, n: number, probs: readonly number[]): number[] {
  let left = n;
  let mass = 1;
  return probs.map((p, i) => {
    const k = i === probs.length - 1 ? left : binomial(rand, left, mass > 0 ? Math.min(1, p / mass) : 0);
    left -= k;
    mass -= p;
    return k;
  });
}

function side(rand: () => number, requests: number, classRates: readonly number[]): GateWindow {
  const errors = binomial(rand, requests, ERROR_RATE);
  const outputs = requests - errors;
  const labels: Record<string, number> = {};
  multinomial(rand, outputs, classRates).forEach((k, i) => { if (k > 0) labels[CLASSES[i]!] = k; });
  const sketch = newSketch();
  multinomial(rand, requests, LATENCY_BINS.map(() => 1 / LATENCY_BINS.length)).forEach((k, i) => { if (k > 0) sketch.accept(LATENCY_BINS[i]!, k); });
  return { requests, errors, outputs, invalidOutputs: 0, labels, latency: quantiles(sketch), latencySketch: sketch };
}

interface Outcome {
  phase: PlanState['phase'];
  windows: number;
  /** Rolled back in the first step before its request budget (minRequests) was exceeded. */
  withinFirstBudget: boolean;
}

function rollout(rand: () => number, candidateRates: readonly number[]): Outcome {
  let t = 0;
  let state = step(BENCH_PLAN, initialState(), {}, t).state;
  let reference: GateWindow | undefined;
  const budget = BENCH_PLAN.phases[0]!.canary!.hold!.minRequests!;
  for (let w = 1; w <= MAX_WINDOWS; w++) {
    const pct = state.canaryPercent;
    const nc = binomial(rand, N, pct / 100);
    const candidate = side(rand, nc, candidateRates);
    // At 100 % the baseline serves nothing; the last baseline window with traffic is the reference.
    const baseline = N - nc > 0 ? side(rand, N - nc, BASE_RATES) : reference!;
    reference = baseline;
    const before = state;
    state = step(BENCH_PLAN, state, { window: { fromMs: t, toMs: t + WINDOW_MS, candidate, baseline } }, t + WINDOW_MS).state;
    t += WINDOW_MS;
    if (state.phase === 'RolledBack' || state.phase === 'Promoted' || state.phase === 'Aborted') {
      return { phase: state.phase, windows: w, withinFirstBudget: state.phase === 'RolledBack' && before.stepIndex === 0 && before.requestsInStep < budget };
    }
  }
  return { phase: state.phase, windows: MAX_WINDOWS, withinFirstBudget: false };
}

function shifted(rand: () => number): number[] {
  // Move 10 points of class share from one class (with at least 10 points) to another.
  const from = rand() < 0.75 ? 0 : 1;
  const choices = [0, 1, 2].filter((i) => i !== from);
  const to = choices[Math.floor(rand() * choices.length)]!;
  const rates = [...BASE_RATES];
  rates[from]! -= 0.1;
  rates[to]! += 0.1;
  return rates;
}

const started = performance.now();
const rand = seededRandom(Number(values.seed));
const aa = Array.from({ length: ROLLOUTS }, () => rollout(rand, BASE_RATES));
const shift = Array.from({ length: ROLLOUTS }, () => rollout(rand, shifted(rand)));
const count = (xs: Outcome[], f: (o: Outcome) => boolean) => xs.filter(f).length;
const pct = (k: number) => `${((100 * k) / ROLLOUTS).toFixed(1)} %`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

console.log(`decisions: ${ROLLOUTS} rollouts per scenario, ${N} requests per 1-minute window, steps [1,10,50,100], hold {minRequests: 2000, passingWindows: 2}`);
console.log(`gates: ${RECOMMENDED_GATES.map((g) => `${g.metric} max ${g.max}`).join(', ')}`);
console.log(`A/A   false rollbacks: ${pct(count(aa, (o) => o.phase === 'RolledBack'))} (target ≤ 5 %); promoted ${pct(count(aa, (o) => o.phase === 'Promoted'))}, median ${median(aa.filter((o) => o.phase === 'Promoted').map((o) => o.windows))} windows; undecided after ${MAX_WINDOWS} windows ${pct(count(aa, (o) => o.phase === 'Progressing'))}`);
console.log(`shift rolled back within the first step's budget: ${pct(count(shift, (o) => o.withinFirstBudget))} (target ≥ 95 %); rolled back at all ${pct(count(shift, (o) => o.phase === 'RolledBack'))}; promoted ${pct(count(shift, (o) => o.phase === 'Promoted'))}`);
console.log(`took ${((performance.now() - started) / 1000).toFixed(2)} s`);
