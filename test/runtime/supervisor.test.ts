// Supervisor lifecycle with real child processes on loopback ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supervisor, type SupervisorOptions } from '../../src/runtime/supervisor/index.ts';
import type { KubeObject } from '../../src/store/types.ts';
import { conditionOf, containerStatus, fixtureCommand, get, pidGone, RecordingSink, tempDir, waitFor } from './supervisor-helpers.ts';

function setup(opts: Partial<SupervisorOptions> = {}) {
  const sink = new RecordingSink();
  const sup = new Supervisor({ publish: sink, probe: { periodMs: 50, timeoutMs: 500, failureThreshold: 1 }, backoff: { initialMs: 100, maxMs: 2000 }, graceMs: 2000, ...opts });
  const dir = tempDir();
  const base = { namespace: 'default', isvc: 'iris', component: 'predictor' as const, revision: 'iris-predictor-00001', readinessPath: '/v2/health/ready', logDir: join(dir, 'logs'), command: fixtureCommand() };
  return { sink, sup, dir, base };
}

test('replicas become ready, serve on their ports and appear as KServe-labelled pods', async (t) => {
  const { sink, sup, base } = setup();
  t.after(() => sup.stopAll());
  sup.ensure({ ...base, replicas: 2 });
  const eps = await waitFor('2 ready endpoints', () => sup.endpoints(`default/${base.revision}`).length === 2 && sup.endpoints(`default/${base.revision}`));
  assert.notEqual(eps[0]!.port, eps[1]!.port);
  for (const ep of eps) {
    assert.match(ep.podName, /^iris-predictor-00001-deployment-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const res = await get(ep.port, '/v1/models/iris');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).name, 'iris');
    const pod = sink.pods.get(ep.podName)!;
    assert.deepEqual(pod.metadata.labels, {
      app: 'iris-predictor-00001',
      component: 'predictor',
      'serving.kserve.io/inferenceservice': 'iris',
      'serving.knative.dev/configuration': 'iris-predictor',
      'serving.knative.dev/revision': 'iris-predictor-00001',
      'serving.knative.dev/service': 'iris-predictor',
    });
    assert.equal((pod.status as { phase: string }).phase, 'Running');
    assert.equal(conditionOf(pod, 'Ready'), 'True');
    assert.equal(conditionOf(pod, 'ContainersReady'), 'True');
    const cs = containerStatus(pod);
    assert.equal(cs.ready, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state.running?.startedAt);
    const container = (pod.spec as { containers: { name: string; ports: { containerPort: number }[]; args: string[] }[] }).containers[0]!;
    assert.equal(container.name, 'kserve-container');
    assert.equal(container.ports[0]!.containerPort, ep.port);
    assert.ok(container.args.includes(String(ep.port)), 'the {{.Port}} placeholder is substituted');
    assert.deepEqual(['Scheduled', 'Started', 'Ready'].filter((r) => sink.eventsFor(ep.podName, r).length === 1), ['Scheduled', 'Started', 'Ready']);
  }
});

test('stop() terminates the children, SIGKILL after the grace period, and deletes the pods', async () => {
  const { sink, sup, base } = setup({ graceMs: 300 });
  sup.ensure({ ...base, replicas: 1 });
  sup.ensure({ ...base, revision: 'iris-predictor-00002', replicas: 1, env: { IGNORE_SIGTERM: '1' } });
  const polite = await waitFor('ready', () => sup.endpoints(`default/${base.revision}`)[0]);
  const stubborn = await waitFor('ready', () => sup.endpoints('default/iris-predictor-00002')[0]);
  const pids = [sup.pid(polite.podName)!, sup.pid(stubborn.podName)!];
  assert.ok(pids.every((p) => p > 0 && !pidGone(p)));
  const t0 = Date.now();
  await sup.stopAll();
  const took = Date.now() - t0;
  assert.ok(took >= 300, `the stubborn child got its grace period (${took} ms)`);
  assert.ok(took < 2000, `then SIGKILL (${took} ms)`);
  assert.ok(pids.every(pidGone), 'no child survives stop()');
  assert.deepEqual(sink.deleted.sort(), [`default/${polite.podName}`, `default/${stubborn.podName}`].sort());
  assert.equal(sink.eventsFor(polite.podName, 'Killing').length, 1);
  assert.deepEqual(sup.endpoints(`default/${base.revision}`), []);
});

test('a SIGKILLed replica restarts with restartCount+1 while the other keeps serving', async (t) => {
  const { sink, sup, base } = setup({ backoff: { initialMs: 300, maxMs: 2000 } });
  t.after(() => sup.stopAll());
  sup.ensure({ ...base, replicas: 2 });
  const [victim, survivor] = await waitFor('2 ready', () => sup.endpoints(`default/${base.revision}`).length === 2 && sup.endpoints(`default/${base.revision}`));
  const oldPid = sup.pid(victim!.podName)!;

  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const traffic = (async () => {
    while (!stop) {
      try {
        const res = await get(survivor!.port, '/v1/models/iris');
        if (res.status === 200) ok++;
        else failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  })();
  const seenWithoutVictim: boolean[] = [];
  const unsubscribe = sup.onChange(() => seenWithoutVictim.push(!sup.endpoints(`default/${base.revision}`).some((e) => e.podName === victim!.podName)));

  process.kill(oldPid, 'SIGKILL');
  await waitFor('victim back and ready', () => sup.endpoints(`default/${base.revision}`).length === 2 && sup.pid(victim!.podName) !== oldPid, 10_000);
  stop = true;
  await traffic;
  unsubscribe();

  assert.deepEqual(failures, [], 'every request to the survivor succeeded');
  assert.ok(ok > 5, `traffic flowed during the restart (${ok} requests)`);
  assert.ok(seenWithoutVictim.includes(true), 'the victim left the endpoints while down');
  assert.ok(pidGone(oldPid));
  const cs = containerStatus(sink.pods.get(victim!.podName)!);
  assert.equal(cs.restartCount, 1);
  assert.equal(cs.ready, true);
  assert.equal(cs.lastState.terminated?.exitCode, 137);
  assert.equal(cs.lastState.terminated?.signal, undefined, 'signal is folded into message, as the kubelet shows it');
  assert.equal(containerStatus(sink.pods.get(survivor!.podName)!).restartCount, 0);
  assert.equal(sink.eventsFor(victim!.podName, 'BackOff').length, 1);
  // The port survives the restart, as a pod keeps its IP.
  assert.equal(sup.endpoints(`default/${base.revision}`).find((e) => e.podName === victim!.podName)?.port, victim!.port);
});

test('a command that exits at once goes into CrashLoopBackOff with doubling delays', async (t) => {
  const { sink, sup, base } = setup({ backoff: { initialMs: 100, maxMs: 400 } });
  t.after(() => sup.stopAll());
  sup.ensure({ ...base, replicas: 1, env: { EXIT_CODE: '3' } });
  const pod = await waitFor('a pod', () => [...sink.pods.keys()][0]);
  await waitFor('5 starts', () => sink.eventsFor(pod, 'Started').at(-1)?.count === 5, 15_000);

  const waits = sink.history.filter((h) => h.pod.metadata.name === pod && containerStatus(h.pod).state.waiting?.reason === 'CrashLoopBackOff');
  const messages = [0, 1, 2, 3].map((n) => String(containerStatus(waits.find((w) => containerStatus(w.pod).restartCount === n)!.pod).state.waiting!.message));
  assert.deepEqual(messages.map((m) => m.match(/^back-off (\S+) restarting failed container=kserve-container pod=/)?.[1]), ['0.1s', '0.2s', '0.4s', '0.4s']);
  // Each wait really lasted its delay: from entering back-off to the next start.
  const running = sink.history.filter((h) => h.pod.metadata.name === pod && containerStatus(h.pod).started);
  const delays = [100, 200, 400];
  delays.forEach((delay, i) => {
    const entered = waits.find((w) => containerStatus(w.pod).restartCount === i)!.at;
    const next = running.find((r) => containerStatus(r.pod).restartCount === i + 1)!.at;
    assert.ok(next - entered >= delay - 5, `restart ${i + 1} waited ${next - entered} ms >= ${delay}`);
  });
  const last = sink.pods.get(pod)!;
  assert.ok(containerStatus(last).restartCount >= 4);
  assert.equal(containerStatus(last).lastState.terminated?.exitCode ?? containerStatus(last).state.terminated?.exitCode, 3);
  assert.equal(sink.eventsFor(pod, 'BackOff').at(-1)?.type, 'Warning');
  assert.ok(Number(sink.eventsFor(pod, 'BackOff').at(-1)?.count) >= 4, 'repeated BackOff events aggregate into one count');
  assert.deepEqual(sup.endpoints(`default/${base.revision}`), []);
});

test('a replica whose readiness fails is running but not an endpoint, and follows the probe', async (t) => {
  const { sink, sup, base, dir } = setup();
  t.after(() => sup.stopAll());
  const flag = join(dir, 'not-ready');
  writeFileSync(flag, '');
  sup.ensure({ ...base, replicas: 1, env: { NOT_READY_FILE: flag } });
  const pod = await waitFor('a pod', () => [...sink.pods.keys()][0]);
  const says503 = (e: KubeObject) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 503';
  await waitFor('3 probes answered 503', () => Number(sink.eventsFor(pod, 'Unhealthy').filter(says503).at(-1)?.count ?? 0) >= 3);
  assert.deepEqual(sup.endpoints(`default/${base.revision}`), []);
  let view = sink.pods.get(pod)!;
  assert.equal(containerStatus(view).started, true);
  assert.equal(containerStatus(view).ready, false);
  assert.equal(conditionOf(view, 'Ready'), 'False');
  assert.ok(sup.pid(pod));

  const notices: number[] = [];
  sup.onChange(() => notices.push(sup.endpoints(`default/${base.revision}`).length));
  rmSync(flag);
  await waitFor('ready', () => sup.endpoints(`default/${base.revision}`).length === 1);
  writeFileSync(flag, '');
  await waitFor('not ready again', () => sup.endpoints(`default/${base.revision}`).length === 0);
  view = sink.pods.get(pod)!;
  assert.equal(conditionOf(view, 'Ready'), 'False');
  assert.equal(containerStatus(view).restartCount, 0, 'readiness failures do not restart the container');
  assert.deepEqual(notices, [1, 0], 'change listeners saw it become ready, then not');
});
