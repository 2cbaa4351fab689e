// The sample-ratio check looked at every window (src/analysis/abtest.ts srmAtEveryLook): how often
// does it pause a correct 50/50 split (A/A), and how often does it catch a slightly broken one,
// against Pearson's χ² at p < 0.001 applied at every look? Units arrive one by one; the check runs
// every `--every` units.
// Run: node --import tsx bench/srm.ts [--runs 4000] [--units 8000] [--every 50] [--seed 7]
import { benchArgs } from './args.ts';
import { seededRandom } from '../src/core/random.ts';
import { srmAtEveryLook } from '../src/analysis/abtest.ts';

const values = benchArgs(import.meta.url, { runs: { type: 'string', default: '4000' }, units: { type: 'string', default: '8000' }, every: { type: 'string', default: '50' }, seed: { type: 'string', default: '7' } });
const RUNS = Number(values.runs);
const EVERY = Number(values.every);
const rand = seededRandom(Number(values.seed));

/** Share of runs flagged at some look, by the always-valid check and by χ², for a true candidate share. */
function flagged(share: number, units: number, runs: number): { always: number; chi2: number } {
  let always = 0;
  let chi2 = 0;
  for (let r = 0; r < runs; r++) {
    let c = 0;
    let a = false;
    let x = false;
    for (let n = 1; n <= units; n++) {
      if (rand() < share) c++;
      if (n % EVERY !== 0) continue;
      const look = srmAtEveryLook(n - c, c, 50);
      a ||= look.mismatch;
      x ||= look.pValue < 0.001;
    }
    if (a) always++;
    if (x) chi2++;
  }
  return { always: always / runs, chi2: chi2 / runs };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const started = performance.now();
console.log(`| true candidate share | units | runs | paused/flagged, always-valid | paused/flagged, χ² at every look |`);
console.log(`|---|---|---|---|---|`);
for (const [share, units, runs] of [[0.5, Number(values.units), RUNS], [0.5, 40_000, RUNS / 4], [0.48, 20_000, RUNS / 8], [0.49, 20_000, RUNS / 8], [0.47, 20_000, RUNS / 8]] as const) {
  const f = flagged(share, units, Math.round(runs));
  console.log(`| ${share} | ${units} | ${Math.round(runs)} | ${pct(f.always)} | ${pct(f.chi2)} |`);
}
console.log(`(a look every ${EVERY} units; took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
