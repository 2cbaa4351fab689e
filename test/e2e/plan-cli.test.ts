// The plan verbs through the real binary: `lint` and `plan cost` offline on
// plan files, then `plan status` (once and --watch) and `plan kill` with an
// operator token against a real `switchyard up` running a real canary.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiFetch, BIN, removeDir, ROOT, startUp, type Up } from './harness.ts';

interface Result { code: number; stdout: string; stderr: string }

function sy(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, KUBECONFIG: '/nonexistent', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const GOOD = join(ROOT, 'examples/plans/iris-v2.yaml');
const BAD = join(ROOT, 'examples/plans/anti-patterns.yaml');

describe('lint and plan cost work offline', () => {
  test('lint: the anti-pattern plan is refused with every finding explained, the good one passes', async () => {
    const bad = await sy(['lint', BAD]);
    assert.equal(bad.code, 1, bad.stderr);
    for (const id of ['no-end', 'health-only-gates', 'no-request-budget', 'shadow-no-exit', 'keepwarm-zero']) assert.match(bad.stdout, new RegExp(`BLOCKING\\s+${id}\\s`));
    assert.match(bad.stdout, /=> 5 blocking, 1 warning: apply refuses this plan/);
    const good = await sy(['lint', GOOD]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /iris-v2\.yaml: TrafficPlan iris-v2 \(namespace quickstart\)\n {2}decisions: candidate requests before each step can advance[^\n]*\(at 50 req\/s\):\n[\s\S]*\n {2}=> 0 blocking, 0 warnings: ok to apply/);
    const json = JSON.parse((await sy(['lint', BAD, GOOD, '-o', 'json'])).stdout);
    assert.deepEqual(json.plans.map((p: { name: string; ok: boolean }) => [p.name, p.ok]), [['fraud-v2', false], ['iris-v2', true]]);
  });

  test('plan cost: a table from spec.cost, and exit 1 naming the step that breaks the budget', async () => {
    const r = await sy(['plan', 'cost', GOOD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1\s+4\/4\s+canary 100%\s+10m\s+\d+ \(\w+\)\s+10\.60\s+\+6\.20\s+1\.77$/m);
    assert.match(r.stdout, /^budget: {5}within budget\.maxCostPerHour 40/m);
    const over = await sy(['plan', 'cost', GOOD, '--rps', '500']);
    assert.equal(over.code, 1);
    assert.match(over.stdout, /EXCEEDED: phase 1 step 1\/4 \(canary 5%\) would cost 40\.30\/h, over budget\.maxCostPerHour 40/);
    const missing = await sy(['plan', 'cost', BAD]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no request rate for plan fraud-v2: pass --rps N.*spec\.cost\.requestsPerSecond \(SY_ERR_CONFIG\)/);
  });
});

describe('plan status and kill against switchyard up', { concurrency: false }, () => {
  let up: Up;
  let operator: string;
  const admin = (args: string[]) => sy(args, { KUBECONFIG: up.kubeconfig });

  before(async () => {
    up = await startUp();
    // The plan's spec.owner.canHalt is [sre]: an on-call operator in that group may kill it.
    const created = await admin(['token', 'create', '--role', 'operator', '--name', 'e2e-oncall', '--group', 'sre']);
    assert.equal(created.code, 0, created.stderr);
    operator = created.stdout.trim();
    const isvc = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'iris', namespace: 'default' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://models/iris-v1/' } } } };
    writeFileSync(join(up.dataDir, 'isvc.json'), JSON.stringify(isvc));
    assert.equal((await admin(['apply', '-f', join(up.dataDir, 'isvc.json')])).code, 0);
    assert.equal((await admin(['wait', 'isvc/iris', '--for=condition=Ready', '--timeout=60s'])).code, 0);
  });
  after(async () => {
    await up.stop();
    removeDir(up.dataDir);
  });

  test('status shows the canary step; kill by an operator rolls back, ends --watch, and is audited', async () => {
    const plan = (await import('node:fs')).readFileSync(GOOD, 'utf8').replace('namespace: quickstart', 'namespace: default');
    writeFileSync(join(up.dataDir, 'plan.yaml'), plan);
    const applied = await admin(['apply', '-f', join(up.dataDir, 'plan.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    let status: Result | undefined;
    for (let i = 0; i < 60; i++) {
      status = await admin(['plan', 'status', 'iris-v2']);
      if (/^Phase: +Progressing/m.test(status.stdout) && /\(candidate\) 5%/.test(status.stdout)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(status!.stdout, /^Phase: {6}Progressing, canary step 1\/4 at 5%$/m);
    assert.match(status!.stdout, /^Split: {6}iris-predictor-00001 \(baseline\) 95%, iris-predictor-00002 \(candidate\) 5%$/m);
    assert.match(status!.stdout, /^Requests: {3}\[-+\] {2}0\/2000 \(0%\)$/m);

    // A watcher (stdout is a pipe: one block per change, no redraw) must exit 0 on its own once the plan ends.
    const watcher = spawn(process.execPath, [BIN, 'plan', 'status', 'iris-v2', '--watch'], { cwd: ROOT, env: { ...process.env, KUBECONFIG: up.kubeconfig } });
    let watched = '';
    watcher.stdout.on('data', (d) => (watched += d));
    const watchExit = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
    await new Promise((r) => setTimeout(r, 1500));

    const killed = await admin(['plan', 'kill', 'iris-v2', '--token', operator, '--reason', 'e2e drill']);
    assert.equal(killed.code, 0, `${killed.stdout}${killed.stderr}`);
    assert.equal(killed.stdout, 'trafficplan.switchyard.dev/iris-v2 killed: phase Aborted — kill switch: traffic moved back to the baseline regardless of gates: e2e drill\n');

    const timer = setTimeout(() => watcher.kill(), 15_000);
    assert.equal(await watchExit, 0, `watch did not end by itself:\n${watched}`);
    clearTimeout(timer);
    assert.doesNotMatch(watched, /\x1b\[/, 'no ANSI escapes when stdout is not a terminal');
    const blocks = watched.trim().split(/\n\n(?=TrafficPlan )/);
    assert.ok(blocks.length >= 2, watched);
    assert.match(blocks[0]!, /Progressing/);
    assert.match(blocks.at(-1)!, /^Phase: {6}Aborted \(ended in canary step 1\/4\), candidate now at 0%$/m);

    const isvc = JSON.parse((await admin(['get', 'isvc', 'iris', '-o', 'json'])).stdout);
    assert.equal(isvc.spec.predictor.canaryTrafficPercent, 0);
    const json = JSON.parse((await admin(['plan', 'status', 'iris-v2', '-o', 'json'])).stdout);
    assert.equal(json.status.phase, 'Aborted');
    assert.equal(json.metadata.annotations?.['switchyard.dev/command'], undefined, 'the command was consumed');
    const audit = (await (await apiFetch(up, '/switchyard/v1/audit?limit=100000')).json()) as { items: Array<{ verb: string; actor: string; resource: string }> };
    const kill = audit.items.find((r) => r.verb === 'plan/kill' && r.resource.endsWith('/default/iris-v2'));
    assert.match(kill?.actor ?? '', /e2e-oncall/);

    const again = await admin(['plan', 'promote', 'iris-v2']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /promote had no effect: the plan had already finished \(phase Aborted\)/);
    const unknown = await admin(['plan', 'kill', 'nope']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Error from server (NotFound): trafficplans.switchyard.dev "nope" not found (SY_ERR_NOT_FOUND)\n');
  });

  test('plan cost --observed reads the rate and replicas from the server', async () => {
    const r = await admin(['plan', 'cost', GOOD, '--observed', '-n', 'default', '--rps', '10', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.inputs.requestsPerSecond, 10, '--rps still wins');
    assert.equal(report.sources.baselineReplicas, 'observed minReplicas');
    const observed = JSON.parse((await admin(['plan', 'cost', GOOD, '--observed', '-n', 'default', '-o', 'json'])).stdout);
    assert.equal(observed.sources.requestsPerSecond, 'observed over the last minute');
    assert.equal(typeof observed.inputs.requestsPerSecond, 'number');
    // A plan already applied, by name, as plan status takes it; a name the server does not know is its 404.
    const byName = await admin(['plan', 'cost', 'iris-v2', '-n', 'default', '--rps', '10', '-o', 'json']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(JSON.parse(byName.stdout).plan, { name: 'iris-v2', namespace: 'default' });
    const unknown = await admin(['plan', 'cost', 'no-such-plan', '-n', 'default', '--rps', '10']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /trafficplans\.switchyard\.dev "no-such-plan" not found/);
  });
});
