// Transformer → predictor chaining and an explainer behind :explain, with
// the example processes in examples/transformer/, through the gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { ROOT, kubectl, removeDir, startUp } from './harness.ts';

test('transformer in front, explainer behind :explain, both rolled out with the predictor', { timeout: 120_000 }, async () => {
  const up = await startUp();
  const k = async (args: string[], input?: string) => {
    const r = await kubectl('1.33', up, args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const call = async (path: string, body: unknown) => {
    const res = await request(`${up.gatewayUrl}${path}`, { method: 'POST', headers: { host: 'iris-pipeline.default.example.com' }, body: JSON.stringify(body) });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  try {
    const manifest = readFileSync(join(ROOT, 'examples/transformer/isvc.yaml'), 'utf8');
    await k(['apply', '-f', '-'], manifest);
    await k(['wait', '--for=condition=Ready', 'isvc/iris-pipeline', '--timeout=60s']);
    const pods = await k(['get', 'pods', '-l', 'serving.kserve.io/inferenceservice=iris-pipeline', '-o', 'jsonpath={.items[*].metadata.labels.component}']);
    assert.deepEqual(pods.split(' ').sort(), ['explainer', 'predictor', 'transformer']);

    const named = { instances: [{ sepal_length: 6.8, sepal_width: 2.8, petal_length: 4.8, petal_width: 1.4 }, { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] };
    const predicted = await call('/v1/models/iris-pipeline:predict', named);
    assert.equal(predicted.status, 200);
    assert.deepEqual(predicted.body, { predictions: ['versicolor', 'setosa'] });

    const explained = await call('/v1/models/iris-pipeline:explain', { instances: [[6.8, 2.8, 4.8, 1.4]] });
    assert.equal(explained.status, 200);
    const [e] = explained.body.explanations as { prediction: number; importance: Record<string, number> }[];
    assert.equal(e!.prediction, 1);
    assert.deepEqual(Object.keys(e!.importance), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);

    // Change predictor and transformer together: they roll out as one revision set.
    const v2 = manifest.replace('pvc://models/iris-v1/', 'pvc://models/const-virginica/').replace('command: [node, examples/transformer/iris-transformer.mjs]', 'command: [node, examples/transformer/iris-transformer.mjs]\n      args: ["--unused", "v2"]');
    await k(['apply', '-f', '-'], v2);
    const end = Date.now() + 60_000;
    let status: { predictor: { latestReadyRevision?: string }; transformer: { latestReadyRevision?: string } } | undefined;
    for (;;) {
      status = JSON.parse(await k(['get', 'isvc', 'iris-pipeline', '-o', 'jsonpath={.status.components}']));
      const p = status!.predictor.latestReadyRevision;
      const t = status!.transformer.latestReadyRevision;
      // Never one new component with the other old: the set moves together.
      assert.equal(p === 'iris-pipeline-predictor-00002', t === 'iris-pipeline-transformer-00002', `predictor ${p} with transformer ${t}`);
      if (p === 'iris-pipeline-predictor-00002') break;
      assert.ok(Date.now() < end, 'the revision set never became ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual((await call('/v1/models/iris-pipeline:predict', named)).body, { predictions: ['virginica', 'virginica'] });
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
