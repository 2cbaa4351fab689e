// What the cluster suite runs against: a real kube-apiserver with etcd
// (test/cluster/control-plane.ts) holding the real KServe and Istio CRDs and
// deploy/'s CRD and RBAC; a test double for KServe's controller (it turns an
// InferenceService's spec into the status KServe would write: a new
// revision per storageUri, the canary split, promotion, rollback); a
// metrics exporter that serves Istio's standard metrics for the traffic
// each revision would get under that split, scraped by a real Prometheus;
// and `switchyard controller` processes logged in as the service account
// deploy/rbac.yaml grants.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { freePort, ROOT, type ControlPlane } from './control-plane.ts';
import { until } from '../until.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ISVC = { group: 'serving.kserve.io', version: 'v1beta1', plural: 'inferenceservices' };

interface Revision { name: string; storageUri: string }
interface ServiceState { revisions: Revision[]; rolledOut?: string; previous?: string }

/**
 * Traffic share of each revision of one InferenceService, as KServe's status.components.predictor.traffic says;
 * `tag` with tag routing on (latest, prev): a tagged revision also answers on its tag host.
 */
export type Split = Array<{ revision: Revision; percent: number; tag?: 'latest' | 'prev' }>;

/**
 * KServe's controller, as far as a TrafficPlan can see it: every new
 * storageUri is a new revision NAME-predictor-0000N (ready at once); with
 * canaryTrafficPercent the latest revision gets that share and the last
 * rolled-out one the rest; without it the latest is rolled out at 100 %.
 * A storageUri containing "missing" fails to load: modelStatus says
 * BlockedByFailedLoad with lastFailureInfo naming the revision, as KServe does.
 * With `serving.kserve.io/enable-tag-routing: "true"` the two revisions of a
 * split carry the tags latest and prev, as KServe names them.
 * Every canaryTrafficPercent it saw is kept, in order, per service.
 */
export class KServeDouble {
  private readonly api: CustomObjectsApi;
  private readonly services = new Map<string, ServiceState>();
  readonly splits = new Map<string, Split>();
  readonly canaryHistory = new Map<string, Array<number | 'removed'>>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(cp: ControlPlane) {
    this.api = cp.kubeConfig().makeApiClient(CustomObjectsApi);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.pass().catch(() => undefined).finally(() => (this.busy = false));
    }, 150);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async pass(): Promise<void> {
    const list = (await this.api.listCustomObjectForAllNamespaces(ISVC)) as { items: Obj[] };
    for (const isvc of list.items) await this.reconcile(isvc);
  }

  private async reconcile(isvc: Obj): Promise<void> {
    const key = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
    const predictor = isvc.spec.predictor as Obj;
    const uri = String(predictor.model?.storageUri ?? '');
    const s = this.services.get(key) ?? { revisions: [] };
    this.services.set(key, s);
    if (s.revisions.at(-1)?.storageUri !== uri) {
      s.revisions.push({ name: `${isvc.metadata.name}-predictor-${String(s.revisions.length + 1).padStart(5, '0')}`, storageUri: uri });
    }
    const latest = s.revisions.at(-1)!;
    const canary = predictor.canaryTrafficPercent as number | undefined;
    const history = this.canaryHistory.get(key) ?? [];
    const seen = canary ?? 'removed';
    if (history.at(-1) !== seen && !(history.length === 0 && seen === 'removed')) history.push(seen);
    this.canaryHistory.set(key, history);
    if (canary === undefined || !s.rolledOut) {
      if (s.rolledOut !== latest.name) {
        s.previous = s.rolledOut;
        s.rolledOut = latest.name;
      }
    }
    const rolled = s.revisions.find((r) => r.name === s.rolledOut)!;
    const tags = isvc.metadata.annotations?.['serving.kserve.io/enable-tag-routing'] === 'true';
    const split: Split = canary === undefined || rolled === latest
      ? [{ revision: latest, percent: 100 }]
      : [{ revision: latest, percent: canary, ...(tags ? { tag: 'latest' as const } : {}) }, { revision: rolled, percent: 100 - canary, ...(tags ? { tag: 'prev' as const } : {}) }];
    this.splits.set(key, split);
    const failed = latest.storageUri.includes('missing');
    const mode = isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'];
    if (mode === 'RawDeployment' || mode === 'Standard') return this.standard(isvc);
    const status = {
      ...(failed ? { modelStatus: { transitionStatus: 'BlockedByFailedLoad', lastFailureInfo: { reason: 'ModelLoadFailed', message: `storage-initializer: ${latest.storageUri} not found`, modelRevisionName: latest.name } } } : {}),
      observedGeneration: isvc.metadata.generation,
      url: `http://${isvc.metadata.name}.${isvc.metadata.namespace}.example.com`,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }],
      components: {
        predictor: {
          latestCreatedRevision: latest.name, latestReadyRevision: latest.name, latestRolledoutRevision: s.rolledOut,
          ...(s.previous ? { previousRolledoutRevision: s.previous } : {}),
          traffic: split.map((t) => ({ revisionName: t.revision.name, percent: t.percent, latestRevision: t.revision === latest, ...(t.tag ? { tag: t.tag } : {}) })),
        },
      },
    };
    if (JSON.stringify(isvc.status?.components) === JSON.stringify(status.components) && JSON.stringify(isvc.status?.modelStatus) === JSON.stringify(status.modelStatus) && isvc.status?.observedGeneration === status.observedGeneration) return;
    await this.api.replaceNamespacedCustomObjectStatus({ ...ISVC, namespace: isvc.metadata.namespace, name: isvc.metadata.name, body: { ...isvc, status } });
  }

  /** Standard (RawDeployment) mode, as KServe reports it: one Deployment, no revisions or traffic in the status, canaryTrafficPercent ignored. */
  private async standard(isvc: Obj): Promise<void> {
    const url = `http://${isvc.metadata.name}.${isvc.metadata.namespace}.example.com`;
    const status = {
      observedGeneration: isvc.metadata.generation, url, deploymentMode: 'RawDeployment',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }],
      components: { predictor: { url } },
    };
    if (isvc.status?.observedGeneration === status.observedGeneration && isvc.status?.deploymentMode === 'RawDeployment') return;
    await this.api.replaceNamespacedCustomObjectStatus({ ...ISVC, namespace: isvc.metadata.namespace, name: isvc.metadata.name, body: { ...isvc, status } });
  }
}

/**
 * Istio's standard metrics (reporter="destination") for the traffic the
 * mesh would carry: `rps` requests a second per InferenceService, split by
 * the double's status, and per VirtualService, split by its first http
 * route's weights (read from the API server as the sidecars would). A
 * revision tagged `latest` also gets `previewShare` of `rps` on its tag host
 * (people trying a blue-green preview). A
 * revision whose storageUri, or a destination whose subset, contains
 * "degraded" answers 30 % with 503. Latency: every request in the 25 ms bucket.
 */
export class IstioMetrics {
  /** Label set (without response_code) → requests answered 200 and 503. */
  private readonly counts = new Map<string, { ok: number; failed: number }>();
  private readonly vsApi: CustomObjectsApi;
  private vsSplits: Array<{ labels: string; weight: number; degraded: boolean }[]> = [];
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private vsTimer: NodeJS.Timeout | undefined;
  port = 0;

  constructor(cp: ControlPlane, private readonly kserve: KServeDouble, private readonly rps = 600, private readonly previewShare = 0.2) {
    this.vsApi = cp.kubeConfig().makeApiClient(CustomObjectsApi);
  }

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(this.text());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    const tickMs = 100;
    this.timer = setInterval(() => {
      const n = this.rps * tickMs / 1000;
      for (const [key, split] of this.kserve.splits) {
        const namespace = key.split('/')[0]!;
        for (const { revision, percent, tag } of split) {
          const share = percent / 100 + (tag === 'latest' ? this.previewShare : 0);
          this.add(`destination_workload_namespace="${namespace}",destination_workload="${revision.name}-deployment"`, n * share, revision.storageUri.includes('degraded'));
        }
      }
      for (const routes of this.vsSplits) {
        const total = routes.reduce((a, r) => a + r.weight, 0) || 1;
        for (const r of routes) this.add(r.labels, n * r.weight / total, r.degraded);
      }
    }, tickMs);
    this.vsTimer = setInterval(() => void this.readVirtualServices().catch(() => undefined), 150);
  }

  private add(labels: string, n: number, degraded: boolean): void {
    const c = this.counts.get(labels) ?? { ok: 0, failed: 0 };
    const failed = degraded ? n * 0.3 : 0;
    c.ok += n - failed;
    c.failed += failed;
    this.counts.set(labels, c);
  }

  private async readVirtualServices(): Promise<void> {
    const list = (await this.vsApi.listCustomObjectForAllNamespaces({ group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' })) as { items: Obj[] };
    this.vsSplits = list.items.map((vs) => ((vs.spec.http?.[0]?.route ?? []) as Obj[]).map((d) => {
      const host = String(d.destination.host);
      const fqdn = host.includes('.') ? host : `${host}.${vs.metadata.namespace}.svc.cluster.local`;
      const subset = String(d.destination.subset ?? '');
      return { labels: `destination_service="${fqdn}",destination_version="${subset}"`, weight: Number(d.weight ?? 0), degraded: subset.includes('degraded') };
    }));
  }

  private text(): string {
    const lines = ['# TYPE istio_requests_total counter', '# TYPE istio_request_duration_milliseconds histogram'];
    for (const [labels, c] of this.counts) {
      const base = `reporter="destination",${labels}`;
      const ok = Math.floor(c.ok);
      const failed = Math.floor(c.failed);
      lines.push(`istio_requests_total{${base},response_code="200"} ${ok}`, `istio_requests_total{${base},response_code="503"} ${failed}`);
      for (const le of ['5', '25', '100', '+Inf']) lines.push(`istio_request_duration_milliseconds_bucket{${base},le="${le}"} ${le === '5' ? 0 : ok + failed}`);
      lines.push(`istio_request_duration_milliseconds_count{${base}} ${ok + failed}`, `istio_request_duration_milliseconds_sum{${base}} ${(ok + failed) * 20}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.vsTimer);
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

export interface Prometheus { url: string; stop(): Promise<void> }

/** A real Prometheus scraping `target` every 500 ms. */
export async function startPrometheus(target: number): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cluster-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: {scrape_interval: 500ms, scrape_timeout: 400ms, evaluation_interval: 1s}',
    'scrape_configs:',
    '  - job_name: istio-mesh',
    `    static_configs: [{targets: ["127.0.0.1:${target}"]}]`,
  ].join('\n'));
  let log = '';
  const proc = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await until('prometheus to be ready', async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000, () => log.slice(-2000));
  return {
    url,
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ControllerProcess {
  identity: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `switchyard controller` as its own process, with short lease timings so a takeover fits in a test. */
export function startController(kubeconfig: string, identity: string, prometheusUrl: string, sinkUrl: string): ControllerProcess {
  let out = '';
  const proc = spawn(process.execPath, [
    join(ROOT, 'bin/switchyard.js'), 'controller', '--kubeconfig', kubeconfig, '--identity', identity, '--prometheus-url', prometheusUrl, '--sink-url', sinkUrl,
    '--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '500ms', '--tick', '500ms',
  ], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return {
    identity, proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

/** `switchyard sink` as its own process on a free loopback port. */
export async function startSinkProcess(dataDir: string, feedbackTokensFile?: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  let out = '';
  const tokens = feedbackTokensFile ? ['--feedback-tokens-file', feedbackTokensFile] : [];
  const proc = spawn(process.execPath, [join(ROOT, 'bin/switchyard.js'), 'sink', '--port', String(port), '--data-dir', dataDir, ...tokens], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await until('switchyard sink to answer', async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined), 30_000, () => out);
  return {
    url,
    async stop() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

/**
 * KServe's payload logger, as its agent sends to spec.predictor.logger.url:
 * for `rps` inferences a second per InferenceService, split as the double's
 * status says, a request and a response CloudEvent (binary mode, one ce-id)
 * from the revision's pod. A revision whose storageUri contains "shifted"
 * answers class 2 every time; the others answer classes 0 and 1 in turn.
 * With a feedback token, the application's side too: a `purchase` event
 * posted to the sink's feedback API for 1 inference in 10 ("lowconv" in the
 * storageUri: 1 in 50), joined by the ce-id as a real application's would be.
 */
export class PayloadLogger {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private busy = false;

  constructor(private readonly kserve: KServeDouble, private readonly sinkUrl: string, private readonly rps = 100, private readonly feedbackToken?: string) {}

  start(): void {
    const tickMs = 200;
    const carry = new Map<string, number>();
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      const posts: Array<Promise<unknown>> = [];
      for (const [key, split] of this.kserve.splits) {
        const [namespace, service] = key.split('/') as [string, string];
        for (const { revision, percent } of split) {
          const due = (carry.get(revision.name) ?? 0) + (this.rps * tickMs / 1000) * percent / 100;
          const n = Math.floor(due);
          carry.set(revision.name, due - n);
          for (let i = 0; i < n; i++) posts.push(this.inference(namespace, service, revision.name, revision.storageUri.includes('shifted') ? 2 : this.seq % 2, revision.storageUri.includes('lowconv') ? 50 : 10));
        }
      }
      void Promise.allSettled(posts).finally(() => (this.busy = false));
    }, tickMs);
  }

  private async inference(namespace: string, service: string, revision: string, label: number, buyEvery: number): Promise<void> {
    const seq = ++this.seq;
    const id = `req-${seq}`;
    const headers = (kind: string) => ({
      'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': `org.kubeflow.serving.inference.${kind}`,
      'ce-source': `http://localhost:9081/${revision}-deployment-6d4f9b7c8-x2k9p`, 'ce-inferenceservicename': service, 'ce-namespace': namespace, 'ce-component': 'predictor', 'ce-endpoint': '',
    });
    await fetch(this.sinkUrl, { method: 'POST', headers: headers('request'), body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }) });
    await fetch(this.sinkUrl, { method: 'POST', headers: headers('response'), body: JSON.stringify({ predictions: [label] }) });
    // One inference in buyEvery converts (seq counts across revisions, which take turns in blocks: the share holds over time).
    if (this.feedbackToken && seq % buyEvery === 0) {
      await fetch(`${this.sinkUrl}/switchyard/v1/feedback`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.feedbackToken}` },
        body: JSON.stringify({ requestId: id, namespace, metric: 'purchase', value: 1 }),
      });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
