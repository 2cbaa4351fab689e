// Bandit regret benchmark: the real chooseArm (src/analysis/bandit.ts) on the Bernoulli setups of
// the reference simulations (test/fixtures/bandits/: Auer, Cesa-Bianchi & Fischer 2002; Chapelle &
// Li 2011), with its own seeds. Each step: choose an arm, draw its Bernoulli reward, add it to the
// arm's totals — at once, or `delay` steps later (the reward of step s is applied before step
// s + delay + 1). Cumulative pseudo-regret Σ (best mean − pulled mean) and the share of pulls on the
// best arm at T = 1,000, 10,000 and 100,000.
//   checked: thompson, ucb (UCB1) and epsilonGreedy (ε = 0.1): mean regret inside the reference
//            [p5, p95] at each T; Thompson's mean ≤ the reference mean × 1.2.
//   reported: ucbTuned and ε-greedy with decay (no reference), and every algorithm with delays.
// Runs reaching T = 1,000 / 10,000 / 100,000 (each run continues the shorter ones): see RUNS.
// Run: node --import tsx bench/bandits.ts [--seed 17] [--setups auer1,cl_k10_e0.1] [--delays 100,1000] [--scale 1] [--detail]
// (--detail adds a row per horizon: runs, standard error, worst run, best-arm share and delays at each T)
import { readFileSync } from 'node:fs';
import { benchArgs } from './args.ts';
import { chooseArm, type ArmStats, type BanditPolicy } from '../src/analysis/bandit.ts';
import { seededRandom } from '../src/core/random.ts';

const values = benchArgs(import.meta.url, {
    seed: { type: 'string', default: '17' },
    setups: { type: 'string' },
    delays: { type: 'string', default: '100,1000' },
    scale: { type: 'string', default: '1' },
    detail: { type: 'boolean', default: false },
  });

interface RefStats { mean: number; sd: number; p05: number; p95: number; best_arm_frac: number }
interface Setup { mu: number[]; algos: Record<string, Record<string, RefStats>> }
const reference: Record<string, Setup> = JSON.parse(readFileSync(new URL('../test/fixtures/bandits/bandit_reference_regret_T1e5_R200.json', import.meta.url), 'utf8'));

const HORIZONS = [1_000, 10_000, 100_000] as const;
const ALGORITHMS: Array<{ name: string; ref?: string; policy: BanditPolicy }> = [
  { name: 'thompson', ref: 'ts', policy: { algorithm: 'thompson', reward: 'binary' } },
  { name: 'ucb (UCB1)', ref: 'ucb1', policy: { algorithm: 'ucb', reward: 'binary' } },
  { name: 'epsilonGreedy ε=0.1', ref: 'egreedy_0.1', policy: { algorithm: 'epsilonGreedy', reward: 'binary', epsilon: 0.1 } },
  { name: 'ucbTuned', policy: { algorithm: 'ucbTuned', reward: 'binary' } },
  { name: 'epsilonGreedy ε=0.1, decaying', policy: { algorithm: 'epsilonGreedy', reward: 'binary', epsilon: 0.1, epsilonDecay: true } },
];
const setups = values.setups ? values.setups.split(',') : Object.keys(reference);
const delays = values.delays ? values.delays.split(',').map(Number) : [];
const seed = Number(values.seed);
const scale = Number(values.scale);

/**
 * Runs reaching T = 1,000 / 10,000 / 100,000. Enough that each checked mean sits at least ~3
 * standard errors inside its limit when the implementation matches the reference: Thompson's
 * regret on two close arms has a heavy right tail (a run whose best arm fails its first pulls
 * can starve it for thousands of steps), so its sd is about twice the reference's 200-run sd,
 * and on two arms its mean sits within 5–12 % of the 1.2× limit.
 */
function runsFor(arms: number, algo: { ref?: string; policy: BanditPolicy }): number[] {
  const runs = !algo.ref ? [40, 40, 40] : arms > 2 ? [400, 200, 40] : algo.policy.algorithm === 'thompson' ? [2000, 1000, 400] : [2000, 1000, 100];
  return runs.map((r) => Math.max(2, Math.round(r * scale)));
}
const DELAYED_RUNS = Math.max(2, Math.round(10 * scale));

/** Regret and best-arm pulls at each horizon the run reaches. */
interface Checkpoint { regret: number; bestPulls: number }

/** One run of `horizon` steps; returns a checkpoint per horizon in HORIZONS up to it. */
function run(p: BanditPolicy, mu: readonly number[], horizon: number, delay: number, rand: () => number): Checkpoint[] {
  const best = Math.max(...mu);
  const bestArm = mu.indexOf(best);
  const arms: ArmStats[] = mu.map(() => ({ pulls: 0, rewardSum: 0, rewardSumSq: 0 }));
  const pulled = new Int32Array(horizon + 1);
  const paid = new Uint8Array(horizon + 1);
  const out: Checkpoint[] = [];
  let regret = 0;
  let bestPulls = 0;
  for (let t = 1; t <= horizon; t++) {
    const due = t - delay - 1;
    if (due >= 1) {
      const s = arms[pulled[due]!]!;
      s.pulls++;
      s.rewardSum += paid[due]!;
      s.rewardSumSq += paid[due]!;
    }
    const a = chooseArm(p, arms, t, rand);
    pulled[t] = a;
    paid[t] = rand() < mu[a]! ? 1 : 0;
    regret += best - mu[a]!;
    if (a === bestArm) bestPulls++;
    if ((HORIZONS as readonly number[]).includes(t)) out.push({ regret, bestPulls });
  }
  return out;
}

/** Mean regret, its standard error, the worst run and the mean best-arm share at each horizon, over runs that reached it. */
function summarise(runs: Checkpoint[][]) {
  return HORIZONS.map((T, h) => {
    const at = runs.filter((r) => r.length > h).map((r) => r[h]!);
    const mean = at.reduce((a, c) => a + c.regret, 0) / at.length;
    const sd = Math.sqrt(at.reduce((a, c) => a + (c.regret - mean) ** 2, 0) / Math.max(1, at.length - 1));
    const worst = Math.max(...at.map((c) => c.regret));
    return { T, runs: at.length, mean, se: sd / Math.sqrt(at.length), worst, best: at.reduce((a, c) => a + c.bestPulls / T, 0) / at.length };
  });
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const started = performance.now();
const cpu = process.cpuUsage();
let checks = 0;
let failed = 0;
let stream = 0;

const summary: string[] = [];
const detail: string[] = [];
for (const name of setups) {
  const setup = reference[name];
  if (!setup) throw new Error(`no setup ${name} in the reference (have ${Object.keys(reference).join(', ')})`);
  for (const algo of ALGORITHMS) {
    const reach = runsFor(setup.mu.length, algo);
    const rand = seededRandom(seed * 1000 + stream++);
    const horizons = Array.from({ length: reach[0]! }, (_, r) => HORIZONS[reach.filter((n) => r < n).length - 1]!);
    const plain = summarise(horizons.map((h) => run(algo.policy, setup.mu, h, 0, rand)));
    const delayed = delays.map((d) => summarise(Array.from({ length: DELAYED_RUNS }, () => run(algo.policy, setup.mu, 100_000, d, rand))));
    const thompson = algo.policy.algorithm === 'thompson';
    const outside: string[] = [];
    let margin = Infinity;
    const cells = plain.map((s, h) => {
      const ref = algo.ref ? setup.algos[algo.ref]![String(s.T)] : undefined;
      let check = '—';
      if (ref) {
        const inside = s.mean >= ref.p05 && s.mean <= ref.p95;
        const limit = ref.mean * 1.2;
        const ratio = !thompson || s.mean <= limit;
        checks += thompson ? 2 : 1;
        failed += (inside ? 0 : 1) + (ratio ? 0 : 1);
        if (!inside) outside.push(`**out of band at T = ${s.T.toLocaleString('en')}**`);
        if (!ratio) outside.push(`**> 1.2× at T = ${s.T.toLocaleString('en')}**`);
        if (thompson) margin = Math.min(margin, (limit - s.mean) / s.se);
        check = inside ? 'in band' : '**OUT OF BAND**';
        if (thompson) check += `, ${(s.mean / ref.mean).toFixed(2)}× ${ratio ? '≤' : '**>**'} 1.2× (${((limit - s.mean) / s.se).toFixed(1)} se)`;
      }
      const refCell = ref ? `${fmt(ref.mean)} [${fmt(ref.p05)}, ${fmt(ref.p95)}]` : '—';
      const bestCell = `${pct(s.best)}${ref ? ` (${pct(ref.best_arm_frac)})` : ''}`;
      const delayCells = delayed.map((d) => `${fmt(d[h]!.mean)} ± ${fmt(d[h]!.se)} (${pct(d[h]!.best)})`);
      detail.push(`| ${name} | ${algo.name} | ${s.T.toLocaleString('en')} | ${s.runs} | ${fmt(s.mean)} ± ${fmt(s.se)} (${fmt(s.worst)}) | ${refCell} | ${check} | ${bestCell} | ${delayCells.join(' | ')} |`);
      return ref ? `${fmt(s.mean)} (${refCell})` : fmt(s.mean);
    });
    const ref = algo.ref ? setup.algos[algo.ref]!['100000'] : undefined;
    const verdict = !algo.ref ? '—' : outside.length > 0 ? outside.join(', ') : `in band${thompson ? `; ≤ 1.2× by ≥ ${margin.toFixed(1)} se` : ''}`;
    const last = plain[plain.length - 1]!;
    summary.push(`| ${name} | ${algo.name} | ${cells.join(' | ')} | ${verdict} | ${pct(last.best)}${ref ? ` (${pct(ref.best_arm_frac)})` : ''} | ${delayed.map((d) => `${fmt(d[2]!.mean)} (${pct(d[2]!.best)})`).join(' | ')} |`);
  }
}

const layout = (arms: number, algo: (typeof ALGORITHMS)[number]) => runsFor(arms, algo).join(' / ');
console.log(`seed ${seed}. Runs reaching T = 1,000 / 10,000 / 100,000: two arms: thompson ${layout(2, ALGORITHMS[0]!)}, ucb and epsilonGreedy ${layout(2, ALGORITHMS[1]!)}; ten arms: ${layout(10, ALGORITHMS[0]!)}; ucbTuned and decaying ε: ${layout(2, ALGORITHMS[3]!)}; delayed: ${DELAYED_RUNS} runs to 100,000 per delay.`);
console.log('');
console.log('Mean cumulative pseudo-regret (reference mean [p5, p95]); best-arm share of pulls and the delayed runs at T = 100,000:');
console.log('');
console.log(`| setup | algorithm | T = 1,000 | T = 10,000 | T = 100,000 | check | best-arm pulls (reference) | ${delays.map((d) => `delay ${d}: regret (best-arm)`).join(' | ')} |`);
console.log(`|---|---|---|---|---|---|---|${delays.map(() => '---').join('|')}|`);
for (const line of summary) console.log(line);
if (values.detail) {
  console.log('');
  console.log(`| setup | algorithm | T | runs | mean regret ± se (worst run) | reference mean [p5, p95] | check | best-arm pulls (reference) | ${delays.map((d) => `delay ${d}: regret ± se (best-arm)`).join(' | ')} |`);
  console.log(`|---|---|---|---|---|---|---|---|${delays.map(() => '---').join('|')}|`);
  for (const line of detail) console.log(line);
}
const used = process.cpuUsage(cpu);
console.log('');
console.log(`checks passed: ${checks - failed} of ${checks}`);
console.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s (${((used.user + used.system) / 1e6).toFixed(0)} s of CPU)`);
process.exitCode = failed > 0 ? 1 : 0;
