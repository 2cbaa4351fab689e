// Dynamic batching must be invisible to clients: concurrent requests answered
// from one coalesced run get exactly the rows an unbatched server gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../src/runtime/modelserver/index.ts';

const root = join(import.meta.dirname, '../..');
const rows = readFileSync(join(root, 'examples/data/iris.csv'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',').slice(0, 4).map(Number));

async function post(server: ModelServer, path: string, body: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return res.json();
}

/** 150 single-row V1 requests, some multi-row ones (one larger than a batch) and V2 requests, all at once. */
function workload(server: ModelServer): Promise<any[]> {
  const requests: Array<Promise<any>> = rows.map((r) => post(server, '/v1/models/iris:predict', { instances: [r] }));
  for (let i = 0; i < 150; i += 30) requests.push(post(server, '/v1/models/iris:predict', { instances: rows.slice(i, i + 7) }));
  requests.push(post(server, '/v1/models/iris:predict', { instances: rows.slice(0, 40) }));
  for (let i = 0; i < 150; i += 10) {
    requests.push(post(server, '/v2/models/iris/infer', { id: `r${i}`, inputs: [{ name: 'input', shape: [3, 4], datatype: 'FP64', data: rows.slice(i, i + 3) }] }));
  }
  return Promise.all(requests);
}

function assertSameAnswers(batched: any[], plain: any[]): void {
  assert.equal(batched.length, plain.length);
  batched.forEach((b, i) => {
    const p = plain[i];
    if (p.predictions) return assert.deepEqual(b.predictions, p.predictions, `request ${i}`);
    assert.equal(b.id, p.id);
    assert.deepEqual(b.outputs[0], p.outputs[0]);
    const [bp, pp] = [b.outputs[1], p.outputs[1]];
    assert.deepEqual(bp.shape, pp.shape);
    // A batched GEMM may round the last bit differently from a one-row GEMM.
    bp.data.forEach((v: number, j: number) => assert.ok(Math.abs(v - pp.data[j]) < 1e-6, `request ${i} element ${j}`));
  });
}

for (const batching of [{ maxBatchSize: 16, maxDelayMs: 0 }, { maxBatchSize: 32, maxDelayMs: 3 }]) {
  test(`concurrent requests batched (${JSON.stringify(batching)}) get the same answers as unbatched`, async () => {
    const plain = await startModelServer({ modelDir: join(root, 'examples/models/iris-v1'), name: 'iris', port: 0, batching: false, log: () => {} });
    const batched = await startModelServer({ modelDir: join(root, 'examples/models/iris-v1'), name: 'iris', port: 0, batching, log: () => {} });
    await Promise.all([plain.ready, batched.ready]);
    try {
      const expected = await workload(plain);
      const got = await workload(batched);
      assertSameAnswers(got, expected);
      // Sanity: the answers are real predictions, not empty agreement.
      assert.deepEqual([expected[0].predictions, expected[100].predictions], [[0], [2]]);
    } finally {
      await Promise.all([plain.close(), batched.close()]);
    }
  });
}
