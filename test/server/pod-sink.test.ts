// Pods in the store as a real supervisor publishes them: a replica being
// stopped is a pod marked for deletion, which `kubectl get pods` (the
// server's Table) prints as Terminating until the process has exited.
import { test } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { findByResource } from '../../src/api/registry.ts';
import { toTable } from '../../src/api/table.ts';
import { Supervisor } from '../../src/runtime/supervisor/index.ts';
import { StorePodSink } from '../../src/server/local/pod-sink.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';
import { fixtureCommand, tempDir } from '../runtime/supervisor-helpers.ts';
import { until } from '../until.ts';

const PODS = { group: '', resource: 'pods' };
const ACTOR = { name: 'controller:isvc' };

/** The STATUS cell kubectl prints for each stored pod. */
async function statusColumn(store: Store): Promise<string[]> {
  const info = findByResource('', 'v1', 'pods')!;
  const table = toTable(info, (await store.list(PODS)).items, { now: new Date() });
  const at = table.columnDefinitions.findIndex((c) => c.name === 'Status');
  return table.rows.map((r) => String(r.cells[at]));
}

test('a stopping replica is Terminating in the store until its process exits, then its pod is gone', { timeout: 30_000 }, async () => {
  const store = await openSqliteStore({ path: ':memory:' });
  const sink = new StorePodSink(store, ACTOR);
  // A child that ignores SIGTERM keeps the pod terminating for the whole grace period.
  const sup = new Supervisor({ publish: sink, graceMs: 1500, probe: { periodMs: 50, timeoutMs: 500, failureThreshold: 3 } });
  try {
    sup.ensure({
      namespace: 'ml', isvc: 'iris', component: 'predictor', revision: 'iris-predictor-00001', replicas: 1,
      command: fixtureCommand(), env: { IGNORE_SIGTERM: '1' }, readinessPath: '/v2/health/ready', logDir: join(tempDir(), 'logs'),
    });
    await until('a ready pod in the store', async () => {
      const [pod] = (await store.list(PODS)).items;
      return (pod?.status as { phase?: string } | undefined)?.phase === 'Running' && sup.endpoints('ml/iris-predictor-00001').length === 1 ? pod : undefined;
    });
    assert.deepEqual(await statusColumn(store), ['Running']);

    const stopped = sup.stop('ml/iris-predictor-00001');
    const marked: KubeObject = await until('the pod marked for deletion', async () => {
      const [pod] = (await store.list(PODS)).items;
      return pod?.metadata.deletionTimestamp !== undefined ? pod : undefined;
    });
    assert.equal(marked.metadata.deletionGracePeriodSeconds, 2);
    assert.ok(Math.abs(Date.parse(marked.metadata.deletionTimestamp!) - Date.now()) < 5000);
    assert.deepEqual(await statusColumn(store), ['Terminating']);

    await stopped;
    await sink.drain();
    assert.deepEqual((await store.list(PODS)).items, []);
  } finally {
    await sup.stopAll();
    await sink.drain();
    await store.close();
  }
});
