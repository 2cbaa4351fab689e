// Outcome feedback in a cluster: applications post it to `switchyard sink`
// (the receiver of KServe's payload logger), with a bearer token from the
// sink's tokens file; events join the logged predictions by their ce-id, count
// once, and the controller reads each arm's outcomes back over HTTP. The CLI
// posts to the sink with --server and --token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSink, type RunningSink } from '../../src/server/sink.ts';
import { sinkReader } from '../../src/kube/sink-client.ts';
import { parseTokens } from '../../src/server/sink-tokens.ts';

const ROOT = join(import.meta.dirname, '../..');
let sink: RunningSink;
let closed: RunningSink;
let dir: string;
let tokens: string;
const started = Date.now();
const CANDIDATE_POD = 'iris-predictor-00002-deployment-7965bcc66-grdbq';
const BASELINE_POD = 'iris-predictor-00001-deployment-5d9f8c7b6-abcde';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-sink-fb-'));
  tokens = join(dir, 'tokens');
  writeFileSync(tokens, '# feedback writers\nshop-backend-7f3a\n\n');
  sink = await startSink({ dataDir: join(dir, 'a'), port: 0, listen: '127.0.0.1', feedbackTokensFile: tokens });
  closed = await startSink({ dataDir: join(dir, 'b'), port: 0, listen: '127.0.0.1' });
});
after(async () => {
  await Promise.all([sink.stop(), closed.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A request and its response, as KServe's agent logs one inference (binary-mode CloudEvents sharing ce-id). */
async function logged(id: string, pod: string, prediction: number): Promise<void> {
  for (const [kind, body] of [['request', { instances: [[1, 2, 3, 4]] }], ['response', { predictions: [prediction] }]] as const) {
    const res = await fetch(sink.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': `org.kubeflow.serving.inference.${kind}`,
        'ce-source': `http://localhost:9081/${pod}`, 'ce-inferenceservicename': 'iris', 'ce-namespace': 'prod', 'ce-component': 'predictor', 'ce-endpoint': '',
      },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 202);
  }
}

function feedback(to: RunningSink, events: unknown, token?: string): Promise<Response> {
  return fetch(`${to.url}/switchyard/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(events),
  });
}

test('the tokens file: one per line, comments and blank lines skipped', () => {
  assert.deepEqual(parseTokens('# a comment\n  t1  \n\nt2\n#t3\n'), ['t1', 't2']);
});

test('feedback joins the logged prediction by its ce-id, counts once, and the arm\'s outcomes read it back', async () => {
  await logged('order-1', CANDIDATE_POD, 1);
  await logged('order-2', CANDIDATE_POD, 1);
  await logged('order-3', BASELINE_POD, 0);
  // Request ids without a unit key are looked for among the namespace's newest rows: the event names its namespace.
  const res = await feedback(sink, [
    { requestId: 'order-1', namespace: 'prod', metric: 'purchase', value: 1, id: 'e1' },
    { requestId: 'order-3', namespace: 'prod', metric: 'purchase', value: 1, id: 'e3' },
    { requestId: 'no-such-request', namespace: 'prod', metric: 'purchase', value: 1, id: 'e9' },
  ], 'shop-backend-7f3a');
  assert.equal(res.status, 200);
  const answer = (await res.json()) as { accepted: number; unmatched: number; duplicates: number };
  assert.deepEqual([answer.accepted, answer.unmatched, answer.duplicates], [2, 1, 0]);
  const again = (await (await feedback(sink, { requestId: 'order-1', namespace: 'prod', metric: 'purchase', value: 1, id: 'e1' }, 'shop-backend-7f3a')).json()) as { duplicates: number };
  assert.equal(again.duplicates, 1, 'a retried event counts once');

  const outcomes = await sinkReader(sink.url).outcomes({
    namespace: 'prod', service: 'iris', baselineRevision: 'iris-predictor-00001', candidateRevision: 'iris-predictor-00002',
    metric: 'purchase', per: 'request', fromMs: started, toMs: Date.now() + 1000, attributionMs: 3_600_000,
  });
  assert.deepEqual([outcomes.candidate.exposed, outcomes.candidate.converted], [2, 1]);
  assert.deepEqual([outcomes.baseline.exposed, outcomes.baseline.converted], [1, 1]);

  const metrics = await (await fetch(`${sink.url}/metrics`)).text();
  assert.match(metrics, /switchyard_feedback_events_total\{listener="sink",status="accepted"\} 2/);
  assert.match(metrics, /switchyard_feedback_events_total\{listener="sink",status="duplicate"\} 1/);
});

test('without a token from the file, or on a sink started without one, nothing is stored: 401 naming why', async () => {
  const event = { requestId: 'order-2', namespace: 'prod', metric: 'purchase', value: 1, id: 'e2' };
  const none = await feedback(sink, event);
  assert.equal(none.status, 401);
  assert.match(((await none.json()) as { message: string }).message, /bearer token/);
  const wrong = await feedback(sink, event, 'guessed');
  assert.equal(wrong.status, 401);
  const off = await feedback(closed, event, 'shop-backend-7f3a');
  assert.equal(off.status, 401);
  assert.match(((await off.json()) as { message: string }).message, /--feedback-tokens-file/);
  const bad = await feedback(sink, { requestId: 'order-2', metric: 'purchase', value: 'yes' }, 'shop-backend-7f3a');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /value/);
  const metrics = await (await fetch(`${sink.url}/metrics`)).text();
  assert.match(metrics, /switchyard_feedback_refused_total\{listener="sink",reason="unauthorized"\} 2/);
});

test('a rotated tokens file applies without a restart: the old token is refused, the new one taken', async () => {
  writeFileSync(tokens, 'shop-backend-rotated-91c2\n');
  const event = { requestId: 'order-2', namespace: 'prod', metric: 'purchase', value: 1, id: 'e2' };
  assert.equal((await feedback(sink, event, 'shop-backend-7f3a')).status, 401);
  assert.equal((await feedback(sink, event, 'shop-backend-rotated-91c2')).status, 200);
});

test('switchyard feedback post --server SINK --token T posts to the sink', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(ROOT, 'bin/switchyard.js'), 'feedback', 'post', '--server', sink.url, '--token', 'shop-backend-rotated-91c2',
    '-n', 'prod', '--request-id', 'order-2', '--metric', 'refund', '--value', '1', '--id', 'cli-1',
  ], { cwd: dir, env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') } });
  assert.match(stdout, /accepted 1, duplicates 0, unmatched 0/);
});
