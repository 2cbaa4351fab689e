// spec.owner.canHalt enforced at the API: tokens carry groups; a plan command
// by a caller outside the owner team and canHalt is refused (403 naming the
// owner and canHalt) and audited; the kill switch works for those listed;
// admins may always. Real HTTP, real SQLite.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parse } from 'yaml';
import { KINDS } from '../../src/api/registry.ts';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { issuedCommand, planDeleteRefusal, planRefusal, stampPlanCommand } from '../../src/server/apiserver/plan-guard.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject, Store } from '../../src/store/types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLAN_PATH = '/apis/switchyard.dev/v1alpha1/namespaces/risk/trafficplans/iris-v2';
const KEY = { group: 'switchyard.dev', resource: 'trafficplans', namespace: 'risk', name: 'iris-v2' };

const plan = (annotations: Record<string, string> = {}, owner: object = { team: 'ml-platform', canHalt: ['sre'] }): KubeObject =>
  ({ metadata: { name: 'iris-v2', namespace: 'risk', annotations }, spec: { owner } }) as unknown as KubeObject;
const who = (role: 'viewer' | 'operator' | 'admin', ...groups: string[]) => ({ name: 'alice', role, groups });

describe('planRefusal and the command-by stamp (pure)', () => {
  test('halting commands: the owner team, canHalt and admins; nobody else', () => {
    const previous = plan();
    for (const command of ['pause', 'rollback', 'abort', 'kill']) {
      const obj = plan({ 'switchyard.dev/command': command });
      assert.equal(planRefusal(obj, previous, who('operator', 'ml-platform')), undefined);
      assert.equal(planRefusal(obj, previous, who('operator', 'data-eng', 'sre')), undefined);
      assert.equal(planRefusal(obj, previous, who('admin')), undefined);
      const refused = planRefusal(obj, previous, who('operator', 'data-eng'));
      assert.equal(refused?.message, `trafficplans.switchyard.dev "iris-v2" is forbidden: operator "alice" (groups: data-eng) cannot ${command} this plan: only its owner team "ml-platform", the groups in spec.owner.canHalt (sre) or an admin may pause, roll back, abort or kill it`);
      assert.deepEqual(refused?.evidence, { command, groups: ['data-eng'], owner: { team: 'ml-platform', canHalt: ['sre'] } });
    }
  });

  test('promote and resume are the owner team\'s (or an admin\'s): canHalt only stops a rollout', () => {
    for (const command of ['promote', 'resume']) {
      const obj = plan({ 'switchyard.dev/command': command });
      assert.equal(planRefusal(obj, plan(), who('operator', 'ml-platform')), undefined);
      assert.match(planRefusal(obj, plan(), who('operator', 'sre'))?.message ?? '', /cannot (promote|resume) this plan: only its owner team "ml-platform" or an admin may promote or resume it$/);
    }
  });

  test('an update is judged by the stored owner, and only the owner team may change the owner', () => {
    const widened = plan({ 'switchyard.dev/command': 'kill' }, { team: 'ml-platform', canHalt: ['sre', 'data-eng'] });
    assert.match(planRefusal(widened, plan(), who('operator', 'data-eng'))?.message ?? '', /cannot kill this plan/);
    const ownerOnly = plan({}, { team: 'ml-platform', canHalt: ['sre', 'data-eng'] });
    assert.equal(planRefusal(ownerOnly, plan(), who('operator', 'sre'))?.message, 'trafficplans.switchyard.dev "iris-v2" is forbidden: operator "alice" (groups: sre) cannot change spec.owner: only its owner team "ml-platform" or an admin may');
    assert.equal(planRefusal(ownerOnly, plan(), who('operator', 'ml-platform')), undefined);
    assert.equal(planRefusal(plan({ a: 'b' }), plan(), who('operator', 'data-eng')), undefined, 'labels and annotations are not the guard\'s concern');
  });

  test('the rest of the spec and deletion are the owner team\'s too: canHalt may stop a rollout, not reshape or remove it', () => {
    const loosened = { ...plan(), spec: { owner: { team: 'ml-platform', canHalt: ['sre'] }, gates: [{ metric: 'errorRate', max: 0.9 }] } } as unknown as KubeObject;
    for (const caller of [who('operator', 'sre'), who('operator', 'data-eng')]) {
      const refused = planRefusal(loosened, plan(), caller);
      assert.match(refused?.message ?? '', /cannot change spec: only its owner team "ml-platform" or an admin may$/);
      assert.equal(refused?.evidence.change, 'spec');
      assert.match(planDeleteRefusal(plan(), caller)?.message ?? '', /^trafficplans\.switchyard\.dev "iris-v2" is forbidden: operator "alice" \(groups: [a-z-]+\) cannot delete this plan: only its owner team "ml-platform" or an admin may$/);
    }
    assert.equal(planRefusal(loosened, plan(), who('operator', 'ml-platform')), undefined);
    assert.equal(planRefusal(loosened, plan(), who('admin')), undefined);
    assert.equal(planDeleteRefusal(plan(), who('operator', 'ml-platform')), undefined);
    assert.equal(planDeleteRefusal(plan(), who('admin')), undefined);
    assert.equal(planDeleteRefusal(plan(), undefined), undefined, 'the server\'s own deletes');
  });

  test('a pending command written again unchanged is not issued again; a new reason is', () => {
    const pending = plan({ 'switchyard.dev/command': 'kill', 'switchyard.dev/command-reason': 'INC-1', 'switchyard.dev/command-by': 'operator:bob' });
    assert.equal(issuedCommand(plan({ 'switchyard.dev/command': 'kill', 'switchyard.dev/command-reason': 'INC-1' }), pending), undefined);
    assert.equal(issuedCommand(plan({ 'switchyard.dev/command': 'kill', 'switchyard.dev/command-reason': 'INC-2' }), pending), 'kill');
    const kept = plan({ 'switchyard.dev/command': 'kill', 'switchyard.dev/command-reason': 'INC-1', 'switchyard.dev/command-by': 'forged' });
    stampPlanCommand(kept, pending, { name: 'operator:carol' });
    assert.equal(kept.metadata.annotations?.['switchyard.dev/command-by'], 'operator:bob');
    const fresh = plan({ 'switchyard.dev/command': 'pause', 'switchyard.dev/command-by': 'forged' });
    stampPlanCommand(fresh, pending, { name: 'operator:carol' });
    assert.equal(fresh.metadata.annotations?.['switchyard.dev/command-by'], 'operator:carol');
  });
});

describe('at the API server', () => {
  let dir: string;
  let store: Store;
  let api: ApiServer;
  const token: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-plan-guard-'));
    store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
    const tokens = new TokenRegistry(join(dir, 'tokens.json'));
    token.admin = tokens.create('admin', 'admin');
    api = await startApiServer({ store, tokens, port: 0 });
    await api.resources.create({ info: KINDS.find((k) => k.plural === 'namespaces')!, version: 'v1', namespace: '' }, { metadata: { name: 'risk' } }, { name: 'system:test' });
    for (const [name, groups] of [['owner', ['ml-platform']], ['sre', ['sre', 'oncall']], ['outsider', ['data-eng']], ['nogroups', []]] as const) {
      const r = await call('POST', '/switchyard/v1/tokens', { role: 'operator', name, groups });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      token[name] = (r.body as { token: string }).token;
    }
  });
  after(async () => {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store.delete(KEY, { actor: { name: 'test' } }).catch(() => undefined);
    const p = parse(readFileSync(join(ROOT, 'examples/plans/iris-v2.yaml'), 'utf8'));
    p.metadata.namespace = 'risk';
    assert.equal((await call('POST', '/apis/switchyard.dev/v1alpha1/namespaces/risk/trafficplans', p)).status, 201);
  });

  async function call(method: string, path: string, body?: unknown, as = 'admin', type = 'application/json') {
    const res = await fetch(`${api.url}${path}`, {
      method, headers: { authorization: `Bearer ${token[as]}`, 'content-type': type }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }
  const annotate = (command: string, as: string) =>
    call('PATCH', PLAN_PATH, { metadata: { annotations: { 'switchyard.dev/command': command } } }, as, 'application/merge-patch+json');
  const stored = async () => (await store.get(KEY))!.metadata.annotations ?? {};
  const forbiddenRecords = async () => (await store.listAudit({ sinceSeq: 0, limit: 100_000 })).filter((r) => r.verb === 'forbidden');

  test('an operator outside the owner team and canHalt gets 403 naming both, nothing is written, the refusal is audited', async () => {
    const before = await forbiddenRecords();
    const r = await annotate('kill', 'outsider');
    assert.equal(r.status, 403);
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal(r.body.errorCode, 'SY_ERR_FORBIDDEN');
    assert.equal(r.body.message, 'trafficplans.switchyard.dev "iris-v2" is forbidden: operator "outsider" (groups: data-eng) cannot kill this plan: only its owner team "ml-platform", the groups in spec.owner.canHalt (sre) or an admin may pause, roll back, abort or kill it');
    assert.equal((await stored())['switchyard.dev/command'], undefined);
    const records = await forbiddenRecords();
    assert.equal(records.length, before.length + 1);
    const last = records.at(-1)!;
    assert.equal(last.actor, 'operator:outsider');
    assert.equal(last.resource, 'switchyard.dev/trafficplans/risk/iris-v2');
    assert.deepEqual(last.evidence, { command: 'kill', groups: ['data-eng'], owner: { team: 'ml-platform', canHalt: ['sre'] } });
    assert.equal((await annotate('pause', 'nogroups')).status, 403, 'a token without groups is outside every team');
    assert.equal((await store.verifyAudit()).ok, true);
  });

  test('the kill switch works for canHalt and the owner team; the caller is stamped', async () => {
    const r = await annotate('kill', 'sre');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await stored())['switchyard.dev/command-by'], 'operator:sre');
    assert.equal((await annotate('rollback', 'owner')).status, 200);
    assert.equal((await stored())['switchyard.dev/command-by'], 'operator:owner');
  });

  test('promote needs the owner team; admins may always', async () => {
    assert.equal((await annotate('promote', 'sre')).status, 403);
    assert.equal((await annotate('promote', 'owner')).status, 200);
    assert.equal((await annotate('abort', 'admin')).status, 200);
    assert.equal((await stored())['switchyard.dev/command-by'], 'admin:admin');
  });

  test('widening canHalt and halting in one write is refused; the owner team may change the owner', async () => {
    const widen = { metadata: { annotations: { 'switchyard.dev/command': 'kill' } }, spec: { owner: { team: 'ml-platform', canHalt: ['sre', 'data-eng'] } } };
    assert.equal((await call('PATCH', PLAN_PATH, widen, 'outsider', 'application/merge-patch+json')).status, 403);
    const r = await call('PATCH', PLAN_PATH, { spec: { owner: { canHalt: ['sre', 'data-eng'] } } }, 'sre', 'application/merge-patch+json');
    assert.equal(r.status, 403);
    assert.match(r.body.message, /cannot change spec\.owner: only its owner team "ml-platform" or an admin may$/);
    assert.equal((await call('PATCH', PLAN_PATH, { spec: { owner: { canHalt: ['sre', 'data-eng'] } } }, 'owner', 'application/merge-patch+json')).status, 200);
    assert.equal((await annotate('pause', 'outsider')).status, 200, 'data-eng is now in canHalt');
  });

  test('an operator outside the owner team can neither loosen the gates nor delete the plan: 403, audited, nothing changed', async () => {
    const gates = [{ metric: 'errorRate', max: 0.9 }, { metric: 'outputPSI', max: 50 }];
    for (const as of ['sre', 'outsider']) {
      const r = await call('PATCH', PLAN_PATH, { spec: { gates } }, as, 'application/merge-patch+json');
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.match(r.body.message, /cannot change spec: only its owner team "ml-platform" or an admin may$/);
      const d = await call('DELETE', PLAN_PATH, undefined, as);
      assert.equal(d.status, 403, JSON.stringify(d.body));
      assert.equal(d.body.errorCode, 'SY_ERR_FORBIDDEN');
      assert.match(d.body.message, /cannot delete this plan: only its owner team "ml-platform" or an admin may$/);
    }
    assert.notDeepEqual(((await store.get(KEY))?.spec as { gates?: unknown } | undefined)?.gates, gates);
    const last = (await forbiddenRecords()).at(-1)!;
    assert.deepEqual([last.actor, last.evidence], ['operator:outsider', { change: 'delete', groups: ['data-eng'], owner: { team: 'ml-platform', canHalt: ['sre'] } }]);
    assert.equal((await call('PATCH', PLAN_PATH, { spec: { gates } }, 'owner', 'application/merge-patch+json')).status, 200);
    assert.equal((await call('DELETE', PLAN_PATH, undefined, 'owner')).status, 200);
    assert.equal(await store.get(KEY), undefined);
  });

  test('tokens: groups are validated, stored, listed (admin only) and never their secret', async () => {
    const bad = await call('POST', '/switchyard/v1/tokens', { role: 'operator', name: 'x', groups: ['has space'] });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.details.causes[0].field, 'groups[0]');
    const list = await call('GET', '/switchyard/v1/tokens');
    assert.equal(list.status, 200);
    const sre = list.body.items.find((t: { name: string }) => t.name === 'sre');
    assert.deepEqual({ ...sre, created: typeof sre.created }, { name: 'sre', role: 'operator', groups: ['sre', 'oncall'], created: 'string' });
    assert.ok(!JSON.stringify(list.body).includes(token.sre!), 'no secret in the list');
    assert.equal((await call('GET', '/switchyard/v1/tokens', undefined, 'sre')).status, 403);
    const audit = (await store.listAudit({ sinceSeq: 0, limit: 100_000 })).find((r) => r.resource === 'switchyard.dev/tokens//sre');
    assert.equal(audit?.actor, 'admin:admin');
  });
});
