// Trains the fixture models that tests, examples and the demo serve:
//   examples/models/iris-v1, iris-v2   multinomial logistic regression on iris
//   examples/models/const-<class>      always predict one class
//   examples/models/fails-at-inference fails every request; rejects-negative fails rows with a negative feature;
//   rotates-negative answers them with the next class (a candidate that disagrees on them)
// Run: node --import tsx scripts/train-iris.ts
// Deterministic: fixed seeds, batch gradient descent, no wall-clock input, so
// re-running reproduces the committed .onnx files byte for byte.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { seededRandom as seeded } from '../src/core/random.ts';

const { onnx } = onnxProto;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLASSES = ['setosa', 'versicolor', 'virginica'] as const;
const FEATURES = 4;
const K = CLASSES.length;

export interface IrisData { x: number[][]; y: number[] }

export function readIris(path = join(root, 'examples/data/iris.csv')): IrisData {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const x: number[][] = [];
  const y: number[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    x.push(cells.slice(0, FEATURES).map(Number));
    y.push(CLASSES.indexOf(cells[FEATURES] as (typeof CLASSES)[number]));
  }
  return { x, y };
}


interface Model { mean: number[]; std: number[]; w: number[][]; b: number[] }

function standardizer(x: number[][]): { mean: number[]; std: number[] } {
  const mean = Array.from({ length: FEATURES }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const std = mean.map((m, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / x.length));
  return { mean, std };
}

function logits(m: Model, row: number[]): number[] {
  const z = row.map((v, j) => (v - m.mean[j]!) / m.std[j]!);
  return m.b.map((bk, k) => z.reduce((s, zj, j) => s + zj * m.w[j]![k]!, bk));
}

function softmax(v: number[]): number[] {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

/** Batch gradient descent on the mean cross-entropy with a small L2 penalty. */
export function train(data: IrisData, opts: { seed: number; iterations: number; rate: number; l2: number }): Model {
  const { mean, std } = standardizer(data.x);
  const rand = seeded(opts.seed);
  const m: Model = { mean, std, w: Array.from({ length: FEATURES }, () => Array.from({ length: K }, () => (rand() - 0.5) * 0.02)), b: [0, 0, 0] };
  const n = data.x.length;
  for (let it = 0; it < opts.iterations; it++) {
    const gw = Array.from({ length: FEATURES }, () => new Array<number>(K).fill(0));
    const gb = new Array<number>(K).fill(0);
    for (let i = 0; i < n; i++) {
      const row = data.x[i]!;
      const p = softmax(logits(m, row));
      for (let k = 0; k < K; k++) {
        const err = p[k]! - (data.y[i] === k ? 1 : 0);
        gb[k]! += err / n;
        for (let j = 0; j < FEATURES; j++) gw[j]![k]! += (err * (row[j]! - mean[j]!)) / std[j]! / n;
      }
    }
    for (let k = 0; k < K; k++) {
      m.b[k]! -= opts.rate * gb[k]!;
      for (let j = 0; j < FEATURES; j++) m.w[j]![k]! -= opts.rate * (gw[j]![k]! + opts.l2 * m.w[j]![k]!);
    }
  }
  return m;
}

export function accuracy(m: Model, data: IrisData): number {
  let hits = 0;
  data.x.forEach((row, i) => {
    const l = logits(m, row);
    if (l.indexOf(Math.max(...l)) === data.y[i]) hits++;
  });
  return hits / data.x.length;
}

function floatTensor(name: string, dims: number[], values: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>) {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim } } } });
}

/**
 * input FLOAT [N,4] → (x - mean) / std → MatMul W + b = logits
 *   → label INT64 [N] (ArgMax; listed first so V1 `predictions` are class indices as in sklearn)
 *   → probabilities FLOAT [N,3] (Softmax)
 */
export function toOnnx(m: Model, docString: string, opts: { rejectNegative?: boolean; rotateNegative?: boolean } = {}): Uint8Array {
  const attr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const graph = onnx.GraphProto.create({
    name: 'iris_logreg',
    initializer: [
      floatTensor('mean', [FEATURES], m.mean),
      floatTensor('std', [FEATURES], m.std),
      floatTensor('weights', [FEATURES, K], m.w.flat()),
      floatTensor('bias', [K], m.b),
      ...(opts.rejectNegative || opts.rotateNegative ? guardInitializers() : []),
      ...(opts.rotateNegative ? [onnx.TensorProto.create({ name: 'rotation', dims: [K], dataType: onnx.TensorProto.DataType.INT64, int64Data: [2, 0, 1] })] : []),
    ],
    node: [
      ...(opts.rejectNegative ? guardNodes() : []),
      onnx.NodeProto.create({ opType: 'Sub', input: [opts.rejectNegative ? 'guarded' : 'input', 'mean'], output: ['centered'], name: 'center' }),
      onnx.NodeProto.create({ opType: 'Div', input: ['centered', 'std'], output: ['scaled'], name: 'scale' }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['scaled', 'weights'], output: ['linear'], name: 'matmul' }),
      onnx.NodeProto.create({ opType: 'Add', input: ['linear', 'bias'], output: [opts.rotateNegative ? 'plain_logits' : 'logits'], name: 'add_bias' }),
      ...(opts.rotateNegative ? rotateNodes() : []),
      onnx.NodeProto.create({ opType: 'ArgMax', input: ['logits'], output: ['label'], name: 'argmax', attribute: [attr('axis', 1), attr('keepdims', 0)] }),
      onnx.NodeProto.create({ opType: 'Softmax', input: ['logits'], output: ['probabilities'], name: 'softmax', attribute: [attr('axis', 1)] }),
    ],
    input: [valueInfo('input', onnx.TensorProto.DataType.FLOAT, ['N', FEATURES])],
    output: [
      valueInfo('label', onnx.TensorProto.DataType.INT64, ['N']),
      valueInfo('probabilities', onnx.TensorProto.DataType.FLOAT, ['N', K]),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'switchyard-train-iris',
    producerVersion: '1',
    docString,
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function guardInitializers() {
  return [
    floatTensor('one', [], [1]),
    floatTensor('zero_f', [], [0]),
    floatTensor('probe', [FEATURES], [0, 0, 0, 0]),
    onnx.TensorProto.create({ name: 'four', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [FEATURES] }),
  ];
}

/**
 * A data-dependent failure: k = ceil(relu(−min(input))) + 1 is 1 unless some
 * feature is negative; the probe [4] is reshaped to [4k], which only k = 1
 * satisfies, and its sum (0) is added to the input so the check always runs.
 * A negative measurement is not an iris, so the model refuses it with an
 * error, as a candidate with stricter (or buggier) input validation would.
 */
function guardNodes() {
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
  const int = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  return [
    node('ReduceMin', ['input'], 'minimum', [int('keepdims', 0)]),
    node('Neg', ['minimum'], 'negated'),
    node('Relu', ['negated'], 'below_zero'),
    node('Ceil', ['below_zero'], 'whole'),
    node('Add', ['whole', 'one'], 'k_float'),
    node('Cast', ['k_float'], 'k', [int('to', onnx.TensorProto.DataType.INT64)]),
    node('Mul', ['k', 'four'], 'shape'),
    node('Reshape', ['probe', 'shape'], 'checked'),
    node('ReduceSum', ['checked'], 'zero', [int('keepdims', 0)]),
    node('Add', ['input', 'zero'], 'guarded'),
  ];
}

/**
 * A data-dependent disagreement: for a row with a negative feature the
 * logits are rotated (class k's score goes to k + 1 mod 3), so the predicted
 * class moves by one; other rows are answered as iris-v1 answers.
 */
function rotateNodes() {
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
  const int = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const ints = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  return [
    // Per row (axis 1, kept): a batch of several requests rotates only the rows with a negative feature.
    node('ReduceMin', ['input'], 'row_minimum', [ints('axes', [1]), int('keepdims', 1)]),
    node('Less', ['row_minimum', 'zero_f'], 'negative'),
    node('Gather', ['plain_logits', 'rotation'], 'rotated', [int('axis', 1)]),
    node('Where', ['negative', 'rotated', 'plain_logits'], 'logits'),
  ];
}

/** Zero weights and a bias that wins by 1e4: Softmax gives exactly one-hot, ArgMax gives k. */
function constantModel(k: number): Model {
  return {
    mean: [0, 0, 0, 0],
    std: [1, 1, 1, 1],
    w: Array.from({ length: FEATURES }, () => [0, 0, 0]),
    b: [0, 1, 2].map((c) => (c === k ? 0 : -1e4)),
  };
}

/**
 * A model that loads and reports ready but fails every inference: it
 * reshapes [N,4] into [7], which no batch size satisfies. The stand-in for a
 * candidate that is up on HTTP and answers 500.
 */
export function failingOnnx(): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'fails_at_inference',
    initializer: [onnx.TensorProto.create({ name: 'bad_shape', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [7] })],
    node: [onnx.NodeProto.create({ opType: 'Reshape', input: ['input', 'bad_shape'], output: ['label'], name: 'reshape' })],
    input: [valueInfo('input', onnx.TensorProto.DataType.FLOAT, ['N', FEATURES])],
    output: [valueInfo('label', onnx.TensorProto.DataType.FLOAT, [7])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'switchyard-train-iris', producerVersion: '1', docString: 'Always fails at inference (Reshape [N,4] to [7])', graph });
  return onnx.ModelProto.encode(model).finish();
}

function write(name: string, bytes: Uint8Array): void {
  const path = join(root, 'examples/models', name, 'model.onnx');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  console.log(`wrote ${path} (${bytes.length} bytes)`);
}

function main(): void {
  const data = readIris();
  const variants = [
    { name: 'iris-v1', seed: 1, iterations: 2000, rate: 0.5, l2: 1e-3 },
    { name: 'iris-v2', seed: 2, iterations: 2500, rate: 0.5, l2: 1e-3 },
  ];
  for (const v of variants) {
    const model = train(data, v);
    const acc = accuracy(model, data);
    console.log(`${v.name}: training accuracy ${acc.toFixed(4)} (seed ${v.seed}, ${v.iterations} iterations)`);
    if (acc < 0.95) throw new Error(`${v.name} accuracy ${acc} is below 0.95`);
    write(v.name, toOnnx(model, `Multinomial logistic regression on iris (Fisher 1936); seed ${v.seed}, ${v.iterations} iterations; label: 0 setosa, 1 versicolor, 2 virginica`));
  }
  CLASSES.forEach((cls, k) => write(`const-${cls}`, toOnnx(constantModel(k), `Constant classifier: always ${cls} (${k})`)));
  write('fails-at-inference', failingOnnx());
  // iris-v1 exactly, except that rows with a negative feature fail at inference (500).
  write('rejects-negative', toOnnx(train(data, variants[0]!), 'iris-v1 that fails at inference on any row with a negative feature', { rejectNegative: true }));
  // iris-v1 exactly, except that rows with a negative feature get the next class: a candidate that disagrees on them.
  write('rotates-negative', toOnnx(train(data, variants[0]!), 'iris-v1 that answers the next class for any row with a negative feature', { rotateNegative: true }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
