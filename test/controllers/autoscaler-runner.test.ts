// The local autoscaler's keep-warm rule: a revision past its keep-warm time
// with no traffic (coldAllowed) has a minimum of zero, so idle it scales to
// zero as Knative scales unrouted revisions; otherwise minReplicas holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAutoscaler } from '../../src/controllers/autoscaler/index.ts';
import { reconcile, type RevisionTemplate } from '../../src/controllers/isvc/index.ts';

const template = (revision: string, minReplicas = 1): RevisionTemplate => ({
  namespace: 'ml', isvc: 'iris', component: 'predictor', revision, runtime: { kind: 'ClusterServingRuntime', name: 'switchyard-onnx' },
  modelName: 'iris', protocolVersion: 'v1', command: ['x'], env: {}, readinessPath: '/', scaling: { minReplicas },
});

/** Runs `seconds` one-second ticks of simulated time with no traffic; returns the desired counts then. */
async function idleFor(seconds: number, cold: Record<string, boolean>, o: { minReplicas?: number; annotations?: Record<string, string> } = {}): Promise<Record<string, number>> {
  const t = (rev: string) => template(rev, o.minReplicas);
  const annotations = o.annotations ?? {};
  let now = 0;
  const changed: string[] = [];
  const scaler = new LocalAutoscaler({ inflight: () => 0, ready: () => 1, buffered: () => 0, onChange: (r) => changed.push(r), now: () => now, tickMs: 1 });
  for (const rev of Object.keys(cold)) scaler.desired(t(rev), annotations, cold[rev]);
  scaler.start();
  try {
    // Each tick advances the clock one second (ticks, not wall time, drive the decisions).
    for (let s = 0; s < seconds; s++) {
      now += 1000;
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    scaler.stop();
  }
  return Object.fromEntries(Object.keys(cold).map((rev) => [rev, scaler.desired(t(rev), annotations, cold[rev])]));
}

test('a revision past its keep-warm time with no traffic scales to zero when idle; a warm one keeps its minimum', async () => {
  const desired = await idleFor(150, { 'iris-predictor-00001': true, 'iris-predictor-00002': false });
  assert.deepEqual(desired, { 'iris-predictor-00001': 0, 'iris-predictor-00002': 1 });
});

test('a cold-allowed revision is not scaled down before the stable window has seen it idle', async () => {
  const desired = await idleFor(20, { 'iris-predictor-00001': true });
  assert.equal(desired['iris-predictor-00001'], 1);
});

test('status.deploymentMode says how the revisions run: Knative scales an idle minReplicas 0 revision to zero, Standard keeps one', async () => {
  for (const [annotation, mode, replicas] of [['Serverless', 'Knative', 0], ['RawDeployment', 'Standard', 1], ['Standard', 'Standard', 1]] as const) {
    const annotations = { 'serving.kserve.io/deploymentMode': annotation };
    const isvc = {
      apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'ml', generation: 1, annotations },
      spec: { predictor: { minReplicas: 0, model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris/' } } },
    };
    const { status } = reconcile({ isvc, runtimes: [], deployer: { observe: () => undefined, running: () => [] }, now: new Date() });
    assert.equal(status.deploymentMode, mode, annotation);
    const desired = await idleFor(150, { 'iris-predictor-00001': false }, { minReplicas: 0, annotations });
    assert.equal(desired['iris-predictor-00001'], replicas, `${annotation}: replicas after idling`);
  }
});

test('a revision at zero, or raised from zero and not ready yet, is cold-starting (the activator holds its requests); one that was ready and lost its replicas is not', async () => {
  let now = 0;
  let ready = 1;
  const scaler = new LocalAutoscaler({ inflight: () => 0, ready: () => ready, buffered: () => 0, onChange: () => {}, now: () => now, tickMs: 1 });
  const key = 'ml/iris-predictor-00002';
  const rev = template('iris-predictor-00002', 1);
  const ticks = async (seconds: number) => {
    for (let s = 0; s < seconds; s++) {
      now += 1000;
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  scaler.desired(rev, {}, true); // rolled back and past keep-warm: no route points at it
  scaler.start();
  try {
    assert.equal(scaler.coldStarting(key), false, 'running and ready');
    await ticks(150);
    assert.equal(scaler.desired(rev, {}, true), 0);
    ready = 0;
    assert.equal(scaler.coldStarting(key), true, 'at zero');
    scaler.desired(rev, {}, false); // a plan routes to it again: minReplicas 1 holds once more
    await ticks(2);
    assert.equal(scaler.desired(rev, {}, false), 1);
    assert.equal(scaler.coldStarting(key), true, 'raised from zero, loading');
    ready = 1;
    await ticks(2);
    assert.equal(scaler.coldStarting(key), false, 'ready');
    ready = 0; // its replica crashed: requests fail at once, as before
    await ticks(2);
    assert.equal(scaler.coldStarting(key), false);
  } finally {
    scaler.stop();
  }
});

test("a revision starting its first replica here (after a restart of switchyard up) is cold-starting until ready; in Standard mode, which has no activator, it is not", async () => {
  let now = 0;
  let ready = 0;
  const scaler = new LocalAutoscaler({ inflight: () => 0, ready: () => ready, buffered: () => 0, onChange: () => {}, now: () => now, tickMs: 1 });
  const knative = 'ml/iris-predictor-00003';
  const standard = 'ml/iris-predictor-00004';
  scaler.desired(template('iris-predictor-00003', 1), {});
  scaler.desired(template('iris-predictor-00004', 1), { 'serving.kserve.io/deploymentMode': 'RawDeployment' });
  scaler.start();
  try {
    assert.equal(scaler.coldStarting(knative), true, 'its replica is loading: requests wait for it');
    assert.equal(scaler.coldStarting(standard), false, 'Standard: no activator, requests fail until a replica is ready');
    ready = 1;
    now += 1000;
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(scaler.coldStarting(knative), false, 'ready');
    ready = 0; // then it crashed: not a start, requests fail at once
    now += 1000;
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(scaler.coldStarting(knative), false);
  } finally {
    scaler.stop();
  }
});
