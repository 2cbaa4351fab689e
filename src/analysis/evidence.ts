// The evidence a gate reads about one side (candidate or baseline): counts,
// output labels and the latency and score distributions as sorted atoms
// (value, count). It is plain JSON, so a step's cumulative evidence is stored
// with the plan and survives a restart; it adds up window by window, and it
// can be scaled to ask "what would this look like with k times the data"
// (forecasts of when a gate decides).
import { atoms, type DDSketch } from './sketch.ts';
import type { WindowStats } from './windows.ts';

/** Ascending [value, count] pairs; the values are the sketch's bucket values, so atoms of two sides line up. */
export type Atoms = Array<[number, number]>;

export interface SideEvidence {
  requests: number;
  /** Server-side errors (5xx, timeout, upstream). */
  errors: number;
  /** 4xx answers (absent in evidence stored before it was counted: 0). */
  clientErrors?: number;
  /** Outputs analysed (sampled 2xx answers). */
  outputs: number;
  invalidOutputs: number;
  labels: Record<string, number>;
  latency: Atoms;
  scores?: Atoms;
}

export interface PairEvidence {
  candidate: SideEvidence;
  baseline: SideEvidence;
}

export function emptySide(): SideEvidence {
  return { requests: 0, errors: 0, outputs: 0, invalidOutputs: 0, labels: {}, latency: [] };
}

export function sketchAtoms(sketch: DDSketch | undefined): Atoms {
  if (!sketch || sketch.count === 0) return [];
  return atoms(sketch).map((a): [number, number] => [a.value, a.count]);
}

/** One telemetry window as evidence. */
export function sideFromWindow(w: Pick<WindowStats, 'requests' | 'errors' | 'outputs' | 'invalidOutputs' | 'labels' | 'latencySketch' | 'scores'> & { errorsByClass?: WindowStats['errorsByClass'] }): SideEvidence {
  const s: SideEvidence = { requests: w.requests, errors: w.errors, outputs: w.outputs, invalidOutputs: w.invalidOutputs, labels: { ...w.labels }, latency: sketchAtoms(w.latencySketch) };
  if (w.errorsByClass?.['4xx']) s.clientErrors = w.errorsByClass['4xx'];
  const scores = sketchAtoms(w.scores);
  if (scores.length > 0) s.scores = scores;
  return s;
}

/** Merges two ascending atom lists (equal values add up). Pairs are never mutated, so unchanged ones are shared. */
export function mergeAtoms(a: Atoms, b: Atoms): Atoms {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: Atoms = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x[0] < y[0])) {
      out.push(x!);
      i++;
    } else if (x === undefined || y[0] < x[0]) {
      out.push(y);
      j++;
    } else {
      out.push([x[0], x[1] + y[1]]);
      i++;
      j++;
    }
  }
  return out;
}

function addLabels(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** a + b (new object; inputs unchanged). */
export function addSides(a: SideEvidence, b: SideEvidence): SideEvidence {
  const s: SideEvidence = {
    requests: a.requests + b.requests, errors: a.errors + b.errors, outputs: a.outputs + b.outputs,
    invalidOutputs: a.invalidOutputs + b.invalidOutputs, labels: addLabels(a.labels, b.labels), latency: mergeAtoms(a.latency, b.latency),
  };
  if (a.clientErrors || b.clientErrors) s.clientErrors = (a.clientErrors ?? 0) + (b.clientErrors ?? 0);
  if (a.scores || b.scores) s.scores = mergeAtoms(a.scores ?? [], b.scores ?? []);
  return s;
}

function scaleAtoms(a: Atoms, k: number): Atoms {
  const out: Atoms = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = [a[i]![0], a[i]![1] * k];
  return out;
}

/** Every count multiplied by k: the same rates and shapes with k times the data. */
export function scaleSide(s: SideEvidence, k: number): SideEvidence {
  const out: SideEvidence = {
    requests: s.requests * k, errors: s.errors * k, outputs: s.outputs * k, invalidOutputs: s.invalidOutputs * k,
    labels: Object.fromEntries(Object.entries(s.labels).map(([l, n]) => [l, n * k])), latency: scaleAtoms(s.latency, k),
  };
  if (s.clientErrors) out.clientErrors = s.clientErrors * k;
  if (s.scores) out.scores = scaleAtoms(s.scores, k);
  return out;
}

// Indexed loops on purpose: destructuring for-of over atoms is ten times slower here, and gates read atoms at every look.
export function atomCount(a: Atoms): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]![1];
  return n;
}

/** How many values are strictly above x. */
export function countAbove(a: Atoms, x: number): number {
  let n = 0;
  for (let i = a.length - 1; i >= 0 && a[i]![0] > x; i--) n += a[i]![1];
  return n;
}

/** The k-th smallest value (1-based, clamped to the ends); undefined when empty. */
export function valueAtRank(a: Atoms, k: number): number | undefined {
  if (a.length === 0) return undefined;
  let seen = 0;
  for (let i = 0; i < a.length; i++) {
    seen += a[i]![1];
    if (seen >= k) return a[i]![0];
  }
  return a[a.length - 1]![0];
}

/** The q-quantile by lower nearest rank (the value whose cumulative count first exceeds q·(n − 1)), as the sketches answer. */
export function quantileOfAtoms(a: Atoms, q: number): number | undefined {
  const n = atomCount(a);
  if (n === 0) return undefined;
  const rank = q * (n - 1);
  let seen = 0;
  for (let i = 0; i < a.length; i++) {
    seen += a[i]![1];
    if (seen > rank) return a[i]![0];
  }
  return a[a.length - 1]![0];
}

export function labelTotal(labels: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(labels)) n += v;
  return n;
}
