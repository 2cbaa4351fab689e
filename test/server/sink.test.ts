// `switchyard sink` over real HTTP: KServe's payload logger posts a request
// and a response CloudEvent per inference (binary mode, as its agent sends
// them); the controller's client (src/kube/sink-client.ts) reads the
// revision's outputs back for a window.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink, type RunningSink } from '../../src/server/sink.ts';
import { sinkReader } from '../../src/kube/sink-client.ts';

let sink: RunningSink;
let dir: string;
const started = Date.now();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-sink-'));
  sink = await startSink({ dataDir: dir, port: 0, listen: '127.0.0.1' });
});
after(async () => {
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One CloudEvent as KServe's agent posts it: ce-* headers, the payload as the body. */
function post(kind: 'request' | 'response', id: string, pod: string, body: unknown, extra: Record<string, string> = {}) {
  return fetch(sink.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': `org.kubeflow.serving.inference.${kind}`,
      'ce-source': `http://localhost:9081/${pod}`, 'ce-inferenceservicename': 'iris', 'ce-namespace': 'prod', 'ce-component': 'predictor', 'ce-endpoint': '', ...extra,
    },
    body: JSON.stringify(body),
  });
}

test('a revision\'s logged answers become its output window: labels counted per instance, one output per answer, attributed by the logging pod', async () => {
  const candidate = 'iris-predictor-00002-deployment-7965bcc66-grdbq';
  const baseline = 'iris-predictor-00001-deployment-5d9f8c7b6-abcde';
  for (let i = 0; i < 4; i++) {
    assert.equal((await post('request', `c${i}`, candidate, { instances: [[1, 2, 3, 4], [5, 6, 7, 8]] })).status, 202);
    assert.equal((await post('response', `c${i}`, candidate, { predictions: [1, i === 0 ? 2 : 1] })).status, 202);
  }
  await post('request', 'b0', baseline, { instances: [[1, 2, 3, 4]] });
  await post('response', 'b0', baseline, { predictions: [0] });
  const reader = sinkReader(sink.url);
  const window = { namespace: 'prod', service: 'iris', fromMs: started, toMs: Date.now() + 1000 };
  const c = await reader.outputs({ ...window, revision: 'iris-predictor-00002' });
  assert.equal(c.outputs, 4, 'one analysed output per answer');
  assert.equal(c.invalidOutputs, 0);
  assert.deepEqual(c.labels, { 1: 7, 2: 1 });
  const b = await reader.outputs({ ...window, revision: 'iris-predictor-00001' });
  assert.deepEqual([b.outputs, b.labels], [1, { 0: 1 }]);
  const none = await reader.outputs({ ...window, revision: 'iris-predictor-00003' });
  assert.equal(none.outputs, 0);
});

test('what is not a logger event is refused with the reason; an event of no revision is accepted but not counted', async () => {
  const bad = await post('request', 'x', 'iris-predictor-00002-deployment-1', {}, { 'ce-type': 'com.example.other' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /ce-type "com.example.other" is neither/);
  const missing = await fetch(sink.url, { method: 'POST', headers: { 'ce-type': 'org.kubeflow.serving.inference.response' }, body: '{}' });
  assert.equal(missing.status, 400);
  assert.match(((await missing.json()) as { message: string }).message, /missing ce-id, ce-inferenceservicename, ce-namespace/);
  assert.equal((await post('response', 'y', 'some-pod', { predictions: [1] })).status, 202);
  const metrics = await (await fetch(`${sink.url}/metrics`)).text();
  assert.match(metrics, /switchyard_sink_events_total\{type="response",outcome="unattributed"\} 1/);
  assert.match(metrics, /switchyard_sink_events_total\{type="unknown",outcome="refused"\} 2/);
});
