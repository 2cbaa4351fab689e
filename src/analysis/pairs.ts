// Shadow pairs: the baseline's and the candidate's answers to the same
// request (joined on the request id), compared request by request. One pair
// adds to a PairTally: whether the predicted labels agree, how far numeric
// outputs moved, how much slower the candidate answered, whether it failed.
// Understands KServe V1 ({"predictions": [...]}: one value or a vector per
// instance) and Open Inference / V2 ({"outputs": [{name, datatype, shape,
// data}]}, compared output by output, by name). Plain JSON, so a shadow
// phase's tally is stored with the plan.
import { mergeAtoms, type Atoms } from './evidence.ts';

/** One side of a pair as the prediction log holds it. */
export interface PairSide {
  status: number;
  latencyMs: number;
  /** The parsed response body (null when not captured or not JSON). */
  output: unknown;
}

export interface PairInput {
  /** Absent when the baseline's answer was not found: the pair counts as unpaired. */
  baseline?: PairSide;
  candidate: PairSide;
  /** Strata of the request (the primary's cohort), for per-slice tallies. */
  cohort?: Record<string, string> | null;
}

export interface PairTally {
  /** Candidate answers joined with the baseline's. */
  pairs: number;
  /** The candidate failed (5xx, unreachable, timed out). */
  candidateErrors: number;
  /** The baseline failed: nothing to compare against. */
  baselineErrors: number;
  /** Both answered with outputs that could be compared. */
  compared: number;
  /** Compared requests with label outputs, and those whose labels all agreed. */
  labelled: number;
  agree: number;
  /** The candidate's answer was not a usable output (not JSON, NaN, no outputs). */
  invalid: number;
  /** Both answered but their outputs differ in kind (names, shapes): not comparable. */
  incomparable: number;
  /** Why the last incomparable pair could not be compared. */
  incomparableReason?: string;
  /** |candidate − baseline| of every numeric output element. */
  scoreDeltas: Atoms;
  /** Candidate latency minus baseline latency, per pair (ms). */
  latencyDeltas: Atoms;
  /** Baseline label → candidate label → count (single-label outputs). */
  confusion: Record<string, Record<string, number>>;
  /** Per named output (V2) or "predictions" (V1): compared and agreeing. */
  byOutput: Record<string, { compared: number; agree: number }>;
  /** Candidate answers whose baseline answer was not found (not logged, or logged too late). */
  unpaired: number;
}

export function emptyTally(): PairTally {
  return { pairs: 0, candidateErrors: 0, baselineErrors: 0, compared: 0, labelled: 0, agree: 0, invalid: 0, incomparable: 0, scoreDeltas: [], latencyDeltas: [], confusion: {}, byOutput: {}, unpaired: 0 };
}

/** One named output, read as labels or as scores (with the argmax label of each row when rows are vectors). */
interface Output {
  labels?: string[];
  scores?: number[];
  /** Elements per instance (1 for scalars). */
  width: number;
}

const FLOAT_TYPES = new Set(['FP16', 'FP32', 'FP64', 'BF16']);

function argmaxRows(values: number[], width: number): string[] {
  const out: string[] = [];
  for (let r = 0; r * width < values.length; r++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (values[r * width + j]! > values[r * width + best]!) best = j;
    out.push(String(best));
  }
  return out;
}

function readV1(predictions: unknown[]): Output | string {
  const flat: unknown[] = [];
  let width = 1;
  for (const p of predictions) {
    if (Array.isArray(p)) {
      width = p.length;
      flat.push(...p);
    } else flat.push(p);
  }
  if (flat.some((x) => typeof x === 'number' && !Number.isFinite(x)) || flat.some((x) => x === null || typeof x === 'object')) return 'not a list of numbers or labels';
  if (flat.some((x) => typeof x === 'string' || typeof x === 'boolean')) return { labels: flat.map(String), width };
  const nums = flat as number[];
  if (width > 1) return { scores: nums, labels: argmaxRows(nums, width), width };
  return nums.every(Number.isInteger) ? { labels: nums.map(String), width } : { scores: nums, width };
}

function readV2(o: { datatype?: unknown; shape?: unknown; data?: unknown }): Output | string {
  if (!Array.isArray(o.data)) return 'an output without data';
  const data = o.data.flat(Infinity) as unknown[];
  const shape = Array.isArray(o.shape) ? (o.shape as number[]) : [data.length];
  const width = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  if (FLOAT_TYPES.has(String(o.datatype))) {
    if (!data.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'NaN or non-numbers in a float output';
    const nums = data as number[];
    return width > 1 ? { scores: nums, labels: argmaxRows(nums, width), width } : { scores: nums, width };
  }
  return { labels: data.map(String), width };
}

/** The answer's outputs by name; a string says why it is not a usable answer. */
export function readOutputs(body: unknown): Map<string, Output> | string {
  if (body === null || typeof body !== 'object') return 'not a JSON object';
  const b = body as { predictions?: unknown; outputs?: unknown };
  if (Array.isArray(b.predictions)) {
    const o = readV1(b.predictions);
    return typeof o === 'string' ? o : new Map([['predictions', o]]);
  }
  if (Array.isArray(b.outputs)) {
    const out = new Map<string, Output>();
    for (const [i, raw] of (b.outputs as Array<Record<string, unknown>>).entries()) {
      const o = readV2(raw ?? {});
      if (typeof o === 'string') return o;
      out.set(typeof raw?.name === 'string' ? raw.name : `output${i}`, o);
    }
    return out.size > 0 ? out : 'no outputs';
  }
  return 'neither "predictions" nor "outputs"';
}

/** What differs between two answers' outputs, or undefined when they can be compared element by element. */
export function difference(a: Map<string, Output>, b: Map<string, Output>): string | undefined {
  const names = (m: Map<string, Output>) => [...m.keys()].sort().join(', ');
  if (names(a) !== names(b)) return `the baseline answers outputs [${names(a)}], the candidate [${names(b)}]`;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    const len = (o: Output) => (o.scores ?? o.labels ?? []).length;
    if (len(x) !== len(y) || x.width !== y.width) return `output ${name} has ${len(x)} values (${x.width} per instance) from the baseline and ${len(y)} (${y.width} per instance) from the candidate`;
    if (!!x.scores !== !!y.scores) return `output ${name} is ${x.scores ? 'numeric' : 'labels'} from the baseline and ${y.scores ? 'numeric' : 'labels'} from the candidate`;
  }
  return undefined;
}

const failed = (s: PairSide) => s.status === 0 || s.status >= 500;

/** Adds pairs to a tally (new object; inputs unchanged). Latency and score deltas are bucketed by `bucket` (the sketches' 1 % mapping). */
export function addPairs(t: PairTally, pairs: readonly PairInput[], bucket: (x: number) => number = roundTo1Percent): PairTally {
  const out: PairTally = { ...t, confusion: structuredClone(t.confusion), byOutput: structuredClone(t.byOutput) };
  const scores = new Map<number, number>();
  const lat = new Map<number, number>();
  for (const p of pairs) {
    if (!p.baseline) {
      out.unpaired++;
      continue;
    }
    out.pairs++;
    const dl = bucket(p.candidate.latencyMs - p.baseline.latencyMs);
    lat.set(dl, (lat.get(dl) ?? 0) + 1);
    if (failed(p.candidate)) {
      out.candidateErrors++;
      continue;
    }
    if (failed(p.baseline!)) {
      out.baselineErrors++;
      continue;
    }
    const c = readOutputs(p.candidate.output);
    if (typeof c === 'string') {
      out.invalid++;
      continue;
    }
    const b = readOutputs(p.baseline!.output);
    if (typeof b === 'string') {
      out.baselineErrors++;
      continue;
    }
    const why = difference(b, c);
    if (why) {
      out.incomparable++;
      out.incomparableReason = why;
      continue;
    }
    out.compared++;
    let hasLabels = false;
    let allAgree = true;
    for (const [name, x] of b) {
      const y = c.get(name)!;
      if (x.labels && y.labels) {
        // The confusion matrix counts instances of the first labelled output: a batch of three adds
        // three, and a second labelled output (a label beside its probabilities) is not counted twice.
        if (!hasLabels) {
          for (let i = 0; i < x.labels.length && i < y.labels.length; i++) {
            const row = (out.confusion[x.labels[i]!] ??= {});
            row[y.labels[i]!] = (row[y.labels[i]!] ?? 0) + 1;
          }
        }
        hasLabels = true;
        const agree = x.labels.every((l, i) => l === y.labels![i]);
        allAgree &&= agree;
        const o = (out.byOutput[name] ??= { compared: 0, agree: 0 });
        o.compared++;
        if (agree) o.agree++;
      }
      if (x.scores && y.scores) {
        for (let i = 0; i < x.scores.length; i++) {
          const d = bucket(Math.abs(y.scores[i]! - x.scores[i]!));
          scores.set(d, (scores.get(d) ?? 0) + 1);
        }
      }
    }
    if (hasLabels) {
      out.labelled++;
      if (allAgree) out.agree++;
    }
  }
  const atoms = (m: Map<number, number>): Atoms => [...m].sort((x, y) => x[0] - y[0]);
  out.scoreDeltas = mergeAtoms(t.scoreDeltas, atoms(scores));
  out.latencyDeltas = mergeAtoms(t.latencyDeltas, atoms(lat));
  return out;
}

/** Buckets 1 % wide on a log scale (as the latency sketches), exact zero kept; negative values mirrored. */
export function roundTo1Percent(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const gamma = 1.02;
  const k = Math.round(Math.log(Math.abs(x)) / Math.log(gamma));
  return Math.sign(x) * Number(Math.pow(gamma, k).toPrecision(8));
}

/** The sum of two tallies. */
export function addTallies(a: PairTally, b: PairTally): PairTally {
  const confusion = structuredClone(a.confusion);
  for (const [x, row] of Object.entries(b.confusion)) for (const [y, n] of Object.entries(row)) (confusion[x] ??= {})[y] = (confusion[x]![y] ?? 0) + n;
  const byOutput = structuredClone(a.byOutput);
  for (const [k, v] of Object.entries(b.byOutput)) {
    const o = (byOutput[k] ??= { compared: 0, agree: 0 });
    o.compared += v.compared;
    o.agree += v.agree;
  }
  const sum = (k: 'pairs' | 'candidateErrors' | 'baselineErrors' | 'compared' | 'labelled' | 'agree' | 'invalid' | 'incomparable' | 'unpaired') => a[k] + b[k];
  const out: PairTally = {
    pairs: sum('pairs'), candidateErrors: sum('candidateErrors'), baselineErrors: sum('baselineErrors'), compared: sum('compared'), labelled: sum('labelled'),
    agree: sum('agree'), invalid: sum('invalid'), incomparable: sum('incomparable'), unpaired: sum('unpaired'),
    scoreDeltas: mergeAtoms(a.scoreDeltas, b.scoreDeltas), latencyDeltas: mergeAtoms(a.latencyDeltas, b.latencyDeltas), confusion, byOutput,
  };
  const reason = b.incomparableReason ?? a.incomparableReason;
  if (reason) out.incomparableReason = reason;
  return out;
}

/** What a person reads of a tally: the counts, agreement per output and the confusion matrix (no distributions). */
export interface PairSummary {
  pairs: number;
  compared: number;
  agree: number;
  labelled: number;
  candidateErrors: number;
  baselineErrors: number;
  invalid: number;
  incomparable: number;
  unpaired: number;
  agreement?: number;
  byOutput: PairTally['byOutput'];
  confusion: PairTally['confusion'];
  incomparableReason?: string;
}

export function pairSummary(t: PairTally): PairSummary {
  const s: PairSummary = {
    pairs: t.pairs, compared: t.compared, agree: t.agree, labelled: t.labelled, candidateErrors: t.candidateErrors, baselineErrors: t.baselineErrors,
    invalid: t.invalid, incomparable: t.incomparable, unpaired: t.unpaired, byOutput: t.byOutput, confusion: t.confusion,
  };
  if (t.labelled > 0) s.agreement = t.agree / t.labelled;
  if (t.incomparableReason) s.incomparableReason = t.incomparableReason;
  return s;
}

/** How one pair of answers compares: the labels agree or not, or the outputs cannot be compared. */
export function comparePair(baseline: unknown, candidate: unknown): 'agree' | 'disagree' | 'incomparable' | 'invalid' {
  const b = readOutputs(baseline);
  const c = readOutputs(candidate);
  if (typeof b === 'string' || typeof c === 'string') return 'invalid';
  if (difference(b, c)) return 'incomparable';
  for (const [name, x] of b) {
    const y = c.get(name)!;
    if (x.labels && y.labels && !x.labels.every((l, i) => l === y.labels![i])) return 'disagree';
    if (!x.labels && x.scores && y.scores && !x.scores.every((v, i) => v === y.scores![i])) return 'disagree';
  }
  return 'agree';
}
