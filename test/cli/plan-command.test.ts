// The plan command verbs against a small fake API server: the merge patch
// sent, waiting for the controller to consume the annotation, and the
// message (and exit code) when it does not.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { commandOutcome, commandPatch } from '../../src/cli/commands/plan-command.ts';

test('the patch sets the command and its reason, and clears a stale reason', () => {
  assert.deepEqual(commandPatch('kill', 'INC-7'), { metadata: { annotations: { 'switchyard.dev/command': 'kill', 'switchyard.dev/command-reason': 'INC-7' } } });
  assert.deepEqual(commandPatch('pause', undefined), { metadata: { annotations: { 'switchyard.dev/command': 'pause', 'switchyard.dev/command-reason': null } } });
});

test('the outcome says what happened and fails when the plan did not go where the command leads', () => {
  const at = (phase: string, message = 'm') => ({ status: { phase: phase as 'Progressing', message } });
  assert.deepEqual(commandOutcome('kill', 'p', at('Progressing'), at('Aborted', 'kill switch: x')), { ok: true, text: 'trafficplan.switchyard.dev/p killed: phase Aborted — kill switch: x' });
  assert.deepEqual(commandOutcome('rollback', 'p', at('Paused'), at('RolledBack')), { ok: true, text: 'trafficplan.switchyard.dev/p rolled back: phase RolledBack — m' });
  assert.deepEqual(commandOutcome('kill', 'p', at('Aborted'), at('Aborted')), { ok: true, text: 'trafficplan.switchyard.dev/p already Aborted — m' });
  assert.deepEqual(commandOutcome('kill', 'p', at('RolledBack'), at('RolledBack')), { ok: true, text: 'trafficplan.switchyard.dev/p already RolledBack — m' }, 'traffic is already on the baseline');
  assert.deepEqual(commandOutcome('kill', 'p', at('Promoted'), at('Promoted')).ok, false);
  assert.deepEqual(commandOutcome('promote', 'p', at('Aborted'), at('Aborted')), { ok: false, text: 'trafficplan.switchyard.dev/p promote had no effect: the plan had already finished (phase Aborted) — m' });
  assert.equal(commandOutcome('resume', 'p', at('Paused'), at('Progressing')).ok, true);
  assert.equal(commandOutcome('pause', 'p', at('Paused'), at('Paused')).text, 'trafficplan.switchyard.dev/p already Paused — m');
});

// A fake API server holding one plan; `consume` plays the controller.
const events = new EventEmitter();
let plan: Record<string, any>;
let consume = true;
const patches: unknown[] = [];
let server: Server;
let url: string;
let rv = 1;

function update(mutate: (p: Record<string, any>) => void): void {
  mutate(plan);
  plan.metadata.resourceVersion = String(++rv);
  events.emit('change', plan);
}

before(async () => {
  server = createServer((req, res: ServerResponse) => {
    const u = new URL(req.url!, 'http://x');
    const json = (code: number, body: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (!u.pathname.startsWith('/apis/switchyard.dev/v1alpha1/namespaces/risk/trafficplans')) return json(404, { kind: 'Status', message: 'no' });
    const name = u.pathname.split('/')[7];
    if (name && name !== 'fraud-v2') return json(404, { kind: 'Status', code: 404, reason: 'NotFound', message: `trafficplans.switchyard.dev "${name}" not found` });
    if (req.method === 'GET' && name) return json(200, plan);
    if (req.method === 'GET' && u.searchParams.get('watch')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const send = (o: unknown) => res.write(`${JSON.stringify({ type: 'MODIFIED', object: o })}\n`);
      events.on('change', send);
      req.on('close', () => events.off('change', send));
      return;
    }
    if (req.method === 'GET') return json(200, { items: [plan], metadata: { resourceVersion: String(rv) } });
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const patch = JSON.parse(body);
      patches.push(patch);
      update((p) => {
        for (const [k, v] of Object.entries(patch.metadata.annotations)) if (v === null) delete p.metadata.annotations[k]; else p.metadata.annotations[k] = v;
      });
      json(200, plan);
      if (consume) setTimeout(() => update((p) => { p.metadata.annotations = {}; p.status = { phase: 'Aborted', message: 'kill switch: traffic moved back to the baseline regardless of gates: INC-7' }; }), 100);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const BIN = new URL('../../bin/switchyard.js', import.meta.url).pathname;

/** The real binary (its own process, so its stdout and exit code are its own). */
function sy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--server', url, '-n', 'risk'], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '/nonexistent' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('kill waits until the controller consumed the command and prints the resulting phase', async () => {
  plan = { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'fraud-v2', namespace: 'risk', annotations: {}, resourceVersion: '1' }, status: { phase: 'Progressing' } };
  consume = true;
  const r = await sy(['plan', 'kill', 'fraud-v2', '--reason', 'INC-7']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'trafficplan.switchyard.dev/fraud-v2 killed: phase Aborted — kill switch: traffic moved back to the baseline regardless of gates: INC-7\n');
  assert.deepEqual(patches.at(-1), commandPatch('kill', 'INC-7'));
});

test('a command the controller does not act on in time is reported as recorded, with exit code 1', async () => {
  plan = { apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', metadata: { name: 'fraud-v2', namespace: 'risk', annotations: {}, resourceVersion: '1' }, status: { phase: 'Progressing' } };
  consume = false;
  const started = Date.now();
  const r = await sy(['plan', 'pause', 'fraud-v2', '--wait', '500ms']);
  assert.ok(Date.now() - started < 8000, "gave up after --wait, well before the 10 s default (process start included)");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: pause is recorded on trafficplan\.switchyard\.dev\/fraud-v2 \(annotation switchyard\.dev\/command=pause\) but the plan controller has not acted on it within 500ms.*\(SY_ERR_TIMEOUT\)\n$/);
  const noWait = await sy(['plan', 'pause', 'fraud-v2', '--no-wait']);
  assert.deepEqual([noWait.code, noWait.stdout], [0, 'trafficplan.switchyard.dev/fraud-v2 pause requested\n']);
});

test('an unknown plan gets the API server\'s NotFound', async () => {
  const r = await sy(['plan', 'abort', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error from server (NotFound): trafficplans.switchyard.dev "nope" not found (SY_ERR_NOT_FOUND)\n');
});
