// A real Kubernetes control plane on loopback, as envtest runs one: etcd and
// kube-apiserver built from their Go modules by scripts/kube-control-plane.sh
// (cached in ~/.cache/switchyard/bin), a service-account key pair so the API
// server issues service-account tokens (TokenRequest), a static token file
// for the admin, and --authorization-mode=RBAC so a service account can do
// exactly what its Roles grant. No nodes, no controller manager: objects are
// stored, validated, defaulted, watched and authorized; nothing runs them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { KubeConfig } from '@kubernetes/client-node';
import { skipUnless } from '../prerequisite.ts';
import { until } from '../until.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN_DIR = process.env.SY_KUBE_BIN_DIR ?? join(homedir(), '.cache', 'switchyard', 'bin');
const script = readFileSync(join(ROOT, 'scripts', 'kube-control-plane.sh'), 'utf8');
const KUBE_VERSION = /KUBE_VERSION="\$\{SY_KUBE_VERSION:-([^}]+)\}"/.exec(script)![1]!;
const ETCD_VERSION = /ETCD_VERSION="([^"]+)"/.exec(script)![1]!;
export const APISERVER = join(BIN_DIR, `kube-apiserver-${KUBE_VERSION}`);
export const ETCD = join(BIN_DIR, `etcd-${ETCD_VERSION}`);
export const KUBECTL = process.env.SY_KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

/** node:test's skip for tests that need the control plane (fails in CI: .ci/run builds it). */
export const NEEDS_CONTROL_PLANE = skipUnless(
  existsSync(APISERVER) && existsSync(ETCD) && existsSync(KUBECTL),
  `kube-apiserver ${KUBE_VERSION} and etcd ${ETCD_VERSION} are not built (run scripts/kube-control-plane.sh; .ci/run does), or ${KUBECTL} is missing`,
);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface ControlPlane {
  url: string;
  /** PEM bundle that verifies the API server's self-signed serving certificate. */
  ca: string;
  adminToken: string;
  dir: string;
  /** A kubeconfig file for this token (admin by default), for kubectl and `switchyard --kubeconfig`. */
  kubeconfigFile(token?: string, name?: string): string;
  kubeConfig(token?: string): KubeConfig;
  /** kubectl as admin (or with `token`); resolves with its output, throws on a non-zero exit unless `allowFail`. */
  kubectl(args: string[], opts?: { token?: string; input?: string; allowFail?: boolean }): { code: number; stdout: string; stderr: string };
  /** kubectl apply of CRD manifests (files or objects), waiting until each is Established and its storage answers. */
  installCrds(manifests: Array<string | object>): Promise<void>;
  /** A service-account token the API server signs (TokenRequest), valid for an hour. */
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

function started(proc: ChildProcess, what: string, log: () => string): Promise<never> {
  return new Promise((_, reject) => proc.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${log().slice(-4000)}`))));
}

export interface ControlPlaneOptions {
  /** Admission plugins turned off besides ServiceAccount (e.g. NamespaceLifecycle, so objects may name namespaces that do not exist). */
  disableAdmission?: string[];
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  let log = '';
  const collect = (p: ChildProcess, tag: string) => {
    p.stdout!.on('data', (d) => (log += `[${tag}] ${d}`));
    p.stderr!.on('data', (d) => (log += `[${tag}] ${d}`));
  };
  const etcd = spawn(ETCD, [
    '--name', 'sy', '--data-dir', join(dir, 'etcd'), '--log-level', 'warn', '--unsafe-no-fsync',
    '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `sy=http://127.0.0.1:${peerPort}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(etcd, 'etcd');
  const etcdDied = started(etcd, 'etcd', () => log);
  await Promise.race([etcdDied, until('etcd to be healthy', async () => {
    const res = await fetch(`http://127.0.0.1:${etcdPort}/health`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }, 30_000)]);

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const adminToken = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`);
  mkdirSync(join(dir, 'certs'));
  const apiserver = spawn(APISERVER, [
    '--advertise-address=127.0.0.1', '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, `--cert-dir=${join(dir, 'certs')}`,
    `--etcd-servers=http://127.0.0.1:${etcdPort}`, '--authorization-mode=RBAC', `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`, '--service-cluster-ip-range=10.0.0.0/24',
    // No controller manager gives namespaces a default ServiceAccount; nothing here creates pods.
    `--disable-admission-plugins=${['ServiceAccount', ...(opts.disableAdmission ?? [])].join(',')}`, '--allow-privileged=true', '--enable-priority-and-fairness=false',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(apiserver, 'apiserver');
  const apiDied = started(apiserver, 'kube-apiserver', () => log);
  const url = `https://127.0.0.1:${apiPort}`;
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  await Promise.race([apiDied, until('kube-apiserver to be ready', async () => {
    const res = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${adminToken}` }, dispatcher: insecure }).catch(() => undefined);
    return res?.status === 200 ? true : undefined;
  }, 90_000, () => log.slice(-2000))]);
  const ca = readFileSync(join(dir, 'certs', 'apiserver.crt'), 'utf8');

  let files = 0;
  const kubeconfigFile = (token = adminToken, name = 'admin'): string => {
    const path = join(dir, `kubeconfig-${name}-${++files}`);
    writeFileSync(path, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'sy',
      clusters: [{ name: 'sy', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
      users: [{ name, user: { token } }],
      contexts: [{ name: 'sy', context: { cluster: 'sy', user: name, namespace: 'default' } }],
    }));
    return path;
  };
  const adminConfig = kubeconfigFile();
  const kubectl = (args: string[], opts: { token?: string; input?: string; allowFail?: boolean } = {}) => {
    const config = opts.token ? kubeconfigFile(opts.token, 'user') : adminConfig;
    const r = spawnSync(KUBECTL, ['--kubeconfig', config, '--cache-dir', join(dir, 'kubecache'), ...args], { input: opts.input, encoding: 'utf8', timeout: 60_000 });
    const out = { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    if (out.code !== 0 && !opts.allowFail) throw new Error(`kubectl ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
    return out;
  };
  return {
    url, ca, adminToken, dir, kubeconfigFile, kubectl,
    kubeConfig(token = adminToken) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigFile(token, 'client'));
      return kc;
    },
    async installCrds(manifests) {
      const names: string[] = [];
      for (const m of manifests) {
        const out = typeof m === 'string'
          ? kubectl(['apply', '--server-side', '-f', m, '-o', 'name'])
          : kubectl(['apply', '--server-side', '-f', '-', '-o', 'name'], { input: JSON.stringify(m) });
        names.push(...out.stdout.split('\n').filter((l) => l.startsWith('customresourcedefinition')));
      }
      // Polled rather than `kubectl wait`, which fails while a new CRD has no conditions yet.
      for (const n of names) {
        await until(`${n} to be Established`, () => {
          const r = kubectl(['get', n, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'], { allowFail: true });
          return r.stdout === 'True' ? true : undefined;
        }, 60_000);
      }
      // Established comes a moment before the new storage serves: list each until it answers.
      for (const n of names) {
        const resource = n.split('/')[1]!;
        await until(`${resource} to be served`, () => (kubectl(['get', resource, '-A'], { allowFail: true }).code === 0 ? true : undefined), 30_000);
      }
    },
    async serviceAccountToken(namespace, name) {
      const res = kubectl(['create', 'token', name, '-n', namespace, '--duration', '1h']);
      return res.stdout.trim();
    },
    output: () => log,
    async stop() {
      for (const p of [apiserver, etcd]) {
        if (p.exitCode !== null) continue;
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (p.exitCode === null) p.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
