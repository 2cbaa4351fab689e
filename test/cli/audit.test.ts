import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KINDS } from '../../src/api/registry.ts';
import { writeKubeconfig } from '../../src/server/datadir.ts';
import { BIN, ROOT, run } from '../e2e/harness.ts';
import { startApiFixture, type ApiFixture } from '../server/api-fixture.ts';
import { auditRows, evidenceSummary } from '../../src/cli/commands/audit.ts';

test('audit log shows what a plan transition did and why, and which lint findings an override silenced', () => {
  const transition = { from: 'Progressing', to: 'RolledBack', at: 1, cause: 'gate-failed', reason: 'gate failed (outputPSI: 6.3 > max 0.2)', step: { phaseIndex: 0, stepIndex: 0, percent: 20 }, evidence: {} };
  assert.equal(evidenceSummary(transition), 'Progressing → RolledBack at 20%: gate failed (outputPSI: 6.3 > max 0.2)');
  assert.equal(evidenceSummary({ overridden: ['no-end', 'keepwarm-zero'] }), 'overridden: no-end, keepwarm-zero');
  assert.equal(evidenceSummary(undefined), '');
  const owner = { team: 'ml-platform', canHalt: ['sre'] };
  assert.equal(evidenceSummary({ command: 'kill', groups: ['data-eng'], owner }), 'refused kill: groups [data-eng], owner team ml-platform, canHalt [sre]');
  assert.equal(evidenceSummary({ change: 'spec', groups: [], owner }), 'refused change of spec: groups [none], owner team ml-platform, canHalt [sre]');
  assert.equal(evidenceSummary({ change: 'delete', groups: ['sre'], owner }), 'refused delete: groups [sre], owner team ml-platform, canHalt [sre]');
  const rows = auditRows([{ seq: 7, time: 't', actor: 'system:plan-controller', verb: 'plan/gate-failed', resource: 'switchyard.dev/trafficplans/q/p', evidence: transition }]);
  assert.match(rows[0]!, /^SEQ\s+TIME\s+ACTOR\s+VERB\s+RESOURCE\s+DETAIL$/);
  assert.match(rows[1]!, /plan\/gate-failed\s+switchyard.dev\/trafficplans\/q\/p\s+Progressing → RolledBack at 20%: gate failed/);
});

// `audit log` as users run it: the real binary against a real API server over real SQLite.
describe('audit log against a server', () => {
  const sy = (args: string[]) => run(process.execPath, [BIN, '--kubeconfig', kubeconfig, ...args], { env: { KUBECONFIG: '/nonexistent' } });
  let fixture: ApiFixture;
  let dir: string;
  let kubeconfig: string;
  const system = { name: 'system:test' };
  const plans = { info: KINDS.find((k) => k.plural === 'trafficplans')!, version: 'v1alpha1' };

  before(async () => {
    fixture = await startApiFixture();
    const { api, store } = fixture;
    dir = mkdtempSync(join(tmpdir(), 'sy-cli-audit-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, api.url, fixture.tokens.admin);
    const plan = parse(readFileSync(join(ROOT, 'examples/plans/iris-v2.yaml'), 'utf8'));
    for (const ns of ['risk', 'shop']) {
      await api.resources.create({ info: KINDS.find((k) => k.plural === 'namespaces')!, version: 'v1', namespace: '' }, { metadata: { name: ns } }, system);
      await api.resources.create({ ...plans, namespace: ns }, { ...plan, metadata: { ...plan.metadata, namespace: ns } }, system);
    }
    // A plan looked at 1,500 times (its status written at every look) and then rolled back: more records than one page.
    for (let i = 0; i < 1500; i++) await store.appendAudit({ actor: 'system:plan-controller', verb: 'update/status', resource: 'switchyard.dev/trafficplans/risk/iris-v2' });
    await store.appendAudit({ actor: 'system:plan-controller', verb: 'plan/gate-failed', resource: 'switchyard.dev/trafficplans/risk/iris-v2', evidence: { from: 'Progressing', to: 'RolledBack', step: { percent: 20 }, reason: 'gate failed' } });
    await store.appendAudit({ actor: 'system:plan-controller', verb: 'update/status', resource: 'switchyard.dev/trafficplans/shop/iris-v2' });
  });

  after(async () => {
    await fixture.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (stdout: string) => stdout.trim().split('\n').slice(1);

  test('shows the newest records by default, so what just happened is never past the first page', async () => {
    const r = await sy(['audit', 'log']);
    assert.equal(r.code, 0, r.stderr);
    const rows = lines(r.stdout);
    assert.equal(rows.length, 1000);
    assert.match(rows.at(-2)!, /plan\/gate-failed +switchyard\.dev\/trafficplans\/risk\/iris-v2 +Progressing → RolledBack at 20%: gate failed/);
    assert.match(rows.at(-1)!, /trafficplans\/shop\/iris-v2/);
    // --since-seq pages forward from the start instead.
    const first = lines((await sy(['audit', 'log', '--since-seq', '0', '--limit', '3'])).stdout);
    assert.deepEqual(first.map((l) => l.split(/ +/)[0]), ['1', '2', '3']);
  });

  test('one object (TYPE/NAME in -n), one namespace (-n) and a verb prefix narrow the list', async () => {
    const transitions = await sy(['audit', 'log', 'tp/iris-v2', '-n', 'risk', '--verb', 'plan/']);
    assert.equal(transitions.code, 0, transitions.stderr);
    assert.equal(lines(transitions.stdout).length, 1);
    assert.match(transitions.stdout, /plan\/gate-failed/);
    const shop = lines((await sy(['audit', 'log', '-n', 'shop'])).stdout);
    assert.ok(shop.length === 2 && shop.every((l) => /\/shop\/iris-v2/.test(l)), shop.join('\n'));
    const created = lines((await sy(['audit', 'log', 'trafficplan/iris-v2', '-n', 'shop', '--verb', 'create'])).stdout);
    assert.equal(created.length, 1);
  });

  test('a malformed object or query is refused with the cause', async () => {
    const noName = await sy(['audit', 'log', 'trafficplan']);
    assert.equal(noName.code, 1);
    assert.match(noName.stderr, /the object must be TYPE\/NAME \(e\.g\. trafficplan\/iris-v2 or isvc\/iris\), got "trafficplan"/);
    const unknown = await sy(['audit', 'log', 'widgets/x']);
    assert.match(unknown.stderr, /the server doesn't have a resource type "widgets"/);
    const badSeq = await sy(['audit', 'log', '--since-seq', 'ten']);
    assert.equal(badSeq.code, 1);
    assert.match(badSeq.stderr, /query parameter sinceSeq must be a whole number, got "ten"/);
  });
});
