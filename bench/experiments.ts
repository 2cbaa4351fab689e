// A/B decision-quality benchmark: simulated users through the real pieces —
// the gateway's sticky assignment (routeIngress with the plan's cohorts:
// GrowthBook's hash of the unit key), the prediction log and feedback tables
// in SQLite with the real outcome query (src/store/outcomes.ts), and the real
// decision (src/analysis/abtest.ts).
//   A/A      both arms convert at 10 %: how often is a winner falsely declared?
//   power    10 % vs 12 %, sized for it (3841 units per arm): how often does the candidate win?
//   SRM      a 53/47 split configured as 50/50 (20,000 units): how often is it flagged; a true 50/50?
// Run: node --import tsx bench/experiments.ts [--experiments 500] [--seed 11]
import { benchArgs } from './args.ts';
import Database from 'better-sqlite3';
import { binomial, seededRandom } from '../src/core/random.ts';
import { compileCohorts } from '../src/gateway/cohorts.ts';
import { compileIngress, routeIngress, type IngressService } from '../src/gateway/ingress.ts';
import { openPredictionsDb } from '../src/store/predictions.ts';
import { readOutcomes } from '../src/store/outcomes.ts';
import { judgeAbTest, unitsPerArm, type AbDesign } from '../src/analysis/abtest.ts';

const values = benchArgs(import.meta.url, { experiments: { type: 'string', default: '500' }, seed: { type: 'string', default: '11' } });
const RUNS = Number(values.experiments);
const rand = seededRandom(Number(values.seed));
const db: Database.Database = openPredictionsDb(':memory:');
const insertPrediction = db.prepare(`INSERT INTO predictions (request_id, time, namespace, service, revision, role, status, latency_ms, unit) VALUES (?, ?, 'shop', ?, ?, 'primary', 200, 5, ?)`);
const insertFeedback = db.prepare(`INSERT INTO feedback (id, namespace, received_ms, event_ms, metric, value, request_id, unit, service, revision, prediction_ms, matched) VALUES (?, 'shop', ?, ?, 'purchase', 1, ?, ?, ?, ?, ?, 1)`);

const DESIGN: AbDesign = { percent: 50, aggregate: 'conversion', alpha: 0.05, power: 0.8, baselineRate: 0.1, minDetectableEffect: 0.2, sequential: false };
const SIZE = unitsPerArm(DESIGN)!;

/** The gateway's routing table for one experiment's service: candidate (latest) first, as KServe lists it. */
function table(service: string, percent: number) {
  const s: IngressService = {
    namespace: 'shop', name: service, scaleFromZero: false, activatorTimeoutMs: 1000,
    traffic: [{ revisionName: `${service}-2`, percent, latestRevision: true }, { revisionName: `${service}-1`, percent: 100 - percent }],
    cohorts: compileCohorts(`shop/${service}`, { unit: { header: 'x-user-id' } }),
  };
  return compileIngress([s], 'example.com', 1);
}

let experiment = 0;

/**
 * One experiment: users arrive, each assigned by the gateway; a user of arm A converts with
 * probability rates[A]; `drop` removes that share of the candidate's users before they are logged
 * (a broken assignment, e.g. a client-side filter). Stops when both arms have `perArm` users, or
 * after `total` users. Returns the decision at the horizon and the SRM check.
 */
function run(rates: { baseline: number; candidate: number }, o: { perArm?: number; total?: number; drop?: number; design?: AbDesign } = {}) {
  const service = `exp${++experiment}`;
  const t = table(service, 50);
  const counts = { [`${service}-1`]: 0, [`${service}-2`]: 0 };
  let users = 0;
  db.exec('BEGIN');
  for (let i = 0; ; i++) {
    if (o.perArm !== undefined && counts[`${service}-1`]! >= o.perArm && counts[`${service}-2`]! >= o.perArm) break;
    if (o.total !== undefined && users >= o.total) break;
    const user = `u${experiment}-${i}`;
    const r = routeIngress(t, `${service}.shop.example.com`, '/v1/models/x:predict', rand, () => user);
    if (r.kind !== 'route') throw new Error('no route');
    const revision = r.route.revision;
    const candidate = revision.endsWith('-2');
    if (candidate && o.drop && rand() < o.drop) continue;
    users++;
    counts[revision]!++;
    const at = 1000 + i;
    insertPrediction.run(`r${experiment}-${i}`, at, service, revision, user);
    if (binomial(rand, 1, candidate ? rates.candidate : rates.baseline) === 1) insertFeedback.run(`f${experiment}-${i}`, at + 10, at + 10, `r${experiment}-${i}`, user, service, revision, at);
  }
  db.exec('COMMIT');
  const read = readOutcomes(db, { namespace: 'shop', service, baselineRevision: `${service}-1`, candidateRevision: `${service}-2`, metric: 'purchase', per: 'unit', fromMs: 0, toMs: 1e15, attributionMs: 3_600_000 });
  return judgeAbTest(o.design ?? DESIGN, read);
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)} %`;
const started = performance.now();
console.log(`experiments: ${RUNS} per scenario; design 10 % vs 12 %, α 0.05 two-sided, power 0.8 → ${SIZE} units per arm (R power.prop.test: 3841)`);

const aa = Array.from({ length: RUNS }, () => run({ baseline: 0.1, candidate: 0.1 }, { perArm: SIZE }));
const aaWins = aa.filter((r) => r.decision === 'win').length;
console.log(`A/A (10 % vs 10 %):   candidate declared winner ${pct(aaWins, RUNS)} (target ≤ 5 %; a two-sided test at α 0.05 declares it 2.5 % of the time); loser ${pct(aa.filter((r) => r.decision === 'lose').length, RUNS)}`);

const power = Array.from({ length: RUNS }, () => run({ baseline: 0.1, candidate: 0.12 }, { perArm: SIZE }));
console.log(`power (10 % vs 12 %): candidate declared winner ${pct(power.filter((r) => r.decision === 'win').length, RUNS)} (target 75–85 %; the design's power is 80 %)`);

const seq = { ...DESIGN, sequential: true };
const seqAa = Array.from({ length: Math.round(RUNS / 2) }, () => run({ baseline: 0.1, candidate: 0.1 }, { perArm: SIZE, design: seq }));
const seqPow = Array.from({ length: Math.round(RUNS / 2) }, () => run({ baseline: 0.1, candidate: 0.12 }, { perArm: SIZE, design: seq }));
console.log(`sequential, judged at the horizon: A/A winner ${pct(seqAa.filter((r) => r.decision === 'win').length, seqAa.length)}, 10 % vs 12 % winner ${pct(seqPow.filter((r) => r.decision === 'win').length, seqPow.length)} (the price of deciding early: less power at the same size)`);

/** SRM needs only who was assigned where: the gateway's assignment and the test's χ², without outcomes. */
function assigned(total: number, drop = 0) {
  const service = `srm${++experiment}`;
  const t = table(service, 50);
  const arms = { baseline: 0, candidate: 0 };
  for (let i = 0; arms.baseline + arms.candidate < total; i++) {
    const r = routeIngress(t, `${service}.shop.example.com`, '/v1/models/x:predict', rand, () => `u${experiment}-${i}`);
    if (r.kind !== 'route') throw new Error('no route');
    const candidate = r.route.revision.endsWith('-2');
    if (candidate && drop && rand() < drop) continue;
    arms[candidate ? 'candidate' : 'baseline']++;
  }
  const arm = (n: number) => ({ exposed: n, converted: 0, sum: 0, sumSq: 0, events: 0 });
  return judgeAbTest(DESIGN, { baseline: arm(arms.baseline), candidate: arm(arms.candidate) });
}

const broken = Array.from({ length: RUNS }, () => assigned(20_000, 1 - 47 / 53));
const fair = Array.from({ length: RUNS }, () => assigned(20_000));
const meanSplit = broken.reduce((a, r) => a + r.candidate.units / (r.candidate.units + r.baseline.units), 0) / RUNS;
console.log(`SRM, 53/47 configured as 50/50 (${(100 * (1 - meanSplit)).toFixed(1)}/${(100 * meanSplit).toFixed(1)} observed, 20,000 units): flagged ${pct(broken.filter((r) => r.srm.mismatch).length, RUNS)} (target ≥ 99 %)`);
console.log(`SRM, a true 50/50 (20,000 units): flagged ${pct(fair.filter((r) => r.srm.mismatch).length, RUNS)} (target ≤ 0.5 %)`);
console.log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
