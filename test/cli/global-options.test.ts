// kubectl's global flags (--kubeconfig, --context, -n, --server, --token)
// before or after the verb, and -o json|yaml on the read verbs: the real
// binary against a real API server over a real SQLite store.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { KINDS } from '../../src/api/registry.ts';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry } from '../../src/server/auth.ts';
import { PredictionLog } from '../../src/store/predictions.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { BIN, ROOT, run } from '../e2e/harness.ts';

const SYSTEM = { name: 'system:test' };

/** The real binary, with no kubeconfig but the flags given. */
const sy = (args: string[]) => run(process.execPath, [BIN, ...args], { env: { KUBECONFIG: '/nonexistent' } });

let dir: string;
let store: Store;
let predictions: PredictionLog;
let api: ApiServer;
let admin: string;
let kubeconfig: string;

const PLAN_KEY = { group: 'switchyard.dev', resource: 'trafficplans', namespace: 'risk', name: 'iris-v2' };
const commandOnPlan = async () => (await store.get(PLAN_KEY))?.metadata.annotations?.['switchyard.dev/command'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-cli-global-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  const tokens = new TokenRegistry(join(dir, 'tokens.json'));
  admin = tokens.create('admin', 'admin');
  predictions = new PredictionLog({ path: join(dir, 'db.sqlite') });
  api = await startApiServer({ store, tokens, port: 0, predictions: (q) => predictions.query(q) });
  const ns = KINDS.find((k) => k.plural === 'namespaces')!;
  const tp = KINDS.find((k) => k.plural === 'trafficplans')!;
  for (const name of ['default', 'risk']) await api.resources.create({ info: ns, version: 'v1', namespace: '' }, { metadata: { name } }, SYSTEM);
  const plan = parse(readFileSync(join(ROOT, 'examples/plans/iris-v2.yaml'), 'utf8'));
  plan.metadata.namespace = 'risk';
  await api.resources.create({ info: tp, version: 'v1alpha1', namespace: 'risk' }, plan, SYSTEM);
  predictions.enqueue({ requestId: 'req-1', time: Date.now(), namespace: 'risk', service: 'iris', revision: 'iris-predictor-00001', role: 'primary', status: 200, latencyMs: 3, output: '{"predictions":[1]}' });
  await predictions.flush();
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [{ name: 'local', cluster: { server: api.url } }],
    users: [{ name: 'admin', user: { token: admin } }],
    contexts: [
      { name: 'main', context: { cluster: 'local', user: 'admin', namespace: 'default' } },
      { name: 'risk', context: { cluster: 'local', user: 'admin', namespace: 'risk' } },
    ],
  }));
});

after(async () => {
  await api.close();
  await predictions.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('global flags go before or after the verb', () => {
  test('plan kill with --kubeconfig before the verb and -n after it', async () => {
    const r = await sy(['--kubeconfig', kubeconfig, 'plan', 'kill', 'iris-v2', '-n', 'risk', '--no-wait', '--reason', 'drill']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'trafficplan.switchyard.dev/iris-v2 kill requested\n');
    assert.equal(await commandOnPlan(), 'kill');
  });

  test('plan pause with every flag after the verb, in the --flag=value and -nNS forms', async () => {
    const r = await sy(['plan', 'pause', 'iris-v2', '--no-wait', `--kubeconfig=${kubeconfig}`, '-nrisk']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await commandOnPlan(), 'pause');
  });

  test('-n and --namespace= before the verb', async () => {
    const short = await sy(['-n', 'risk', '--kubeconfig', kubeconfig, 'get', 'tp', 'iris-v2', '-o', 'name']);
    assert.equal(short.stdout, 'trafficplan.switchyard.dev/iris-v2\n', short.stderr);
    const long = await sy(['--namespace=risk', '--kubeconfig', kubeconfig, 'get', 'tp', '-o', 'jsonpath={.items[0].metadata.name}']);
    assert.equal(long.stdout, 'iris-v2', long.stderr);
  });

  test('--context picks a context and its namespace; an unknown one is named with the known ones', async () => {
    const r = await sy(['--kubeconfig', kubeconfig, '--context', 'risk', 'get', 'tp', '-o', 'name']);
    assert.equal(r.stdout, 'trafficplan.switchyard.dev/iris-v2\n', r.stderr);
    const inDefault = await sy(['--kubeconfig', kubeconfig, 'get', 'tp', '-o', 'name']);
    assert.equal(inDefault.stdout, '', 'the current context (namespace default) has no plan');
    const bad = await sy(['get', 'tp', '--context', 'nope', '--kubeconfig', kubeconfig]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /context "nope" does not exist in kubeconfig .*kubeconfig \(contexts: main, risk\) \(SY_ERR_CONFIG\)/);
  });

  test('--server and --token without a kubeconfig, before the verb', async () => {
    const r = await sy(['--server', api.url, '--token', admin, '-n', 'risk', 'plan', 'status', 'iris-v2', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parse(r.stdout).metadata.name, 'iris-v2');
    const denied = await sy(['-s', api.url, '--token', 'not-a-token', 'get', 'tp', '-n', 'risk']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Unauthorized/);
  });
});

describe('read verbs take -o json|yaml', () => {
  const k = () => ['--kubeconfig', kubeconfig, '-n', 'risk'];

  test('predictions: the rows the API answered', async () => {
    const json = await sy([...k(), 'predictions', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout).items;
    assert.deepEqual(rows.map((r: { requestId: string; service: string; status: number }) => [r.requestId, r.service, r.status]), [['req-1', 'iris', 200]]);
    const yaml = await sy(['predictions', ...k(), '-o', 'yaml']);
    assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
  });

  test('describe, audit log, audit verify and version', async () => {
    const described = JSON.parse((await sy([...k(), 'describe', 'tp', 'iris-v2', '-o', 'json'])).stdout);
    assert.equal(described.kind, 'TrafficPlan');
    const audit = parse((await sy([...k(), 'audit', 'log', '-o', 'yaml'])).stdout) as Array<{ verb: string; resource: string }>;
    assert.ok(audit.some((r) => r.verb === 'create' && r.resource.endsWith('/risk/iris-v2')), JSON.stringify(audit));
    const verify = JSON.parse((await sy([...k(), 'audit', 'verify', '-o', 'json'])).stdout);
    assert.equal(verify.ok, true);
    const version = parse((await sy([...k(), 'version', '-o', 'yaml'])).stdout);
    assert.match(version.serverVersion.gitVersion, /^v\d/);
  });

  test('lint and plan cost, which read files: the same report as json or yaml', async () => {
    const file = join(ROOT, 'examples/rollout/10-iris-v2-plan.yaml');
    for (const verb of [['lint', file], ['plan', 'cost', file, '--rps', '300']]) {
      const json = await sy([...verb, '-o', 'json']);
      assert.equal(json.code, 0, json.stderr);
      const yaml = await sy([...verb, '-o', 'yaml']);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout), verb.join(' '));
    }
  });

  test('lint and plan cost take the file as kubectl does (-f) as well as an argument, and say when none is given', async () => {
    const file = join(ROOT, 'examples/rollout/10-iris-v2-plan.yaml');
    for (const verb of [['lint'], ['plan', 'cost', '--rps', '300']]) {
      const positional = await sy([...verb, file, '-o', 'json']);
      const flagged = await sy([...verb, '-f', file, '-o', 'json']);
      assert.equal(flagged.code, 0, flagged.stderr);
      assert.deepEqual(JSON.parse(flagged.stdout), JSON.parse(positional.stdout), verb.join(' '));
      const none = await sy(verb);
      assert.equal(none.code, 1);
      assert.match(none.stderr, new RegExp(`no file given: switchyard ${verb.slice(0, 2).filter((w) => !w.startsWith('-')).join(' ')} FILE, or -f FILE`));
    }
  });

  test('an unknown format is refused with the allowed ones', async () => {
    const r = await sy([...k(), 'predictions', '-o', 'xml']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: unable to match a printer suitable for the output format "xml", allowed formats are: json,yaml (SY_ERR_CONFIG)\n');
  });
});
