// Stopping `switchyard up`: SIGTERM under about 200 requests a second, and
// `npm start` stopped with Ctrl-C. A shutdown stops accepting (new
// connections are refused), answers every request it took, stops the
// replicas and exits 0; Ctrl-C leaves no process behind.
//
// Half the load goes through a VirtualService that holds each request for
// 1 s (Istio's fault delay), so a hundred or so requests are in flight in the
// gateway when the signal comes and the drain has real work. Every request
// carries its own id; the two ledgers are compared after the exit: the
// gateway's (requests accepted and answered, in its shutdown summary; the
// prediction log's rows by request id) and the client's (complete answers,
// and why each other request got none).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { apiFetch, removeDir, ROOT, startUp, until, type Up } from '../e2e/harness.ts';
import { startLoad } from '../e2e/load.ts';
import { planTools } from '../e2e/plans.ts';
import { alive, figure, processesMentioning, processTree, tryConnect } from './processes.ts';

const SLOW_VS = {
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'iris-slow', namespace: 'default' },
  spec: {
    hosts: ['slow.default.example.com'], gateways: ['knative-serving/knative-ingress-gateway'],
    http: [{ fault: { delay: { fixedDelay: '1s', percentage: { value: 100 } } }, route: [{ destination: { host: 'iris-predictor.default.svc.cluster.local' } }] }],
  },
};

/**
 * How a request the gateway never read fails at the client: refused at connect; reset by the kernel (in the
 * accept queue, or unread in a socket being closed); or 'other side closed' (undici's UND_ERR_SOCKET) when it
 * went out on a kept-alive connection as the drain closed it — the race RFC 9112 §9.6 leaves to clients to retry.
 * The tests pair this with the gateway's ledger (every request it accepted was answered).
 */
const UNREAD = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']);

async function replicaPids(up: Up): Promise<number[]> {
  const pods = (await (await apiFetch(up, '/api/v1/pods')).json()) as { items: Array<{ metadata: { annotations?: Record<string, string> } }> };
  return pods.items.map((p) => Number(p.metadata.annotations?.['switchyard.dev/pid'])).filter((pid) => pid > 0);
}

/** The numbers of the shutdown summary line `up` logs for a listener. */
function drainSummary(output: string, listener: string) {
  const m = new RegExp(`${listener}: (\\d+) request\\(s\\) in flight at shutdown, drained in ([\\d.]+) s, (\\d+) cut off; (\\d+) accepted since start, (\\d+) answered`).exec(output);
  assert.ok(m, `no ${listener} shutdown summary in:\n${output.slice(-3000)}`);
  const [inFlight, seconds, cutOff, accepted, answered] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { inFlight, seconds, cutOff, accepted, answered };
}

test('SIGTERM under 200 rps: requests in flight are answered, new connections refused, replicas stopped, exit 0', async (t) => {
  const up = await startUp();
  try {
    const tools = planTools(() => up);
    await tools.serve('iris');
    await tools.ok(['apply', '-f', '-'], JSON.stringify(SLOW_VS));
    // The routing settles; these requests are in the gateway's ledger too.
    let warmups = 0;
    await until('the slow route to answer', async () => {
      warmups++;
      const res = await request(`${up.gatewayUrl}/v1/models/iris:predict`, { method: 'POST', headers: { host: 'slow.default.example.com', 'x-request-id': `warm-${warmups}` }, body: JSON.stringify({ instances: [[5, 3.4, 1.5, 0.2]] }) });
      await res.body.arrayBuffer();
      return res.statusCode === 200 ? true : undefined;
    });
    const replicas = await replicaPids(up);
    assert.ok(replicas.length > 0 && replicas.every(alive), 'the replica runs');
    const gatewayPort = Number(new URL(up.gatewayUrl).port);

    const fast = startLoad(up, 'iris.default.example.com', { rps: 100, concurrency: 64, headers: (i) => ({ 'x-request-id': `fast-${i}` }) });
    const slow = startLoad(up, 'slow.default.example.com', { rps: 100, concurrency: 400, model: 'iris', headers: (i) => ({ 'x-request-id': `slow-${i}` }) });
    await new Promise((r) => setTimeout(r, 3000));

    const exited = new Promise<number | null>((resolve) => up.proc.once('exit', (code) => resolve(code)));
    const rate = (fast.sent + slow.sent) / 3;
    const signalledAt = Date.now();
    up.proc.kill('SIGTERM');
    // From the moment `up` says it stopped accepting until it exits, every new connection must be refused.
    await until('up to stop accepting', async () => (/shutting down: no new connections/.test(up.output()) ? true : undefined), 10_000);
    const probes: string[] = [];
    let exitCode: number | null | undefined;
    void exited.then((c) => (exitCode = c));
    while (exitCode === undefined) {
      probes.push(await tryConnect(gatewayPort));
      await new Promise((r) => setTimeout(r, 20));
    }
    const exitedAt = Date.now();
    await Promise.all([fast.stop(), slow.stop()]);

    assert.equal(exitCode, 0, up.output().slice(-2000));
    assert.ok(probes.length > 0 && probes.every((p) => p === 'ECONNREFUSED'), `new connections while draining: ${probes.join(', ')}`);
    const gw = drainSummary(up.output(), 'gateway');
    assert.match(up.output(), /replicas stopped/);
    for (const pid of replicas) assert.equal(alive(pid), false, `replica ${pid} was stopped`);

    // The client's ledger: every answer complete and 200; every other request refused or closed before its answer began.
    const answers = [...fast.seen.answers.map((a) => `fast-${a.i}`), ...slow.seen.answers.map((a) => `slow-${a.i}`)];
    const failures = [...fast.seen.failures, ...slow.seen.failures];
    assert.deepEqual([...new Set([...fast.seen.answers, ...slow.seen.answers].map((a) => a.status))], [200]);
    assert.deepEqual(failures.filter((f) => f.afterStatus), [], 'no answer was cut short');
    assert.deepEqual(failures.filter((f) => f.at < signalledAt), [], 'nothing failed before the signal');
    // Before the exit: refused at connect, reset by the kernel in the listener's accept queue when it closed,
    // or sent on a kept-alive connection just as the drain closed it (nothing of the request was read: safe to
    // retry; the gateway's ledger below proves it); after it, refused.
    const before = failures.filter((f) => f.at <= exitedAt);
    const count = (code: string) => before.filter((f) => f.code === code).length;
    assert.deepEqual(before.filter((f) => !UNREAD.has(f.code)), [], 'no request failed otherwise');

    // The gateway's ledger: it answered every request it accepted, and those are exactly the client's answers.
    assert.equal(gw.cutOff, 0, 'no request was cut off at the drain bound');
    assert.equal(gw.answered, gw.accepted, 'every request the gateway accepted was answered');
    assert.equal(gw.accepted, answers.length + warmups, 'the gateway accepted exactly the requests the client got answers to');
    assert.ok(gw.inFlight > 0, 'requests were in flight when the signal came');
    const db = new Database(join(up.dataDir, 'switchyard.db'), { readonly: true });
    const logged = db.prepare("SELECT request_id FROM predictions WHERE request_id LIKE 'fast-%' OR request_id LIKE 'slow-%'").pluck().all() as string[];
    db.close();
    assert.deepEqual(new Set(logged), new Set(answers), 'the prediction log holds a row for each answered request and no other');

    figure(t, `SIGTERM under ${rate.toFixed(0)} rps: ${gw.accepted - warmups} accepted, ${answers.length} answered, ${gw.accepted - gw.answered} dropped; `
      + `${gw.inFlight} in flight at the signal, drained in ${gw.seconds.toFixed(2)} s; while draining ${count('ECONNREFUSED')} refused at connect, `
      + `${count('ECONNRESET')} reset in the accept queue, ${count('UND_ERR_SOCKET')} closed as sent on an idle connection, ${probes.length}/${probes.length} probes refused; `
      + `${replicas.length} replica(s) stopped; exit ${exitCode} in ${((exitedAt - signalledAt) / 1000).toFixed(1)} s`);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});

test('npm start stopped with Ctrl-C: requests in flight answered, no replica restarted, no process behind', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-faults-'));
  // A terminal puts the command in a process group of its own and sends Ctrl-C's SIGINT to the whole group.
  const npm = spawn('npm', ['start', '--', '--data-dir', dataDir, '--api-port', '0', '--gateway-port', '0'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  npm.stdout!.on('data', (d) => (out += d));
  npm.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    // The demo is under way: the quickstart's replica (ready: requests before it are 503, as in KServe) and the canary story's serve.
    const tree = await until('the demo to run two InferenceServices', async () => {
      const procs = processTree(npm.pid!);
      return /demo 2\/5/.test(out) && /isvc quickstart\/iris: revision \S+ is ready/.test(out) && procs.filter((p) => p.args.includes('model-server')).length >= 2 ? procs : undefined;
    }, 120_000, () => out.slice(-2000));
    const gatewayUrl = /gateway listening on (http:\/\/\S+)/.exec(out)![1]!;
    const load = startLoad({ gatewayUrl } as Up, 'iris.quickstart.example.com', { rps: 50, concurrency: 16 });
    await until('the quickstart service to answer', async () => (load.seen.byStatus.get(200) ?? 0) > 20 ? true : undefined, 30_000);

    const signalledAt = Date.now();
    process.kill(-npm.pid!, 'SIGINT');
    // Until it exits: any process of the data dir that was not there before is a replica restarted during the shutdown.
    const before = new Set(processesMentioning(dataDir).map((p) => p.pid));
    const restarted = new Set<number>();
    let result: { code: number | null; signal: string | null } | undefined;
    void exited.then((r) => (result = r));
    while (result === undefined && Date.now() - signalledAt < 40_000) {
      for (const p of processesMentioning(dataDir)) if (!before.has(p.pid) && p.args.includes('model-server')) restarted.add(p.pid);
      await new Promise((r) => setTimeout(r, 100));
    }
    const exitedAt = Date.now();
    await load.stop();
    assert.ok(result, `npm start did not exit within 40 s of Ctrl-C:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(tree.filter((p) => alive(p.pid)), [], 'every process of the tree is gone');
    assert.deepEqual(processesMentioning(dataDir), [], 'no process mentions the data dir');
    assert.deepEqual([...restarted], [], 'no replica was restarted while shutting down');
    assert.match(out, /replicas stopped/, out.slice(-2000));
    const not200 = load.seen.answers.filter((a) => a.status !== 200).map((a) => `${a.status} at ${a.at - signalledAt} ms from the signal`);
    assert.deepEqual(not200, [], `every answer, before and during the shutdown, is 200\n${out.slice(-3000)}`);
    const failures = load.seen.failures.filter((f) => f.at <= exitedAt);
    assert.deepEqual(load.seen.failures.filter((f) => f.afterStatus), [], 'no answer was cut short');
    assert.deepEqual(failures.filter((f) => !UNREAD.has(f.code)), [], 'requests got an answer or were refused');
    const gw = drainSummary(out, 'gateway');
    assert.equal(gw.cutOff, 0);
    assert.equal(gw.answered, gw.accepted);
    figure(t, `npm start + Ctrl-C during the demo under 50 rps: ${tree.length} processes (${tree.filter((p) => p.args.includes('model-server')).length} of them replicas) all gone `
      + `${((exitedAt - signalledAt) / 1000).toFixed(1)} s after the signal; ${gw.accepted} requests accepted, ${gw.answered} answered; ${failures.length} refused after the signal; `
      + `0 replicas restarted; npm exit ${result.code ?? result.signal}`);
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, 'SIGKILL');
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    removeDir(dataDir);
  }
});
