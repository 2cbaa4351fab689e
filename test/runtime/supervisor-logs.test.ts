// Container logs: written per pod, rotated by size, read back with tail and follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingLog, Supervisor } from '../../src/runtime/supervisor/index.ts';
import { isSwitchyardError } from '../../src/core/errors.ts';
import { fixtureCommand, get, RecordingSink, tempDir, waitFor } from './supervisor-helpers.ts';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of it) out.push(line);
  return out;
}

test('logs are written per pod, rotated at the size limit and readable in order with --tail', async (t) => {
  const sink = new RecordingSink();
  const sup = new Supervisor({ publish: sink, probe: { periodMs: 50 }, rotation: { maxBytes: 2000, maxFiles: 3 } });
  t.after(() => sup.stopAll());
  const logDir = join(tempDir(), 'logs');
  sup.ensure({
    namespace: 'default', isvc: 'iris', component: 'predictor', revision: 'iris-predictor-00001', replicas: 1,
    command: fixtureCommand(), env: { LOG_LINES: '200' }, readinessPath: '/v2/health/ready', logDir,
  });
  const { podName } = await waitFor('ready', () => sup.endpoints('default/iris-predictor-00001')[0]);
  const base = join(logDir, `${podName}.log`);
  let lines: string[] = [];
  for (let i = 0; i < 100 && !/listening/.test(lines.at(-1) ?? ''); i++) {
    lines = await collect(sup.readLog(podName));
    await new Promise((r) => setTimeout(r, 20));
  }

  assert.ok(existsSync(`${base}.1`) && existsSync(`${base}.2`), 'rotated files exist');
  assert.ok(!existsSync(`${base}.3`), 'only maxFiles are kept');
  for (const f of [base, `${base}.1`, `${base}.2`]) assert.ok(statSync(f).size <= 2000, `${f} within the limit`);

  // Oldest lines were rotated away; what is left is contiguous, whole and in order.
  assert.match(lines.at(-1)!, /^fixture iris pid \d+ listening on \d+$/);
  const numbers = lines.slice(0, -1).map((l) => {
    assert.match(l, /^line \d+ x{40}$/, 'no line is split across files');
    return Number(l.split(' ')[1]);
  });
  assert.ok(numbers[0]! > 0, 'the oldest lines are gone');
  assert.equal(numbers.at(-1), 199);
  numbers.forEach((n, i) => i > 0 && assert.equal(n, numbers[i - 1]! + 1));
  assert.ok(lines.length * 48 > 3000, 'more than one file is read');

  assert.deepEqual(await collect(sup.readLog(podName, { tailLines: 3 })), lines.slice(-3));
  assert.deepEqual(await collect(sup.readLog(podName, { tailLines: 0 })), []);
});

test('follow streams new lines until aborted, and ends when the pod stops', async () => {
  const sink = new RecordingSink();
  const sup = new Supervisor({ publish: sink, probe: { periodMs: 50 }, rotation: { maxBytes: 300, maxFiles: 2 } });
  const logDir = join(tempDir(), 'logs');
  sup.ensure({
    namespace: 'default', isvc: 'iris', component: 'predictor', revision: 'iris-predictor-00001', replicas: 1,
    command: fixtureCommand(), env: { ACCESS_LOG: '1' }, readinessPath: '/v2/health/ready', logDir,
  });
  const { podName, port } = await waitFor('ready', () => sup.endpoints('default/iris-predictor-00001')[0]);

  // Twenty requests write past several rotations while we follow.
  const abort = new AbortController();
  const seen: string[] = [];
  const following = (async () => {
    for await (const line of sup.readLog(podName, { tailLines: 0, follow: true, signal: abort.signal })) seen.push(line);
  })();
  for (let i = 0; i < 20; i++) assert.equal((await get(port, '/v1/models/iris')).status, 200);
  const access = () => seen.filter((l) => l.startsWith('GET '));
  await waitFor('20 access lines', () => access().length >= 20);
  abort.abort();
  await following;
  assert.deepEqual(access(), Array(20).fill('GET /v1/models/iris 200'), 'nothing lost or doubled across rotations');

  const untilStop = collect(sup.readLog(podName, { tailLines: 1, follow: true }));
  await sup.stopAll();
  const tail = await untilStop;
  assert.equal(tail.at(-1), 'SIGTERM: shutting down', 'follow delivers the last words, then ends');

  assert.throws(() => sup.readLog(podName), (err: unknown) => isSwitchyardError(err) && err.code === 'SY_ERR_NOT_FOUND');
});

test('a log whose disk is full loses output without throwing: the replica behind it goes on', () => {
  // /dev/full refuses every write with ENOSPC, as a full disk does.
  const log = new RotatingLog('/dev/full');
  assert.doesNotThrow(() => log.write('a line\n'));
  assert.doesNotThrow(() => log.write(Buffer.from('another line\n')));
  log.close();
});
