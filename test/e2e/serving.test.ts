// An InferenceService applied with real kubectl runs as local pods: Ready,
// a prediction on the pod's port, logs, describe, a killed replica restarts,
// an unsupported format says why, a storageUri scheme nothing fetches is refused
// at apply, stale pods go on restart, delete removes pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { KUBECTL_VERSIONS, ROOT, kubectl, removeDir, startUp, until, type Up } from './harness.ts';

const K = KUBECTL_VERSIONS.includes('1.33') ? '1.33' : KUBECTL_VERSIONS[0]!;
const LABEL = 'serving.kserve.io/inferenceservice=iris';

const isvcYaml = (name: string, format: string, storageUri = 'pvc://models/iris-v1/') => `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: ${name}, namespace: default}
spec:
  predictor:
    model:
      modelFormat: {name: ${format}}
      storageUri: ${storageUri}
`;

interface PodJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: { ports: { containerPort: number }[] }[] };
  status: { phase: string; containerStatuses: { ready: boolean; restartCount: number }[] };
}

async function ok(up: Up, args: string[], input?: string, version = K): Promise<string> {
  const r = await kubectl(version, up, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}\n${up.output()}`);
  return r.stdout;
}

async function pods(up: Up): Promise<PodJson[]> {
  return (JSON.parse(await ok(up, ['get', 'pods', '-l', LABEL, '-o', 'json'])) as { items: PodJson[] }).items;
}

async function predict(port: number): Promise<{ status: number; body: { predictions?: unknown[] } }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/iris:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2]] }) });
  return { status: res.status, body: (await res.json()) as { predictions?: unknown[] } };
}

const portOf = (p: PodJson) => p.spec.containers[0]!.ports[0]!.containerPort;

test('an InferenceService applied with kubectl serves from a local pod', { timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-serving-'));
  mkdirSync(join(dataDir, 'volumes', 'models', 'iris-v1'), { recursive: true });
  copyFileSync(join(ROOT, 'examples', 'models', 'iris-v1', 'model.onnx'), join(dataDir, 'volumes', 'models', 'iris-v1', 'model.onnx'));
  let up = await startUp([], dataDir);
  try {
    const runtimes = await ok(up, ['get', 'clusterservingruntimes']);
    assert.match(runtimes, /switchyard-onnx\s+false\s+onnx/);

    assert.match(await ok(up, ['apply', '-f', '-'], isvcYaml('iris', 'onnx')), /inferenceservice.serving.kserve.io\/iris created/);
    await ok(up, ['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s']);
    const isvc = JSON.parse(await ok(up, ['get', 'isvc', 'iris', '-o', 'json'])) as { status: { url: string; components: { predictor: Record<string, unknown> } } };
    assert.equal(isvc.status.url, 'http://iris.default.example.com');
    assert.equal(isvc.status.components.predictor.latestReadyRevision, 'iris-predictor-00001');

    for (const v of KUBECTL_VERSIONS) {
      const table = await ok(up, ['get', 'pods', '-l', LABEL], undefined, v);
      assert.match(table, /iris-predictor-00001-deployment-[a-z0-9]{10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0/, `kubectl ${v}:\n${table}`);
    }
    const [pod] = await pods(up);
    assert.ok(pod);
    const first = await predict(portOf(pod));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.predictions?.length, 2);

    // Readiness probes also write access-log lines (every 500 ms): predict again right before reading the tail.
    const logs = await until('the predict line in the last 5 log lines', async () => {
      await predict(portOf(pod));
      const out = await ok(up, ['logs', pod.metadata.name, '--tail', '5']);
      return /POST \/v1\/models\/iris:predict 200/.test(out) ? out : undefined;
    });
    assert.ok(logs.trim().split('\n').length <= 5);
    assert.match(await ok(up, ['logs', '-l', LABEL]), /POST \/v1\/models\/iris:predict 200/);
    for (const v of KUBECTL_VERSIONS) {
      const described = await ok(up, ['describe', 'pod', pod.metadata.name], undefined, v);
      assert.match(described, /serving.knative.dev\/revision=iris-predictor-00001/);
      for (const reason of ['Scheduled', 'Pulled', 'Started', 'Ready']) assert.match(described, new RegExp(`Normal\\s+${reason}\\s`), `kubectl ${v} describe lacks ${reason}:\n${described}`);
    }
    assert.match(await ok(up, ['get', 'events']), /pod\/iris-predictor-00001-deployment-\S+/);

    // A killed replica restarts on the same port and serves again.
    const pid = Number(pod.metadata.annotations?.['switchyard.dev/pid']);
    assert.ok(pid > 0, 'the pod carries its process id');
    process.kill(pid, 'SIGKILL');
    const restarted = await until('the replica to restart and be ready', async () => {
      const [p] = await pods(up);
      const cs = p?.status.containerStatuses[0];
      return p && cs && cs.restartCount === 1 && cs.ready ? p : undefined;
    });
    assert.equal(restarted.metadata.name, pod.metadata.name);
    assert.equal((await predict(portOf(restarted))).status, 200);
    assert.notEqual(Number(restarted.metadata.annotations?.['switchyard.dev/pid']), pid);

    // A format no runtime supports.
    await ok(up, ['apply', '-f', '-'], isvcYaml('boosted', 'pmml'));
    await ok(up, ['wait', '--for=condition=Ready=False', 'isvc/boosted', '--timeout=30s']);
    const message = await ok(up, ['get', 'isvc', 'boosted', '-o', `jsonpath={.status.conditions[?(@.type=="PredictorReady")].reason}: {.status.conditions[?(@.type=="PredictorReady")].message}`]);
    assert.match(message, /^NoSupportingRuntime: No ServingRuntime supports the model format "pmml".*switchyard-onnx \(ClusterServingRuntime: onnx\/1/);
    assert.match(await ok(up, ['get', 'pods', '-l', 'serving.kserve.io/inferenceservice=boosted']), /^$/);

    // A storageUri scheme nothing fetches is refused at apply; one only KServe fetches is
    // accepted and fails on the InferenceService, saying what switchyard up fetches.
    const typo = await kubectl(K, up, ['apply', '-f', '-'], { input: isvcYaml('typo', 'onnx', 's4://models/iris-v1/') });
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /The InferenceService "typo" is invalid: spec.predictor.model.storageUri: Unsupported value: "s4:\/\/models\/iris-v1\/": scheme s4:\/\/ is not a storage scheme; supported schemes: file:\/\/, pvc:\/\//);
    await ok(up, ['apply', '-f', '-'], isvcYaml('hadoop', 'onnx', 'hdfs://namenode:8020/models/iris'));
    const hdfs = await until('hadoop to fail its model load', async () => {
      const m = await ok(up, ['get', 'isvc', 'hadoop', '-o', `jsonpath={.status.conditions[?(@.type=="PredictorReady")].reason}: {.status.conditions[?(@.type=="PredictorReady")].message}`]);
      return m.startsWith('ModelLoadFailed') ? m : undefined;
    });
    assert.match(hdfs, /scheme hdfs:\/\/ is not supported; supported schemes: file:\/\//);
    await ok(up, ['delete', 'isvc', 'hadoop']);

    // Restart after a crash of `up`: the stale pod goes, a fresh replica serves.
    const orphan = Number((await pods(up))[0]!.metadata.annotations?.['switchyard.dev/pid']);
    up.proc.kill('SIGKILL');
    await up.stop();
    const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    assert.ok(alive(orphan), 'SIGKILL of the server leaves its replica running');
    up = await startUp([], dataDir);
    await until('the orphaned replica to be killed', async () => (alive(orphan) ? undefined : true));
    await ok(up, ['wait', '--for=condition=Ready', 'isvc/iris', '--timeout=60s']);
    const fresh = await until('one ready pod after restart', async () => {
      const list = await pods(up);
      return list.length === 1 && list[0]!.status.containerStatuses[0]?.ready ? list[0] : undefined;
    });
    assert.notEqual(fresh.metadata.name, pod.metadata.name);
    assert.equal((await predict(portOf(fresh))).status, 200);
    const isvcAfter = JSON.parse(await ok(up, ['get', 'isvc', 'iris', '-o', 'json'])) as { status: { components: { predictor: Record<string, unknown> } } };
    assert.equal(isvcAfter.status.components.predictor.latestReadyRevision, 'iris-predictor-00001', 'a restart is not a new revision');

    // Delete: the replicas stop and the pods go.
    await ok(up, ['delete', 'isvc', 'iris']);
    await until('the pods to be deleted', async () => ((await pods(up)).length === 0 ? true : undefined));
    await assert.rejects(predict(portOf(fresh)));
  } finally {
    await up.stop();
    removeDir(dataDir);
  }
});
