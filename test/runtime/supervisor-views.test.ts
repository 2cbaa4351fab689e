// Pod/Event views, backoff arithmetic, the init hook and orphan cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  eventObject, nextBackoff, podLabels, podName, podObject, Supervisor, DEFAULT_BACKOFF, type ReplicaSnapshot,
} from '../../src/runtime/supervisor/index.ts';
import { conditionOf, containerStatus, fixtureCommand, pidGone, RecordingSink, tempDir, waitFor } from './supervisor-helpers.ts';

test('backoff doubles from 1 s to the 5 min cap and resets after 10 min of running', () => {
  const delays: number[] = [];
  let crashes = 0;
  for (let i = 0; i < 11; i++) {
    const step = nextBackoff(crashes, 50, DEFAULT_BACKOFF);
    crashes = step.crashes;
    delays.push(step.delayMs / 1000);
  }
  assert.deepEqual(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
  assert.deepEqual(nextBackoff(crashes, 600_000, DEFAULT_BACKOFF), { crashes: 1, delayMs: 1000 });
  assert.deepEqual(nextBackoff(crashes, 599_999, DEFAULT_BACKOFF).delayMs, 300_000);
});

test('pod names follow the Knative deployment pattern', () => {
  let i = 0;
  const seq = () => (i++ % 27) / 27;
  assert.equal(podName('iris-predictor-00001', seq), 'iris-predictor-00001-deployment-bcdfghjklm-npqrs');
  assert.equal(podLabels({ namespace: 'ns', isvc: 'x', component: 'transformer', revision: 'x-transformer-00002' }, { component: 'overridden' }).component, 'transformer');
});

const base: ReplicaSnapshot = {
  podName: 'iris-predictor-00001-deployment-bcdfghjklm-npqrs', namespace: 'default', uid: 'u-1', labels: { app: 'x' },
  createdAt: '2025-01-01T00:00:00.000Z', nodeName: 'host', command: ['node', 'server.js', '--port', '4000'], port: 4000,
  hasInit: false, initDone: false, running: false, ready: false, readySince: '2025-01-01T00:00:00.000Z', restartCount: 0,
};

test('a crash-looping replica reads as kubectl shows CrashLoopBackOff', () => {
  const pod = podObject({
    ...base, startedAt: '2025-01-01T00:00:01.000Z', restartCount: 4,
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 16s restarting failed container=kserve-container pod=p_default(u-1)' },
    lastTermination: { exitCode: 137, signal: 'SIGKILL', reason: 'Error', startedAt: '2025-01-01T00:00:05.000Z', finishedAt: '2025-01-01T00:00:06.000Z' },
  });
  const cs = containerStatus(pod);
  assert.equal((pod.status as { phase: string }).phase, 'Running');
  assert.equal(cs.state.waiting?.reason, 'CrashLoopBackOff');
  assert.deepEqual(cs.lastState.terminated, { exitCode: 137, reason: 'Error', message: 'killed by SIGKILL', startedAt: '2025-01-01T00:00:05.000Z', finishedAt: '2025-01-01T00:00:06.000Z' });
  assert.equal(cs.restartCount, 4);
  assert.equal(cs.ready, false);
  assert.equal(conditionOf(pod, 'Ready'), 'False');
  assert.equal(conditionOf(pod, 'PodScheduled'), 'True');
  const spec = pod.spec as { containers: { command: string[]; args: string[] }[]; nodeName: string };
  assert.deepEqual([spec.containers[0]!.command, spec.containers[0]!.args, spec.nodeName], [['node'], ['server.js', '--port', '4000'], 'host']);
});

test('a pod still initializing is Pending with an unfinished storage-initializer', () => {
  const pod = podObject({ ...base, hasInit: true });
  assert.equal((pod.status as { phase: string }).phase, 'Pending');
  assert.equal(conditionOf(pod, 'Initialized'), 'False');
  const init = (pod.status as { initContainerStatuses: { name: string; state: Record<string, unknown> }[] }).initContainerStatuses[0]!;
  assert.equal(init.name, 'storage-initializer');
  assert.ok('running' in init.state);
  assert.equal(containerStatus(pod).state.waiting?.reason, 'PodInitializing');
  const stopped = podObject({ ...base, stopped: true, startedAt: base.createdAt, lastTermination: { exitCode: 0, reason: 'Completed', startedAt: base.createdAt, finishedAt: base.createdAt } });
  assert.equal((stopped.status as { phase: string }).phase, 'Succeeded');
});

test('events have the Kubernetes shape', () => {
  const ev = eventObject({ involvedObject: { kind: 'Pod', name: 'p1', namespace: 'ns', uid: 'u' }, reason: 'Pulled', message: 'Model downloaded', time: '2025-01-01T00:00:00.000Z' });
  assert.match(ev.metadata.name, /^p1\.[0-9a-f]{16}$/);
  assert.equal(ev.metadata.namespace, 'ns');
  assert.deepEqual(ev.involvedObject, { apiVersion: 'v1', kind: 'Pod', name: 'p1', namespace: 'ns', uid: 'u' });
  assert.deepEqual([ev.type, ev.count, ev.firstTimestamp, ev.lastTimestamp], ['Normal', 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
  assert.equal((ev.source as { component: string }).component, 'switchyard-supervisor');
});

test('the init hook runs before the container, reports download events and is retried on failure', async (t) => {
  const sink = new RecordingSink();
  const sup = new Supervisor({ publish: sink, probe: { periodMs: 50 }, backoff: { initialMs: 100 } });
  t.after(() => sup.stopAll());
  let calls = 0;
  sup.ensure({
    namespace: 'default', isvc: 'iris', component: 'predictor', revision: 'iris-predictor-00001', replicas: 1,
    command: fixtureCommand(), readinessPath: '/v2/health/ready', logDir: join(tempDir(), 'logs'),
    init: async ({ event }) => {
      calls++;
      event('Downloading', 'Downloading model from pvc://models/iris');
      if (calls === 1) throw new Error('connection reset');
      event('Pulled', 'Model pvc://models/iris ready (sha256:abc)');
    },
  });
  const { podName: pod } = await waitFor('ready', () => sup.endpoints('default/iris-predictor-00001')[0]);
  assert.equal(calls, 2);
  assert.equal(sink.eventsFor(pod, 'Downloading').at(-1)!.count, 2, 'the second attempt counts on the same event');
  assert.equal(sink.eventsFor(pod, 'Failed')[0]!.type, 'Warning');
  assert.match(String(sink.eventsFor(pod, 'Failed')[0]!.message), /connection reset/);
  const order = sink.events.filter((e) => (e.involvedObject as { name: string }).name === pod).map((e) => e.reason);
  assert.ok(order.indexOf('Pulled') < order.indexOf('Started'), `download before start: ${order.join(',')}`);
  const view = sink.pods.get(pod)!;
  assert.equal(conditionOf(view, 'Initialized'), 'True');
  assert.equal(containerStatus(view).restartCount, 0, 'init retries are not container restarts');
  assert.equal((view.status as { initContainerStatuses: Array<{ restartCount: number }> }).initContainerStatuses[0]!.restartCount, 1, 'they are the storage-initializer\'s, as kubectl counts them');
  assert.ok(sink.history.some((h) => h.pod.metadata.name === pod && conditionOf(h.pod, 'Initialized') === 'False'));
});

test('no orphans: children die with the parent process', async () => {
  const parent = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/supervisor-parent.ts', import.meta.url)), tempDir()], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => parent.on('exit', resolve));
  assert.equal(code, 0);
  const pid = Number(out.trim());
  assert.ok(pid > 0, `the parent printed its child's pid (${out})`);
  await waitFor(`child ${pid} gone`, () => pidGone(pid), 3000);
});
