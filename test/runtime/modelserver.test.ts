// KServe V1 / V2 conformance of the built-in ONNX model server, against the
// committed iris fixture and an echo model written here (one Identity per datatype).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { startModelServer, type ModelServer } from '../../src/runtime/modelserver/index.ts';

const { onnx } = onnxProto;
const root = join(import.meta.dirname, '../..');
const IRIS = join(root, 'examples/models/iris-v1');
const CLASSES = ['setosa', 'versicolor', 'virginica'];
const lines = readFileSync(join(root, 'examples/data/iris.csv'), 'utf8').trim().split('\n').slice(1);
const rows = lines.map((l) => l.split(',').slice(0, 4).map(Number));
const labels = lines.map((l) => CLASSES.indexOf(l.split(',')[4]!));

interface Reply { status: number; body: any; headers: Headers }

async function call(server: ModelServer, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = body === undefined ? { headers } : { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), headers: res.headers };
}

/** An ONNX model whose outputs echo its inputs, one per V2 datatype the server converts. */
function writeEchoModel(dir: string): void {
  const T = onnx.TensorProto.DataType;
  const tensors: Array<[string, number, Array<number | string>]> = [
    ['b', T.BOOL, ['N']], ['s', T.STRING, ['N']], ['i32', T.INT32, ['N', 2]], ['i64', T.INT64, ['N']], ['f64', T.DOUBLE, ['N']],
  ];
  const info = (name: string, elemType: number, dims: Array<number | string>) => onnx.ValueInfoProto.create({
    name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const graph = onnx.GraphProto.create({
    name: 'echo',
    node: tensors.map(([n]) => onnx.NodeProto.create({ opType: 'Identity', input: [n], output: [`${n}_out`] })),
    input: tensors.map(([n, t, d]) => info(n, t, d)),
    output: tensors.map(([n, t, d]) => info(`${n}_out`, t, d)),
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'echo.onnx'), onnx.ModelProto.encode(model).finish());
}

const tmp = mkdtempSync(join(tmpdir(), 'sy-modelserver-'));
const logLines: string[] = [];
let iris: ModelServer;
let echo: ModelServer;

before(async () => {
  iris = await startModelServer({ modelDir: IRIS, name: 'iris', port: 0, batching: false, log: (l) => logLines.push(l) });
  writeEchoModel(join(tmp, 'echo'));
  echo = await startModelServer({ modelDir: join(tmp, 'echo'), name: 'echo', port: 0, log: () => {} });
  await Promise.all([iris.ready, echo.ready]);
});
after(async () => {
  await Promise.all([iris.close(), echo.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('V1', () => {
  test('lists the model and reports it ready', async () => {
    assert.deepEqual((await call(iris, '/v1/models')).body, { models: ['iris'] });
    const r = await call(iris, '/v1/models/iris');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: 'iris', ready: true });
  });

  test('predicts class indices for every iris row with accuracy >= 0.95', async () => {
    const r = await call(iris, '/v1/models/iris:predict', { instances: rows });
    assert.equal(r.status, 200);
    assert.equal(r.body.predictions.length, 150);
    assert.ok(r.body.predictions.every((p: unknown) => Number.isInteger(p)));
    const hits = r.body.predictions.filter((p: number, i: number) => p === labels[i]).length;
    assert.ok(hits / 150 >= 0.95, `accuracy ${hits / 150}`);
  });

  test('accepts "inputs" as an alias of "instances"', async () => {
    const r = await call(iris, '/v1/models/iris:predict', { inputs: [rows[0], rows[149]] });
    assert.deepEqual(r.body, { predictions: [0, 2] });
  });

  test('a configured output gives per-instance rows of that output', async () => {
    const probs = await startModelServer({ modelDir: IRIS, name: 'iris', port: 0, outputName: 'probabilities', log: () => {} });
    await probs.ready;
    const r = await call(probs, '/v1/models/iris:predict', { instances: [rows[0], rows[60]] });
    await probs.close();
    assert.equal(r.body.predictions.length, 2);
    for (const p of r.body.predictions) {
      assert.equal(p.length, 3);
      assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-5);
    }
    assert.ok(r.body.predictions[0][0] > 0.9 && r.body.predictions[1][1] > 0.5);
  });

  test('400 names the instance shape that does not fit', async () => {
    const r = await call(iris, '/v1/models/iris:predict', { instances: [[1, 2, 3, 4], [1, 2, 3]] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'Instance 1 has shape [3] but model input "input" expects [4] per instance');
  });

  test('400 for non-numbers, a non-list, missing instances and bad JSON', async () => {
    let r = await call(iris, '/v1/models/iris:predict', { instances: [[1, 2, 'x', 4]] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'Input "input": element 2 is "x", expected a number for datatype FP32');
    r = await call(iris, '/v1/models/iris:predict', { instances: 'all of them' });
    assert.deepEqual([r.status, r.body], [400, { error: 'Expected "instances" to be a list' }]);
    r = await call(iris, '/v1/models/iris:predict', { rows: [] });
    assert.deepEqual([r.status, r.body], [400, { error: 'Expected key "instances" in request body' }]);
    r = await call(iris, '/v1/models/iris:predict', '{"instances": [[1,2,3,4]');
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^Unrecognized request format: /);
  });

  test('404 for another model name, in KServe wording', async () => {
    for (const path of ['/v1/models/flowers', '/v1/models/flowers:predict']) {
      const r = await call(iris, path, path.endsWith(':predict') ? { instances: [rows[0]] } : undefined);
      assert.deepEqual([r.status, r.body], [404, { error: 'Model with name flowers does not exist.' }]);
    }
  });

  test('a multi-input model is refused on V1 with a pointer to V2', async () => {
    const r = await call(echo, '/v1/models/echo:predict', { instances: [[1]] });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /one input; echo has 5 \(use the V2 infer endpoint\)/);
  });
});

describe('V2', () => {
  test('health, server metadata and model readiness', async () => {
    assert.deepEqual((await call(iris, '/v2/health/live')).body, { live: true });
    assert.deepEqual((await call(iris, '/v2/health/ready')).body, { ready: true });
    const meta = await call(iris, '/v2');
    assert.equal(meta.body.name, 'switchyard-onnx');
    assert.ok(Array.isArray(meta.body.extensions) && typeof meta.body.version === 'string');
    assert.deepEqual((await call(iris, '/v2/models/iris/ready')).body, { name: 'iris', ready: true });
    assert.deepEqual((await call(iris, '/v2/models/iris/versions/1/ready')).body, { name: 'iris', ready: true });
  });

  test('model metadata comes from the ONNX graph, -1 for dynamic dims', async () => {
    const expected = {
      name: 'iris', versions: ['1'], platform: 'onnxruntime',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }, { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    };
    assert.deepEqual((await call(iris, '/v2/models/iris')).body, expected);
    assert.deepEqual((await call(iris, '/v2/models/iris/versions/1')).body, expected);
    const e = (await call(echo, '/v2/models/echo')).body;
    assert.deepEqual(e.inputs.map((t: any) => [t.name, t.datatype, t.shape]), [
      ['b', 'BOOL', [-1]], ['s', 'BYTES', [-1]], ['i32', 'INT32', [-1, 2]], ['i64', 'INT64', [-1]], ['f64', 'FP64', [-1]],
    ]);
    const r = await call(iris, '/v2/models/iris/versions/7');
    assert.deepEqual([r.status, r.body], [404, { error: 'Model with name iris version 7 does not exist.' }]);
  });

  test('infer with FP32 flat, FP64 nested, INT32 and INT64 data gives the same answer', async () => {
    const x = [rows[0]!, rows[50]!, rows[100]!];
    const integral = [[5, 3, 1, 0], [6, 3, 5, 2]];
    const asFp32 = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [3, 4], datatype: 'FP32', data: x.flat() }] });
    const asFp64 = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [3, 4], datatype: 'FP64', data: x }] });
    assert.equal(asFp32.status, 200);
    assert.deepEqual(asFp32.body.outputs, asFp64.body.outputs);
    const label = asFp32.body.outputs[0];
    assert.deepEqual(label, { name: 'label', datatype: 'INT64', shape: [3], data: [0, 1, 2] });
    const probs = asFp32.body.outputs[1];
    assert.deepEqual([probs.name, probs.datatype, probs.shape, probs.data.length], ['probabilities', 'FP32', [3, 3], 9]);
    const i32 = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [2, 4], datatype: 'INT32', data: integral }] });
    const i64 = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [2, 4], datatype: 'INT64', data: integral.flat() }] });
    const f32 = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: integral.flat() }] });
    assert.deepEqual(i32.body.outputs, f32.body.outputs);
    assert.deepEqual(i64.body.outputs, f32.body.outputs);
  });

  test('BOOL, BYTES, INT32, INT64 and FP64 tensors round-trip through a model that takes them', async () => {
    const inputs = [
      { name: 'b', shape: [3], datatype: 'BOOL', data: [true, false, true] },
      { name: 's', shape: [2], datatype: 'BYTES', data: ['setosa', 'vïrginica "quoted"'] },
      { name: 'i32', shape: [2, 2], datatype: 'INT32', data: [[1, -2], [2147483647, 0]] },
      { name: 'i64', shape: [2], datatype: 'INT64', data: [9007199254740991, -5] },
      { name: 'f64', shape: [2], datatype: 'FP64', data: [0.1, -1e300] },
    ];
    const r = await call(echo, '/v2/models/echo/infer', { id: 'round-trip', inputs });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, 'round-trip');
    assert.equal(r.body.model_name, 'echo');
    assert.deepEqual(r.body.outputs, inputs.map((t) => ({ name: `${t.name}_out`, datatype: t.datatype, shape: t.shape, data: t.data.flat() })));
  });

  test('400 for an integer out of range and a fraction sent to an integer input', async () => {
    const base = [
      { name: 'b', shape: [1], datatype: 'BOOL', data: [true] }, { name: 's', shape: [1], datatype: 'BYTES', data: ['a'] },
      { name: 'i64', shape: [1], datatype: 'INT64', data: [1] }, { name: 'f64', shape: [1], datatype: 'FP64', data: [1] },
    ];
    let r = await call(echo, '/v2/models/echo/infer', { inputs: [...base, { name: 'i32', shape: [1, 2], datatype: 'INT32', data: [1, 2147483648] }] });
    assert.deepEqual([r.status, r.body.error], [400, 'Input "i32": element 1 is 2147483648, expected an integer in [-2147483648, 2147483647] for datatype INT32']);
    r = await call(echo, '/v2/models/echo/infer', { inputs: [...base, { name: 'i32', shape: [1, 2], datatype: 'FP32', data: [1, 2.5] }] });
    assert.deepEqual([r.status, r.body.error], [400, 'Input "i32": datatype mismatch: expected INT32, got FP32']);
  });

  test('id is echoed, or is the request id when absent; x-request-id is honoured', async () => {
    const req = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rows[0] }] };
    const withId = await call(iris, '/v2/models/iris/infer', { id: 'req-42', ...req });
    assert.equal(withId.body.id, 'req-42');
    const fromHeader = await call(iris, '/v2/models/iris/versions/1/infer', req, { 'x-request-id': 'trace-7' });
    assert.equal(fromHeader.body.id, 'trace-7');
    assert.equal(fromHeader.headers.get('x-request-id'), 'trace-7');
    const generated = await call(iris, '/v2/models/iris/infer', req);
    assert.match(generated.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(generated.headers.get('x-request-id'), generated.body.id);
  });

  test('the outputs filter returns only the named outputs, in request order', async () => {
    const r = await call(iris, '/v2/models/iris/infer', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rows[0] }],
      outputs: [{ name: 'probabilities' }, { name: 'label' }],
      parameters: { content_type: 'np' },
    });
    assert.deepEqual(r.body.outputs.map((o: any) => o.name), ['probabilities', 'label']);
    const bad = await call(iris, '/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rows[0] }], outputs: [{ name: 'logits' }] });
    assert.deepEqual([bad.status, bad.body.error], [400, 'Output "logits" is not an output of model iris (outputs: label, probabilities)']);
  });

  test('400 errors say exactly what is wrong', async () => {
    const cases: Array<[unknown, string]> = [
      [{ inputs: [{ name: 'input', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] }, 'Input "input": shape mismatch: expected [-1, 4], got [2, 3]'],
      [{ inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }, 'Input "input": shape [2, 4] needs 8 elements but data has 4'],
      [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'BOOL', data: [true, false, true, true] }] }, 'Input "input": datatype mismatch: expected FP32, got BOOL'],
      [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'BYTES', data: ['1', '2', '3', '4'] }] }, 'Input "input": datatype mismatch: expected FP32, got BYTES'],
      [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FLOAT32', data: [1, 2, 3, 4] }] }, 'Input "input": unknown datatype "FLOAT32"'],
      [{ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }, 'Input "features" is not an input of model iris (inputs: input)'],
      [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32' }] }, 'Invalid inference request: inputs.0.data: expected an array (flat or nested, row-major)'],
      [{ instances: [[1, 2, 3, 4]] }, 'Invalid inference request: inputs: Invalid input: expected array, received undefined'],
    ];
    for (const [body, error] of cases) {
      const r = await call(iris, '/v2/models/iris/infer', body);
      assert.deepEqual([r.status, r.body], [400, { error }]);
    }
    const missing = await call(echo, '/v2/models/echo/infer', { inputs: [{ name: 'b', shape: [1], datatype: 'BOOL', data: [true] }] });
    assert.deepEqual([missing.status, missing.body.error], [400, 'Missing input "s" for model echo (inputs: b, s, i32, i64, f64)']);
    const notJson = await call(iris, '/v2/models/iris/infer', 'inputs=1');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error, /^Unrecognized request format: /);
  });

  test('404 for an unknown model and for unknown routes', async () => {
    const r = await call(iris, '/v2/models/flowers/infer', { inputs: [] });
    assert.deepEqual([r.status, r.body], [404, { error: 'Model with name flowers does not exist.' }]);
    assert.equal((await call(iris, '/v2/models/flowers')).status, 404);
    assert.deepEqual((await call(iris, '/v3/anything')).body, { detail: 'Not Found' });
  });
});

test('a model that cannot load leaves the server answering 503 in KServe wording', async () => {
  const dir = join(tmp, 'broken');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.onnx'), 'not a protobuf');
  const server = await startModelServer({ modelDir: dir, name: 'broken', port: 0, log: () => {} });
  await assert.rejects(server.ready, (err: any) => err.code === 'SY_ERR_MODEL_LOAD');
  const predict = await call(server, '/v1/models/broken:predict', { instances: [[1, 2, 3, 4]] });
  assert.equal(predict.status, 503);
  assert.match(predict.body.error, /^Model with name broken is not ready\. .*model\.onnx/);
  assert.equal((await call(server, '/v1/models/broken')).status, 503);
  assert.equal((await call(server, '/v2/models/broken/ready')).status, 503);
  assert.equal((await call(server, '/v2/models/broken/infer', { inputs: [] })).status, 503);
  assert.deepEqual(await call(server, '/v2/health/ready').then((r) => [r.status, r.body]), [503, { error: 'Server is not ready.' }]);
  assert.deepEqual((await call(server, '/v2/health/live')).body, { live: true });
  await server.close();
});

test('413 when the body exceeds the limit', async () => {
  const small = await startModelServer({ modelDir: IRIS, name: 'iris', port: 0, maxBodyBytes: 1024, log: () => {} });
  await small.ready;
  const r = await call(small, '/v1/models/iris:predict', { instances: rows });
  await small.close();
  assert.deepEqual([r.status, r.body], [413, { error: 'the request body exceeds the limit of 1024 bytes' }]);
});

test('a chunked body that outgrows the limit is answered 413 at once, the rest unread, the connection closed', async () => {
  const small = await startModelServer({ modelDir: IRIS, name: 'iris', port: 0, maxBodyBytes: 1024, log: () => {} });
  await small.ready;
  const socket = connect(small.port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('POST /v1/models/iris:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  socket.write(`800\r\n${'1'.repeat(0x800)}\r\n`); // 2 KiB, and the body never ends
  const ended = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
  socket.destroy();
  await small.close();
  assert.ok(ended, `the server closed the connection (answer so far: ${JSON.stringify(answer)})`);
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /\r\nconnection: close\r\n/i);
});

test('one access-log line per request: time, request id, method, path, status, latency', async () => {
  logLines.length = 0;
  await call(iris, '/v1/models/iris:predict?verbose=1', { instances: [rows[0]] }, { 'x-request-id': 'log-me' });
  await call(iris, '/v1/models/nope');
  assert.equal(logLines.length, 2);
  assert.match(logLines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z log-me POST \/v1\/models\/iris:predict 200 \d+\.\d\dms$/);
  assert.match(logLines[1]!, /^\S+ [0-9a-f-]{36} GET \/v1\/models\/nope 404 \d+\.\d\dms$/);
});

test('successful kubelet-style probes stay out of the access log; failed ones and other clients do not', async () => {
  logLines.length = 0;
  await call(iris, '/v2/health/ready', undefined, { 'user-agent': 'kube-probe/switchyard' });
  await call(iris, '/v2/health/ready');
  await call(iris, '/v2/models/nope/ready', undefined, { 'user-agent': 'kube-probe/switchyard' });
  assert.equal(logLines.length, 2);
  assert.match(logLines[0]!, / GET \/v2\/health\/ready 200 /);
  assert.match(logLines[1]!, / GET \/v2\/models\/nope\/ready 404 /);
});
