// `kubectl get pods` STATUS and RESTARTS as kubectl prints them, for the pods
// the supervisor publishes: a storage-initializer that keeps failing, a
// crash-looping container, a running pod, one being deleted.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { podCells } from '../../src/api/pod-printer.ts';
import { podObject, type ReplicaSnapshot } from '../../src/runtime/supervisor/pod-view.ts';

const t = '2026-01-01T00:00:00Z';
const base: ReplicaSnapshot = {
  podName: 'm-predictor-00001-deployment-abc-0', namespace: 'ml', uid: 'u', labels: {}, createdAt: t, nodeName: 'n', command: ['x'], port: 4000,
  hasInit: true, initDone: true, running: true, ready: true, readySince: t, startedAt: t, restartCount: 0,
};
const cells = (over: Partial<ReplicaSnapshot>) => podCells(podObject({ ...base, ...over }) as unknown as Record<string, unknown>);

test('a storage-initializer that keeps failing reads Init:CrashLoopBackOff and counts its restarts', () => {
  assert.deepEqual(cells({ initDone: false, running: false, ready: false, startedAt: undefined, initError: 'could not reach http://127.0.0.1:9', initRestartCount: 4 }), { status: 'Init:CrashLoopBackOff', restarts: 4 });
});

test('while the storage-initializer runs the pod is Init:0/1', () => {
  assert.deepEqual(cells({ initDone: false, running: false, ready: false, startedAt: undefined }), { status: 'Init:0/1', restarts: 0 });
});

test('after initialization the container decides: CrashLoopBackOff with its restarts, or Running', () => {
  const crash = cells({ running: false, ready: false, restartCount: 3, initRestartCount: 2, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 4s' }, lastTermination: { exitCode: 1, reason: 'Error', startedAt: t, finishedAt: t } });
  assert.deepEqual(crash, { status: 'CrashLoopBackOff', restarts: 3 }, 'init restarts no longer count, as in kubectl');
  assert.deepEqual(cells({}), { status: 'Running', restarts: 0 });
});

test('a pod marked for deletion is Terminating whatever its containers say', () => {
  assert.equal(cells({ deletionTimestamp: t, deletionGracePeriodSeconds: 30 }).status, 'Terminating');
});
