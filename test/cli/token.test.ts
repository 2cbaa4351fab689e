// `token create --group` / `token list` and a refused plan command as the CLI
// shows it: the real binary against a real API server over real SQLite.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { KINDS } from '../../src/api/registry.ts';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { writeKubeconfig } from '../../src/server/datadir.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { BIN, ROOT, run } from '../e2e/harness.ts';


/** The real binary, with no kubeconfig but the flags given. */
const sy = (args: string[]) => run(process.execPath, [BIN, ...args], { env: { KUBECONFIG: '/nonexistent' } });

let dir: string;
let store: Store;
let api: ApiServer;
let kubeconfig: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-cli-token-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  const tokens = new TokenRegistry(join(dir, 'tokens.json'));
  api = await startApiServer({ store, tokens, port: 0 });
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, api.url, tokens.create('admin', 'admin'));
  const system = { name: 'system:test' };
  await api.resources.create({ info: KINDS.find((k) => k.plural === 'namespaces')!, version: 'v1', namespace: '' }, { metadata: { name: 'risk' } }, system);
  const plan = parse(readFileSync(join(ROOT, 'examples/plans/iris-v2.yaml'), 'utf8'));
  plan.metadata.namespace = 'risk';
  await api.resources.create({ info: KINDS.find((k) => k.plural === 'trafficplans')!, version: 'v1alpha1', namespace: 'risk' }, plan, system);
});

after(async () => {
  await api.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('token create --group (repeatable, comma-separated) and token list', async () => {
  const created = await sy(['--kubeconfig', kubeconfig, 'token', 'create', '--role', 'operator', '--name', 'alice', '--group', 'sre', '--group', 'oncall,search']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^sy_operator_\S+\n$/);
  const table = await sy(['token', 'list', '--kubeconfig', kubeconfig]);
  assert.match(table.stdout, /^NAME +ROLE +GROUPS +CREATED\n/);
  assert.match(table.stdout, /^admin +admin +<none> +\d{4}-/m);
  assert.match(table.stdout, /^alice +operator +sre,oncall,search +\d{4}-/m);
  const json = JSON.parse((await sy(['token', 'list', '-o', 'json', '--kubeconfig', kubeconfig])).stdout);
  assert.deepEqual(json.items.find((t: { name: string }) => t.name === 'alice').groups, ['sre', 'oncall', 'search']);
  const bad = await sy(['--kubeconfig', kubeconfig, 'token', 'create', '--role', 'operator', '--group', 'a b']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /groups\[0\]: .*no whitespace or commas/);
});

test('token create -o kubeconfig: a kubeconfig for the same server whose user carries the role and groups', async () => {
  const r = await sy(['--kubeconfig', kubeconfig, 'token', 'create', '--role', 'operator', '--name', 'bob', '--group', 'data-eng', '-o', 'kubeconfig']);
  assert.equal(r.code, 0, r.stderr);
  const config = parse(r.stdout);
  assert.equal(config.clusters[0].cluster.server, api.url);
  assert.deepEqual(config.users[0].user.extensions, [{ name: 'switchyard.dev/token', extension: { role: 'operator', groups: ['data-eng'] } }]);
  assert.equal(config.users[0].name, 'bob');
  const bobs = join(dir, 'bob.kubeconfig');
  writeFileSync(bobs, r.stdout);

  // bob (data-eng) is neither the owner team (ml-platform) nor in canHalt (sre): refused, and the refusal is in the audit log.
  const kill = await sy(['--kubeconfig', bobs, 'plan', 'kill', 'iris-v2', '-n', 'risk', '--no-wait']);
  assert.equal(kill.code, 1);
  assert.equal(kill.stderr, 'Error from server (Forbidden): trafficplans.switchyard.dev "iris-v2" is forbidden: operator "bob" (groups: data-eng) cannot kill this plan: only its owner team "ml-platform", the groups in spec.owner.canHalt (sre) or an admin may pause, roll back, abort or kill it (SY_ERR_FORBIDDEN)\n');
  const log = await sy(['--kubeconfig', kubeconfig, 'audit', 'log']);
  assert.match(log.stdout, /operator:bob +forbidden +switchyard\.dev\/trafficplans\/risk\/iris-v2 +refused kill: groups \[data-eng\], owner team ml-platform, canHalt \[sre\]/);
});
