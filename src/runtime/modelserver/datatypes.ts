// Open Inference Protocol datatypes and their onnxruntime element types.
// The table decides which request datatypes a model input accepts: a value is
// converted only when no information a client would care about is lost
// (any number into a float input, any integer into an integer input in range).

export type V2Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

export type OrtType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

interface TypeInfo {
  ort: OrtType;
  kind: 'float' | 'int' | 'bool' | 'bytes';
  min?: number;
  max?: number;
  alloc: (n: number) => TensorData;
}

const FLOAT: TypeInfo['kind'] = 'float';
const INT: TypeInfo['kind'] = 'int';

export const DATATYPES: Record<V2Datatype, TypeInfo> = {
  BOOL: { ort: 'bool', kind: 'bool', alloc: (n) => new Uint8Array(n) },
  UINT8: { ort: 'uint8', kind: INT, min: 0, max: 255, alloc: (n) => new Uint8Array(n) },
  UINT16: { ort: 'uint16', kind: INT, min: 0, max: 65535, alloc: (n) => new Uint16Array(n) },
  UINT32: { ort: 'uint32', kind: INT, min: 0, max: 4294967295, alloc: (n) => new Uint32Array(n) },
  UINT64: { ort: 'uint64', kind: INT, min: 0, max: Number.MAX_SAFE_INTEGER, alloc: (n) => new BigUint64Array(n) },
  INT8: { ort: 'int8', kind: INT, min: -128, max: 127, alloc: (n) => new Int8Array(n) },
  INT16: { ort: 'int16', kind: INT, min: -32768, max: 32767, alloc: (n) => new Int16Array(n) },
  INT32: { ort: 'int32', kind: INT, min: -2147483648, max: 2147483647, alloc: (n) => new Int32Array(n) },
  INT64: { ort: 'int64', kind: INT, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, alloc: (n) => new BigInt64Array(n) },
  // FP16 travels as raw uint16 bit patterns inside onnxruntime-node; we do not convert into it.
  FP16: { ort: 'float16', kind: FLOAT, alloc: (n) => new Uint16Array(n) },
  FP32: { ort: 'float32', kind: FLOAT, alloc: (n) => new Float32Array(n) },
  FP64: { ort: 'float64', kind: FLOAT, alloc: (n) => new Float64Array(n) },
  BYTES: { ort: 'string', kind: 'bytes', alloc: (n) => new Array<string>(n) },
};

const BY_ORT = new Map<string, V2Datatype>(Object.entries(DATATYPES).map(([dt, info]) => [info.ort, dt as V2Datatype]));

export function isV2Datatype(s: string): s is V2Datatype {
  return Object.hasOwn(DATATYPES, s);
}

/** The V2 datatype of an onnxruntime element type ('float32' → 'FP32'). */
export function datatypeOfOrt(ort: string): V2Datatype | undefined {
  return BY_ORT.get(ort);
}

/**
 * Whether a tensor sent as `sent` can feed a model input of type `expected`.
 * Floats accept any number; integers accept integers (range-checked per element);
 * BOOL and BYTES only themselves. FP16 inputs only accept FP16 (raw bits).
 */
export function acceptsDatatype(expected: V2Datatype, sent: V2Datatype): boolean {
  if (expected === sent) return true;
  if (expected === 'FP16') return false;
  const want = DATATYPES[expected].kind;
  const got = DATATYPES[sent].kind;
  if (want === 'float') return got === 'float' || got === 'int';
  if (want === 'int') return got === 'int';
  return false;
}
