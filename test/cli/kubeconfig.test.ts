import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { currentConnection, loadConnection, parseKubeconfig, resolveKubeconfigPath } from '../../src/cli/kubeconfig.ts';

const valid = `apiVersion: v1
kind: Config
clusters:
- name: switchyard
  cluster: {server: "http://127.0.0.1:8081/"}
- name: other
  cluster: {server: "http://10.0.0.1:6443"}
users:
- name: admin
  user: {token: sy-admin-123}
contexts:
- name: local
  context: {cluster: switchyard, user: admin, namespace: search}
- name: remote
  context: {cluster: other}
current-context: local
`;

test('path: --kubeconfig, then the first entry of $KUBECONFIG, then .switchyard/kubeconfig in cwd', () => {
  assert.deepEqual(resolveKubeconfigPath('my.yaml', { KUBECONFIG: '/a' }, '/w'), { path: '/w/my.yaml', from: '--kubeconfig' });
  assert.deepEqual(resolveKubeconfigPath(undefined, { KUBECONFIG: '/a/one:/b/two' }, '/w'), { path: '/a/one', from: '$KUBECONFIG' });
  assert.deepEqual(resolveKubeconfigPath(undefined, { KUBECONFIG: '' }, '/w'), { path: '/w/.switchyard/kubeconfig', from: 'default' });
  assert.deepEqual(resolveKubeconfigPath(undefined, {}, '/w'), { path: '/w/.switchyard/kubeconfig', from: 'default' });
});

test('the current context gives server (without trailing slash), token and namespace', () => {
  const conn = currentConnection(parseKubeconfig(valid, 'kc'), 'kc');
  assert.deepEqual(conn, { server: 'http://127.0.0.1:8081', token: 'sy-admin-123', namespace: 'search' });
  const remote = currentConnection(parseKubeconfig(valid.replace('current-context: local', 'current-context: remote'), 'kc'), 'kc');
  assert.deepEqual(remote, { server: 'http://10.0.0.1:6443' });
});

test('a missing field is named with the file', () => {
  const noServer = valid.replace('cluster: {server: "http://127.0.0.1:8081/"}', 'cluster: {}');
  assert.throws(
    () => parseKubeconfig(noServer, '/tmp/kc'),
    (e: any) => e.code === 'SY_ERR_CONFIG' && e.message === 'kubeconfig /tmp/kc: missing field clusters[0].cluster.server',
  );
  assert.throws(() => parseKubeconfig(valid.replace('current-context: local\n', ''), '/tmp/kc'), /missing field current-context/);
  assert.throws(() => parseKubeconfig('just a string', '/tmp/kc'), (e: any) => e.code === 'SY_ERR_CONFIG' && /\/tmp\/kc/.test(e.message));
  assert.throws(() => parseKubeconfig('clusters: [', '/tmp/kc'), /not valid YAML/);
});

test('dangling references between contexts, clusters and users are reported', () => {
  assert.throws(() => currentConnection(parseKubeconfig(valid.replace('current-context: local', 'current-context: nope'), 'kc'), 'kc'), /current-context "nope" is not in contexts/);
  assert.throws(() => currentConnection(parseKubeconfig(valid.replace('user: admin, namespace', 'user: ghost, namespace'), 'kc'), 'kc'), /user "ghost"/);
  assert.throws(() => currentConnection(parseKubeconfig(valid.replace('cluster: switchyard, user', 'cluster: gone, user'), 'kc'), 'kc'), /cluster "gone"/);
});

test('loadConnection reads the default file in cwd and lets --server/--token override it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-kc-'));
  mkdirSync(join(dir, '.switchyard'));
  writeFileSync(join(dir, '.switchyard', 'kubeconfig'), valid);
  assert.equal(loadConnection({}, {}, dir).token, 'sy-admin-123');
  assert.deepEqual(loadConnection({ server: 'http://127.0.0.1:9999', token: 't2' }, {}, dir), { server: 'http://127.0.0.1:9999', token: 't2', namespace: 'search' });
});

test('a missing kubeconfig says where it looked and how to get one; --server alone is enough', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-kc-'));
  assert.throws(
    () => loadConnection({}, {}, dir),
    (e: any) => e.code === 'SY_ERR_CONFIG' && e.message.includes(join(dir, '.switchyard/kubeconfig')) && e.message.includes('switchyard up'),
  );
  assert.throws(() => loadConnection({}, { KUBECONFIG: '/nonexistent/kc' }, dir), /\/nonexistent\/kc \(from \$KUBECONFIG\)/);
  assert.deepEqual(loadConnection({ server: 'http://127.0.0.1:1/' }, {}, dir), { server: 'http://127.0.0.1:1' });
});

test('the cluster CA comes from certificate-authority-data or a file relative to the kubeconfig', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const withData = valid.replace('cluster: {server: "http://127.0.0.1:8081/"}', `cluster: {server: "https://127.0.0.1:8081", certificate-authority-data: ${Buffer.from(pem).toString('base64')}}`);
  assert.equal(currentConnection(parseKubeconfig(withData, 'kc'), 'kc').ca, pem);
  const dir = mkdtempSync(join(tmpdir(), 'sy-kc-'));
  writeFileSync(join(dir, 'ca.crt'), pem);
  const withFile = valid.replace('cluster: {server: "http://127.0.0.1:8081/"}', 'cluster: {server: "https://127.0.0.1:8081", certificate-authority: ca.crt}');
  assert.equal(currentConnection(parseKubeconfig(withFile, join(dir, 'kc')), join(dir, 'kc')).ca, pem);
  assert.throws(() => currentConnection(parseKubeconfig(withFile, '/nonexistent/kc'), '/nonexistent/kc'), /\/nonexistent\/ca\.crt cannot be read/);
  const notBase64 = valid.replace('cluster: {server: "http://127.0.0.1:8081/"}', 'cluster: {server: "https://x", certificate-authority-data: "%%%"}');
  assert.throws(() => parseKubeconfig(notBase64, 'kc'), /clusters\[0\]\.cluster\.certificate-authority-data/);
});
