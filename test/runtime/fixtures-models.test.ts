// The committed fixture models load in onnxruntime and behave as documented:
// iris-v1/v2 classify the iris CSV well, constants always answer their class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const root = join(import.meta.dirname, '../..');
const CLASSES = ['setosa', 'versicolor', 'virginica'];

function readIris(): { x: number[][]; y: number[] } {
  const lines = readFileSync(join(root, 'examples/data/iris.csv'), 'utf8').trim().split('\n').slice(1);
  const x = lines.map((l) => l.split(',').slice(0, 4).map(Number));
  const y = lines.map((l) => CLASSES.indexOf(l.split(',')[4]!));
  return { x, y };
}

async function predict(model: string, x: number[][]): Promise<{ label: number[]; probabilities: Float32Array }> {
  const session = await ort.InferenceSession.create(join(root, 'examples/models', model, 'model.onnx'));
  const input = new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, 4]);
  const out = await session.run({ input });
  await session.release();
  return { label: Array.from(out.label!.data as BigInt64Array, Number), probabilities: out.probabilities!.data as Float32Array };
}

test('iris.csv is the 150-row Fisher data set with 50 rows per class', () => {
  const { x, y } = readIris();
  assert.equal(x.length, 150);
  for (let k = 0; k < 3; k++) {
    const rows = x.filter((_, i) => y[i] === k);
    assert.equal(rows.length, 50);
    const sepalMean = rows.reduce((s, r) => s + r[0]!, 0) / 50;
    assert.ok(Math.abs(sepalMean - [5.006, 5.936, 6.588][k]!) < 1e-9, `class ${k} sepal length mean ${sepalMean}`);
  }
});

for (const model of ['iris-v1', 'iris-v2']) {
  test(`${model} classifies the iris data with accuracy >= 0.95`, async () => {
    const { x, y } = readIris();
    const { label, probabilities } = await predict(model, x);
    const hits = label.filter((l, i) => l === y[i]).length;
    assert.ok(hits / 150 >= 0.95, `accuracy ${hits / 150}`);
    for (let i = 0; i < 150; i++) {
      const row = Array.from(probabilities.subarray(i * 3, i * 3 + 3));
      assert.ok(Math.abs(row[0]! + row[1]! + row[2]! - 1) < 1e-5);
      assert.equal(row.indexOf(Math.max(...row)), label[i]);
    }
  });
}

test('iris-v1 and iris-v2 agree on almost every row (near-identical variants)', async () => {
  const { x } = readIris();
  const a = (await predict('iris-v1', x)).label;
  const b = (await predict('iris-v2', x)).label;
  const agree = a.filter((l, i) => l === b[i]).length;
  assert.ok(agree >= 147, `agree on ${agree}/150`);
});

CLASSES.forEach((cls, k) => {
  test(`const-${cls} always predicts class ${k}`, async () => {
    const { x } = readIris();
    const extremes = [[0, 0, 0, 0], [-1e6, 1e6, -3, 42], [100, 100, 100, 100]];
    const { label, probabilities } = await predict(`const-${cls}`, [...x, ...extremes]);
    assert.ok(label.every((l) => l === k));
    for (let i = 0; i < label.length; i++) assert.equal(probabilities[i * 3 + k], 1);
  });
});
