// Converts JSON tensor data (flat or nested, row-major) into the typed array a
// model input needs, checking every element, and writes output tensors back as
// JSON text directly (no intermediate arrays: responses are built as strings).
import { syError } from '../../core/errors.ts';
import { DATATYPES, type TensorData, type V2Datatype } from './datatypes.ts';

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function countLeaves(data: unknown[]): number {
  let n = 0;
  for (const v of data) n += Array.isArray(v) ? countLeaves(v) : 1;
  return n;
}

function describeValue(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

type Store = (out: TensorData, pos: number, v: unknown) => boolean;

/** Per (sent, expected) pair: write one element, or return false when it does not fit. */
function storeFor(sent: V2Datatype, expected: V2Datatype): Store {
  const want = DATATYPES[expected];
  const sentKind = DATATYPES[sent].kind;
  if (sentKind === 'bool') return (out, pos, v) => typeof v === 'boolean' && ((out[pos] = v ? 1 : 0), true);
  if (sentKind === 'bytes') return (out, pos, v) => typeof v === 'string' && ((out[pos] = v), true);
  const min = want.min ?? -Infinity;
  const max = want.max ?? Infinity;
  const integral = sentKind === 'int' || want.kind === 'int' || expected === 'FP16';
  const big = expected === 'INT64' || expected === 'UINT64';
  return (out, pos, v) => {
    if (typeof v !== 'number' || (integral && !Number.isInteger(v)) || v < min || v > max) return false;
    (out as unknown as Array<number | bigint>)[pos] = big ? BigInt(v) : v;
    return true;
  };
}

function expectation(sent: V2Datatype, expected: V2Datatype): string {
  const kind = DATATYPES[sent].kind;
  if (kind === 'bool') return 'a boolean';
  if (kind === 'bytes') return 'a string';
  const want = DATATYPES[expected];
  if (want.kind === 'int' || kind === 'int') return `an integer in [${want.min}, ${want.max}]`;
  return 'a number';
}

/**
 * Reads `data` (flat or nested) into a new typed array for a model input of
 * type `expected`, sent as `sent`. Throws SY_ERR_MODEL_INPUT naming the input,
 * the position and what was expected.
 */
export function decodeTensorData(input: string, sent: V2Datatype, expected: V2Datatype, shape: readonly number[], data: unknown): TensorData {
  if (!Array.isArray(data)) throw syError('SY_ERR_MODEL_INPUT', `Input "${input}": data must be an array, got ${describeValue(data)}`);
  const count = elementCount(shape);
  const flat = data.length === 0 || !Array.isArray(data[0]);
  const got = flat && !data.some(Array.isArray) ? data.length : countLeaves(data);
  if (got !== count) {
    throw syError('SY_ERR_MODEL_INPUT', `Input "${input}": shape ${shapeText(shape)} needs ${count} elements but data has ${got}`);
  }
  const out = DATATYPES[expected].alloc(count);
  const store = storeFor(sent, expected);
  let pos = 0;
  const walk = (arr: unknown[]): void => {
    for (const v of arr) {
      if (Array.isArray(v)) walk(v);
      else if (store(out, pos, v)) pos++;
      else throw syError('SY_ERR_MODEL_INPUT', `Input "${input}": element ${pos} is ${describeValue(v)}, expected ${expectation(sent, expected)} for datatype ${sent}`);
    }
  };
  walk(data);
  return out;
}

/** One element as JSON text; NaN and ±Infinity become null as orjson writes them. */
function elementJson(data: TensorData, i: number): string {
  const v = data[i];
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** The whole tensor as a flat JSON array. BOOL outputs come back as true/false. */
export function flatJson(data: TensorData, datatype: V2Datatype, start = 0, end = data.length): string {
  if (end <= start) return '[]';
  const bool = datatype === 'BOOL';
  let s = '[';
  for (let i = start; i < end; i++) {
    if (i > start) s += ',';
    s += bool ? (data[i] ? 'true' : 'false') : elementJson(data, i);
  }
  return s + ']';
}

/** Elements [offset, offset + product(dims)) nested to `dims`; a scalar when dims is empty. */
export function nestedJson(data: TensorData, datatype: V2Datatype, dims: readonly number[], offset: number): string {
  if (dims.length === 0) return datatype === 'BOOL' ? (data[offset] ? 'true' : 'false') : elementJson(data, offset);
  if (dims.length === 1) return flatJson(data, datatype, offset, offset + dims[0]!);
  const inner = dims.slice(1);
  const step = elementCount(inner);
  const parts: string[] = [];
  for (let i = 0; i < dims[0]!; i++) parts.push(nestedJson(data, datatype, inner, offset + i * step));
  return `[${parts.join(',')}]`;
}
