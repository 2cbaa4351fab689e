// Population Stability Index: how far a candidate's output distribution has
// moved from the baseline's.
//
//   PSI = Σ_i (c_i − b_i) · ln(c_i / b_i)
//
// over bins i, where b_i and c_i are the baseline's and candidate's shares of
// their own totals. A bin empty on either side would make the log infinite,
// so every share is floored at PSI_EPSILON (1e-4) before the sum; shares are
// not renormalised afterwards. Rules of thumb: < 0.1 stable, 0.1–0.2 moderate
// shift, > 0.2 significant shift.
//
// Numeric scores are binned on the baseline's deciles: the edges are the
// baseline's values at quantiles 0.1, 0.2, …, 0.9 (lower nearest rank: the
// first value whose cumulative count exceeds q·(n−1)); equal edges collapse,
// so a baseline with few distinct values yields fewer bins. Bin k holds the
// values v with edge_{k−1} < v ≤ edge_k (the first bin is open below, the
// last open above). With sketches both sides are first reduced to the
// sketch's bucket values, so the binning is exact up to the 1 % bucket width.
import { atoms, type Atom, type DDSketch } from './sketch.ts';

export const PSI_EPSILON = 1e-4;

function share(count: number, total: number): number {
  return Math.max(count / total, PSI_EPSILON);
}

function psiOfCounts(baseline: readonly number[], candidate: readonly number[]): number | undefined {
  let bTotal = 0;
  let cTotal = 0;
  for (const x of baseline) bTotal += x;
  for (const x of candidate) cTotal += x;
  if (bTotal <= 0 || cTotal <= 0) return undefined;
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = share(baseline[i] ?? 0, bTotal);
    const c = share(candidate[i] ?? 0, cTotal);
    psi += (c - b) * Math.log(c / b);
  }
  return psi;
}

/** PSI between two label-count maps (the union of labels are the bins); undefined when either side is empty. */
export function psiCategorical(baseline: Readonly<Record<string, number>>, candidate: Readonly<Record<string, number>>): number | undefined {
  const labels = [...new Set([...Object.keys(baseline), ...Object.keys(candidate)])];
  return psiOfCounts(labels.map((l) => baseline[l] ?? 0), labels.map((l) => candidate[l] ?? 0));
}

/** The baseline decile edges described above, ascending and distinct. */
export function decileEdges(baseline: readonly Atom[]): number[] {
  let n = 0;
  for (const a of baseline) n += a.count;
  const edges: number[] = [];
  if (n === 0) return edges;
  let i = 0;
  let running = baseline[0]?.count ?? 0;
  for (let d = 1; d <= 9; d++) {
    const rank = (d / 10) * (n - 1);
    while (running <= rank && i < baseline.length - 1) running += baseline[++i]?.count ?? 0;
    const v = baseline[i]!.value;
    if (edges.length === 0 || edges[edges.length - 1]! < v) edges.push(v);
  }
  return edges;
}

/** Counts per bin (edges.length + 1 bins) of ascending atoms. */
export function binCounts(values: readonly Atom[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  for (const a of values) {
    while (bin < edges.length && a.value > edges[bin]!) bin++;
    counts[bin]! += a.count;
  }
  return counts;
}

function toAtoms(values: readonly number[]): Atom[] {
  const sorted = [...values].sort((x, y) => x - y);
  const out: Atom[] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last.value === v) last.count++;
    else out.push({ value: v, count: 1 });
  }
  return out;
}

function psiOfAtoms(baseline: readonly Atom[], candidate: readonly Atom[]): number | undefined {
  const edges = decileEdges(baseline);
  return psiOfCounts(binCounts(baseline, edges), binCounts(candidate, edges));
}

/** PSI between two samples of numeric scores, binned on the baseline's deciles. */
export function psiNumeric(baseline: readonly number[], candidate: readonly number[]): number | undefined {
  return psiOfAtoms(toAtoms(baseline), toAtoms(candidate));
}

/** PSI between two score sketches, binned on the baseline sketch's deciles. */
export function psiSketch(baseline: DDSketch, candidate: DDSketch): number | undefined {
  return psiOfAtoms(atoms(baseline), atoms(candidate));
}
