// Reads a model's answer the way the gates need it: class labels for
// classifiers, scores for numeric outputs, and whether the answer is usable.
// Understands KServe V1 ({"predictions": [...]}) and Open Inference / V2
// ({"outputs": [{"datatype", "shape", "data"}]}, the first output).
export type InvalidReason = 'not_json' | 'nan' | 'no_outputs' | 'shape';

export interface OutputAnalysis {
  invalid: boolean;
  reason?: InvalidReason;
  labels?: string[];
  scores?: number[];
}

const INTEGER_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL', 'BYTES']);
// Python's json module writes NaN / Infinity, which JSON.parse rejects.
const NON_FINITE_TOKEN = /(?:^|[\s,[:])-?(?:NaN|Infinity)(?=[\s,\]}])/;

function parse(body: Uint8Array | string): { ok: true; value: unknown } | { ok: false; reason: InvalidReason } {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: NON_FINITE_TOKEN.test(text) ? 'nan' : 'not_json' };
  }
}

/** Instances in a V1 ({"instances"|"inputs": [...]}) or V2 ({"inputs": [{"shape": [n, ...]}]}) request; undefined if unknown. */
export function countInstances(body: Uint8Array | string): number | undefined {
  const p = parse(body);
  if (!p.ok || typeof p.value !== 'object' || p.value === null) return undefined;
  const v = p.value as { instances?: unknown; inputs?: unknown };
  if (Array.isArray(v.instances)) return v.instances.length;
  if (Array.isArray(v.inputs)) {
    const first = v.inputs[0] as { shape?: unknown } | undefined;
    if (first && typeof first === 'object' && Array.isArray(first.shape)) {
      const n = first.shape[0];
      return typeof n === 'number' ? n : undefined;
    }
    return v.inputs.length;
  }
  return undefined;
}

/** One instance's output: a scalar, or a vector read as (argmax label, max score). */
type Item = { kind: 'int' | 'float' | 'string'; value: number | string } | { kind: 'bad' };

function readItem(x: unknown): Item {
  if (typeof x === 'string') return { kind: 'string', value: x };
  if (typeof x === 'boolean') return { kind: 'int', value: x ? 1 : 0 };
  if (typeof x === 'number') return Number.isFinite(x) ? { kind: Number.isInteger(x) ? 'int' : 'float', value: x } : { kind: 'bad' };
  if (Array.isArray(x)) {
    if (x.length === 1) return readItem(x[0]);
    if (x.length === 0 || !x.every((e) => typeof e === 'number' && Number.isFinite(e))) return { kind: 'bad' };
    // A vector per instance (class probabilities): its argmax is the predicted class.
    let best = 0;
    for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
    return { kind: 'int', value: best };
  }
  return { kind: 'bad' };
}

type Mode = 'auto' | 'labels' | 'scores';

function summarise(items: Item[], expected: number | undefined, mode: Mode): OutputAnalysis {
  if (items.length === 0) return { invalid: true, reason: 'no_outputs' };
  if (items.some((i) => i.kind === 'bad')) return { invalid: true, reason: 'nan' };
  if (expected !== undefined && items.length !== expected) return { invalid: true, reason: 'shape' };
  const good = items as Array<{ kind: 'int' | 'float' | 'string'; value: number | string }>;
  // One non-integer number makes the whole answer a score output (a regressor that printed 1.0 as 1 stays a regressor).
  if (mode === 'scores' || (mode === 'auto' && good.some((i) => i.kind === 'float'))) {
    if (good.some((i) => i.kind === 'string')) return { invalid: true, reason: 'shape' };
    return { invalid: false, scores: good.map((i) => i.value as number) };
  }
  return { invalid: false, labels: good.map((i) => String(i.value)) };
}

function v2Items(out: { shape?: unknown; data?: unknown }): { items: Item[]; perInstance: number } | undefined {
  if (!Array.isArray(out.data)) return undefined;
  const data = out.data.flat(Infinity) as unknown[];
  const shape = Array.isArray(out.shape) && out.shape.every((d) => typeof d === 'number') ? (out.shape as number[]) : [data.length];
  const batch = shape[0] ?? 1;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (batch * per !== data.length) return { items: [{ kind: 'bad' }], perInstance: per };
  if (per === 1) return { items: data.map(readItem), perInstance: 1 };
  const items: Item[] = [];
  for (let i = 0; i < batch; i++) items.push(readItem(data.slice(i * per, (i + 1) * per)));
  return { items, perInstance: per };
}

/**
 * Analyses one response body. `expectedInstances` (from the request) turns a
 * count mismatch into a 'shape' error. Null, NaN or Infinity anywhere in the
 * predictions is 'nan'; a body with no predictions/outputs is 'no_outputs'.
 */
export function analyseOutput(body: Uint8Array | string, expectedInstances?: number): OutputAnalysis {
  const p = parse(body);
  if (!p.ok) return { invalid: true, reason: p.reason };
  const v = p.value as { predictions?: unknown; outputs?: unknown } | null;
  if (typeof v !== 'object' || v === null) return { invalid: true, reason: 'no_outputs' };
  if (Array.isArray(v.predictions)) return summarise(v.predictions.map(readItem), expectedInstances, 'auto');
  if (Array.isArray(v.outputs)) {
    const first = v.outputs[0] as { shape?: unknown; data?: unknown; datatype?: unknown } | undefined;
    const got = first && typeof first === 'object' ? v2Items(first) : undefined;
    if (!got) return { invalid: true, reason: 'no_outputs' };
    const dt = typeof first?.datatype === 'string' ? first.datatype : '';
    // The declared datatype settles labels vs scores (FP32 1.0 arrives as 1); vectors are read by argmax.
    const mode: Mode = INTEGER_TYPES.has(dt) ? 'labels' : dt.startsWith('FP') && got.perInstance === 1 ? 'scores' : 'auto';
    return summarise(got.items, expectedInstances, mode);
  }
  return { invalid: true, reason: 'no_outputs' };
}
