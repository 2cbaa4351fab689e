// Bandit decision-quality benchmark: how often does a bandit phase promote an
// arm, and is it the right one, across traffic levels? Simulated rollouts
// driven straight through the real phase (banditLook in
// src/controllers/plan/bandit-phase.ts: allocation, limits, P(best), the
// stopping rule and the promotion evidence), on a simulated clock.
//   A/A    every arm converts at the same rate: any promotion is false
//   A/A-   the candidates convert 5 % less than the fallback: promotion is harmful
//   lift   one candidate converts 20 % more: it should be promoted
// Each look carries N assignments split by the allocation, their rewards
// drawn as binomial counts. The bandit looks every WINDOW (its cadence) until
// it ends or maxDuration. Beside each rate, "P(best) alone" is how often the
// stopping rule's probability alone reached its threshold on an arm other
// than the fallback: what the phase would have promoted without the evidence
// rule (src/analysis/bandit-evidence.ts). Seeded: same output every run.
// --reward revenue: each assignment buys with the arm's rate, for a lognormal
// value (heavy-tailed, as revenue is); the phase learns a continuous reward.
// Run: node --import tsx bench/bandit-stop.ts [--runs 200] [--levels 100,1000,10000] [--arms 2] [--rate 0.05] [--reward binary|revenue] [--seed 3]
import { benchArgs } from './args.ts';
import { seededRandom } from '../src/core/random.ts';
import { normalQuantile } from '../src/analysis/special.ts';
import { trafficPlanSpec, type BanditPhaseSpec } from '../src/api/kinds/trafficplan.ts';
import { simulateBandit, type SimulatedReward } from './bandit-rollout.ts';

const values = benchArgs(import.meta.url, {
  runs: { type: 'string', default: '200' },
  levels: { type: 'string', default: '100,1000,10000' },
  arms: { type: 'string', default: '2' },
  rate: { type: 'string', default: '0.05' },
  reward: { type: 'string', default: 'binary' },
  seed: { type: 'string', default: '3' },
});
const RUNS = Number(values.runs);
const LEVELS = values.levels.split(',').map(Number);
const ARMS = Number(values.arms);
const RATE = Number(values.rate);
if (values.reward !== 'binary' && values.reward !== 'revenue') {
  console.error(`bandit-stop.ts: --reward must be binary or revenue, not ${values.reward}`);
  process.exit(2);
}
const REWARD: SimulatedReward = values.reward;
const WINDOW_MS = 60_000;
const LOOKS = 120;

const PHASE: BanditPhaseSpec = trafficPlanSpec.parse({
  target: { virtualService: { name: 'picker' } }, candidate: { revision: 'b' }, owner: { team: 'bench' },
  phases: [{ bandit: { algorithm: 'thompson', reward: REWARD === 'binary' ? { metric: 'click' } : { metric: 'revenue', kind: 'continuous', min: 0, max: 1e6 }, minPercent: 5, cadence: '1m', maxDuration: `${LOOKS}m` } }],
}).phases[0]!.bandit!;

interface Outcome { promoted: number; right: number; alone: number; looks: number[] }

/** Wilson-style 95 % interval of a share, in percent. */
function share(k: number, n: number): string {
  const z = normalQuantile(0.975);
  const p = k / n;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  const c = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  return `${(100 * p).toFixed(1)} % [${(100 * Math.max(0, c - h)).toFixed(1)}, ${(100 * Math.min(1, c + h)).toFixed(1)}]`;
}

const SCENARIOS: Array<{ name: string; rates: number[]; better?: number }> = [
  { name: 'A/A', rates: Array.from({ length: ARMS }, () => RATE) },
  { name: 'A/A-', rates: Array.from({ length: ARMS }, (_, i) => (i === 0 ? RATE : RATE * 0.95)) },
  { name: 'lift', rates: Array.from({ length: ARMS }, (_, i) => (i === ARMS - 1 ? RATE * 1.2 : RATE)), better: ARMS - 1 },
];

const rand = seededRandom(Number(values.seed));
console.log(`# ${ARMS} arms (arm 0 the fallback), thompson, minPercent 5, stop at P(best) ≥ 0.95 with ≥ 100 rewards per arm, alpha 0.05, ${LOOKS} looks, ${RUNS} runs per cell; ${REWARD} rewards, rate ${RATE}`);
console.log('| scenario | assignments per look | promoted (95 % CI) | P(best) alone would have promoted | right arm | median looks to end |');
console.log('|---|---|---|---|---|---|');
for (const sc of SCENARIOS) {
  for (const level of LEVELS) {
    const o: Outcome = { promoted: 0, right: 0, alone: 0, looks: [] };
    for (let r = 0; r < RUNS; r++) {
      const x = simulateBandit(PHASE, sc.rates, level, LOOKS + 1, WINDOW_MS, rand, 0.95, 100, REWARD);
      if (x.promoted !== undefined) o.promoted++;
      if (x.promoted !== undefined && x.promoted === sc.better) o.right++;
      if ((x.firstLikelyBest ?? 0) > 0) o.alone++;
      o.looks.push(x.looks);
    }
    o.looks.sort((a, b) => a - b);
    const right = sc.better === undefined ? '-' : share(o.right, RUNS);
    console.log(`| ${sc.name} | ${level} | ${share(o.promoted, RUNS)} | ${share(o.alone, RUNS)} | ${right} | ${o.looks[Math.floor(RUNS / 2)]} |`);
  }
}
