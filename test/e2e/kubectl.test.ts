// Real kubectl (1.27 and 1.33) against the real `switchyard up` binary:
// discovery, create/apply/get/describe/patch/replace/wait/delete of every
// kind, tables, selectors, errors and auth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KUBECTL_VERSIONS, ROOT, apiFetch, kubectl, removeDir, startUp, type Up } from './harness.ts';

const KINDS_FILE = join(ROOT, 'test/e2e/fixtures/kinds.yaml');
const docs = parseAllDocuments(readFileSync(KINDS_FILE, 'utf8')).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } });

/** kubectl's TYPE argument for each fixture document, fully qualified so both versions agree. */
const TYPE: Record<string, string> = {
  ClusterServingRuntime: 'clusterservingruntimes.serving.kserve.io',
  ServingRuntime: 'servingruntimes.serving.kserve.io',
  InferenceService: 'inferenceservices.serving.kserve.io',
  InferenceGraph: 'inferencegraphs.serving.kserve.io',
  VirtualService: 'virtualservices.networking.istio.io',
  ServiceEntry: 'serviceentries.networking.istio.io',
  DestinationRule: 'destinationrules.networking.istio.io',
  TrafficPlan: 'trafficplans.switchyard.dev',
};

function nsArgs(doc: { metadata: { namespace?: string } }): string[] {
  return doc.metadata.namespace ? ['-n', doc.metadata.namespace] : [];
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

for (const version of KUBECTL_VERSIONS) {
  describe(`kubectl ${version}`, { concurrency: false }, () => {
    let up: Up;
    const k = (args: string[], opts?: { input?: string; timeoutMs?: number }) => kubectl(version, up, args, opts);

    before(async () => {
      up = await startUp();
    });
    after(async () => {
      await up.stop();
      removeDir(up.dataDir);
    });

    test('api-resources lists every kind with its short names', async () => {
      const out = ok(await k(['api-resources']), 'api-resources');
      for (const [name, short] of [['inferenceservices', 'isvc'], ['inferencegraphs', 'ig'], ['virtualservices', 'vs'], ['serviceentries', 'se'], ['destinationrules', 'dr'], ['trafficplans', 'tp']]) {
        assert.match(out, new RegExp(`^${name}\\s+${short}\\s`, 'm'), `${name} with short name ${short}`);
      }
      assert.match(out, /^servingruntimes\s/m);
      assert.match(out, /^clusterservingruntimes\s/m);
    });

    test('create namespace, then every kind: create, get, describe, patch, replace, wait, delete', async () => {
      ok(await k(['create', 'namespace', 'e2e']), 'create namespace');
      for (const doc of docs) {
        const type = TYPE[doc.kind]!;
        const name = doc.metadata.name;
        const yaml = JSON.stringify(doc);
        assert.match(ok(await k(['create', '-f', '-'], { input: yaml }), `create ${doc.kind}`), /created/);
        const got = JSON.parse(ok(await k(['get', type, name, ...nsArgs(doc), '-o', 'json']), `get ${doc.kind}`));
        assert.equal(got.kind, doc.kind);
        assert.ok(got.metadata.uid, 'uid set');
        assert.equal(got.metadata.generation, 1);
        assert.match(ok(await k(['get', type, ...nsArgs(doc)]), `get ${doc.kind} table`), new RegExp(`^${name}\\s`, 'm'));
        const described = ok(await k(['describe', type, name, ...nsArgs(doc)]), `describe ${doc.kind}`);
        assert.match(described, new RegExp(`Name:\\s+${name}`));
        ok(await k(['patch', type, name, ...nsArgs(doc), '--type', 'merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}']), `merge patch ${doc.kind}`);
        ok(await k(['patch', type, name, ...nsArgs(doc), '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/jsonpatched","value":"yes"}]']), `json patch ${doc.kind}`);
        const labels = JSON.parse(ok(await k(['get', type, name, ...nsArgs(doc), '-o', 'jsonpath={.metadata.labels}']), 'labels'));
        assert.equal(labels.patched, 'merge');
        assert.equal(labels.jsonpatched, 'yes');
        const replaced = { ...got, metadata: { ...got.metadata, labels: { replaced: 'true' } } };
        delete replaced.metadata.resourceVersion;
        ok(await k(['replace', '-f', '-'], { input: JSON.stringify(replaced) }), `replace ${doc.kind}`);
        ok(await k(['wait', `${type}/${name}`, ...nsArgs(doc), '--for=jsonpath={.metadata.labels.replaced}=true', '--timeout=20s']), `wait ${doc.kind}`);
      }
      // Delete in reverse order, each through kubectl delete (which waits for the object to go).
      for (const doc of [...docs].reverse()) {
        assert.match(ok(await k(['delete', TYPE[doc.kind]!, doc.metadata.name, ...nsArgs(doc)]), `delete ${doc.kind}`), /deleted/);
        const gone = await k(['get', TYPE[doc.kind]!, doc.metadata.name, ...nsArgs(doc)]);
        assert.notEqual(gone.code, 0);
        assert.match(gone.stderr, /NotFound|not found/);
      }
    });

    test('apply -f multi-document: created, unchanged, configured, last-applied annotation', async () => {
      const first = ok(await k(['apply', '-f', KINDS_FILE]), 'apply');
      assert.equal((first.match(/ created/g) ?? []).length, docs.length, first);
      const again = ok(await k(['apply', '-f', KINDS_FILE]), 'apply again');
      assert.equal((again.match(/ unchanged/g) ?? []).length, docs.length, again);
      const isvc = JSON.parse(ok(await k(['get', 'isvc', 'iris', '-n', 'e2e', '-o', 'json']), 'get'));
      assert.ok(isvc.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      const changed = readFileSync(KINDS_FILE, 'utf8').replace('canaryTrafficPercent: 10', 'canaryTrafficPercent: 50');
      const out = ok(await k(['apply', '-f', '-'], { input: changed }), 'apply changed');
      assert.match(out, /inferenceservice.serving.kserve.io\/iris configured/);
      const after = JSON.parse(ok(await k(['get', 'isvc', 'iris', '-n', 'e2e', '-o', 'json']), 'get'));
      assert.equal(after.spec.predictor.canaryTrafficPercent, 50);
      assert.equal(after.metadata.generation, 2);
    });

    test('get: KServe columns, -l selectors, -A, -o yaml and jsonpath', async () => {
      const table = ok(await k(['get', 'isvc', '-n', 'e2e']), 'get isvc');
      assert.match(table.split('\n')[0]!, /^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+PREVROLLEDOUTREVISION\s+LATESTREADYREVISION\s+AGE\s*$/);
      assert.match(ok(await k(['get', 'isvc', '-n', 'e2e', '-l', 'team=risk', '-o', 'name']), 'selector'), /inferenceservice.serving.kserve.io\/iris/);
      assert.equal(ok(await k(['get', 'isvc', '-n', 'e2e', '-l', 'team=nobody', '-o', 'name']), 'selector none').trim(), '');
      const all = ok(await k(['get', 'vs', '-A']), 'get -A');
      assert.match(all.split('\n')[0]!, /^NAMESPACE\s+NAME/);
      assert.match(all, /^e2e\s+iris-vs/m);
      assert.match(ok(await k(['get', 'tp', 'iris-v2', '-n', 'e2e', '-o', 'yaml']), 'yaml'), /kind: TrafficPlan/);
      assert.equal(ok(await k(['get', 'se', 'vllm', '-n', 'e2e', '-o', 'jsonpath={.spec.endpoints[0].address}']), 'jsonpath'), '127.0.0.1');
    });

    test('wait --for=condition=Ready returns when the status says so', async () => {
      // The real controller makes it Ready once the model server answers (a faked status would be rewritten by it).
      assert.match(ok(await k(['wait', 'isvc/iris', '-n', 'e2e', '--for=condition=Ready', '--timeout=90s'], { timeoutMs: 100_000 }), 'wait'), /condition met/);
      const table = ok(await k(['get', 'isvc', 'iris', '-n', 'e2e']), 'get');
      assert.match(table.split('\n')[1]!, /^iris\s+\S*\s*True\s/);
    });

    test('explain describes fields from the published OpenAPI', async () => {
      const out = ok(await k(['explain', 'inferenceservice.spec.predictor']), 'explain');
      assert.match(out, /canaryTrafficPercent/);
    });

    test('bad input: unknown field, out-of-range canary, invalid name, namespace mismatch', async () => {
      const unknown = await k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'bad', namespace: 'e2e' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'pvc://m/x' } }, bogus: 1 } }) });
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown field "spec.bogus"/);
      const range = await k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'bad', namespace: 'e2e' }, spec: { predictor: { canaryTrafficPercent: 101, model: { modelFormat: { name: 'onnx' } } } } }) });
      assert.notEqual(range.code, 0);
      assert.match(range.stderr, /canaryTrafficPercent/);
      const name = await k(['create', 'namespace', 'Bad_Name']);
      assert.notEqual(name.code, 0);
      assert.match(name.stderr, /RFC 1123|invalid/i);
      const nsMismatch = await k(['apply', '-n', 'default', '-f', '-'], { input: JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x', namespace: 'e2e' }, spec: { hosts: ['x.external'] } }) });
      assert.notEqual(nsMismatch.code, 0);
      assert.match(nsMismatch.stderr, /namespace/);
      const missing = await k(['get', 'isvc', 'nope', '-n', 'e2e']);
      assert.match(missing.stderr, /NotFound.*"nope" not found/);
    });

    test('auth: a bad token is 401, a viewer cannot write (403)', async () => {
      const bad = await kubectl(version, up, ['--token', 'not-a-token', 'get', 'isvc', '-A']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /Unauthorized|logged in/);
      const res = await apiFetch(up, '/switchyard/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'viewer', name: `viewer-${version}` }) });
      assert.equal(res.status, 201);
      const { token } = (await res.json()) as { token: string };
      ok(await kubectl(version, up, ['--token', token, 'get', 'isvc', '-A']), 'viewer get');
      const denied = await kubectl(version, up, ['--token', token, 'delete', 'isvc', 'iris', '-n', 'e2e']);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Forbidden|forbidden/);
      // Who am I, and may I: the reviews the dashboard asks too.
      assert.match(ok(await kubectl(version, up, ['--token', token, 'auth', 'whoami']), 'whoami'), new RegExp(`Username\\s+viewer-${version}[\\s\\S]*switchyard.dev/role\\s+\\[viewer\\]`));
      assert.equal(ok(await kubectl(version, up, ['--token', token, 'auth', 'can-i', 'list', 'tp', '-n', 'e2e']), 'can-i list').trim(), 'yes');
      const cannot = await kubectl(version, up, ['--token', token, 'auth', 'can-i', 'patch', 'tp', '-n', 'e2e']);
      assert.equal(cannot.code, 1);
      assert.match(cannot.stdout, /^no/);
      assert.equal(ok(await k(['auth', 'can-i', 'patch', 'tp', '-n', 'e2e']), 'admin can-i').trim(), 'yes');
    });

    test('delete namespace removes what it holds', async () => {
      ok(await k(['delete', 'namespace', 'e2e']), 'delete namespace');
      const left = await k(['get', 'isvc', 'iris', '-n', 'e2e']);
      assert.notEqual(left.code, 0);
    });
  });
}

test('replace with a stale resourceVersion is a 409 Conflict', async () => {
  const up = await startUp();
  try {
    const se = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x', namespace: 'default' }, spec: { hosts: ['x.external'] } };
    const file = join(up.dataDir, 'se.json');
    writeFileSync(file, JSON.stringify(se));
    ok(await kubectl('1.33', up, ['create', '-f', file]), 'create');
    const got = JSON.parse(ok(await kubectl('1.33', up, ['get', 'se', 'x', '-o', 'json']), 'get'));
    ok(await kubectl('1.33', up, ['label', 'se', 'x', 'a=b']), 'label');
    writeFileSync(file, JSON.stringify(got));
    const stale = await kubectl('1.33', up, ['replace', '-f', file]);
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /Conflict|the object has been modified/);
  } finally {
    await up.stop();
    removeDir(up.dataDir);
  }
});
