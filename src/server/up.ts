// `switchyard up`: the composition root for one machine. Opens the data dir
// and store, starts the API server, applies the given manifests, and shuts
// everything down cleanly on SIGINT/SIGTERM.
import { openSqliteStore } from '../store/sqlite/store.ts';
import type { Store } from '../store/types.ts';
import { startApiServer, type ApiServer } from './apiserver/index.ts';
import { applyManifests } from './apply.ts';
import { prepareDataDir, writeKubeconfig, type DataDir } from './datadir.ts';
import { KINDS } from '../api/registry.ts';
import { ensureServingCert } from './tls.ts';
import { runCanaryStory } from './demo.ts';
import { LocalServing, seedDemoVolume, servingHint } from './local/index.ts';
import { startGateway, type Gateway } from '../gateway/server.ts';
import { TelemetryRecorder } from '../gateway/telemetry/recorder.ts';
import { PredictionLog } from '../store/predictions.ts';

export interface UpOptions {
  dataDir: string;
  apiPort: number;
  gatewayPort: number;
  listen: string;
  apply?: string[];
  /** Tell KServe's canary story live once everything is up (npm start). */
  demo?: boolean;
  log?: (line: string) => void;
}

export interface Running {
  api: ApiServer;
  store: Store;
  paths: DataDir;
  adminToken: string;
  stop(): Promise<void>;
}

const SYSTEM = { name: 'system:switchyard' };

async function ensureNamespace(api: ApiServer, name: string): Promise<void> {
  const info = KINDS.find((k) => k.group === '' && k.plural === 'namespaces')!;
  try {
    await api.resources.get({ info, version: 'v1', namespace: '', name });
  } catch {
    await api.resources.create({ info, version: 'v1', namespace: '' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, SYSTEM);
  }
}

export async function up(opts: UpOptions): Promise<Running> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { paths, tokens, adminToken } = prepareDataDir(opts.dataDir);
  const tls = await ensureServingCert(paths.tls, opts.listen);
  const store = await openSqliteStore({ path: paths.database });
  if (seedDemoVolume(paths.volumes)) log(`demo volume: copied examples/models to ${paths.volumes}/models (pvc://models/...)`);
  const serving = new LocalServing({ store, dataDir: paths.root, logDir: paths.logs, log });
  // Telemetry and the prediction log are fed after each response, off the request path.
  const predictions = new PredictionLog({ path: paths.database });
  const telemetry = new TelemetryRecorder({ predictionsDropped: () => predictions.dropped });
  let api: ApiServer;
  try {
    api = await startApiServer({
      store, tokens, tls, host: opts.listen, port: opts.apiPort, podLogs: serving.podLogs,
      telemetry: (q) => {
        // Sketches stay in-process (the plan controller merges them); the API answers their quantiles.
        const { latencySketch: _l, scores, ...stats } = telemetry.window({ ...q, sinceMs: Date.now() - q.windowMs });
        return { ...stats, ...(scores ? { scores: { count: scores.count, p50: scores.getValueAtQuantile(0.5), p90: scores.getValueAtQuantile(0.9) } } : {}) };
      },
      predictions: (q) => predictions.query(q),
    });
  } catch (err) {
    predictions.close();
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${opts.apiPort} on ${opts.listen} is in use (another switchyard up?); choose one with --api-port`);
    }
    throw err;
  }
  writeKubeconfig(paths.kubeconfig, api.url, adminToken, tls.cert);
  await ensureNamespace(api, 'default');
  log(`switchyard API server listening on ${api.url}`);
  log(`kubeconfig: ${paths.kubeconfig}   (kubectl --kubeconfig ${paths.kubeconfig} get isvc -A)`);
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      host: opts.listen, port: opts.gatewayPort,
      ingress: serving.ingress.current, endpoints: serving.ingress.endpoints,
      onDemand: (rev) => serving.autoscaler.poke(rev),
      onResponse: (r) => {
        serving.autoscaler.countRequest(r.revision);
        telemetry.record(r); // role defaults to primary; extra fields (output) are ignored
        if (predictions.wants(r.namespace, r.service, r.requestId)) {
          predictions.enqueue({ requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, ...(r.route ? { route: r.route } : {}), variant: r.variant, revision: r.revision, role: 'primary', status: r.status, latencyMs: r.latencyMs, ...(r.output ? { output: r.output } : {}) });
        }
      },
      // Mirror answers: recorded under role 'mirror' and logged with the primary's request id for pairing.
      onMirrorResponse: (r) => {
        const { output, ...rest } = r;
        const series = telemetry.series({ ...rest, role: 'mirror' });
        telemetry.recordTo(series, { ...rest, ...(output && telemetry.wantsOutput(series) ? { responseBody: output } : {}) });
        predictions.enqueue({ requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, ...(r.route ? { route: r.route } : {}), variant: r.variant, revision: r.revision, role: 'mirror', status: r.status, latencyMs: r.latencyMs, ...(output ? { output } : {}) });
      },
      onMirrorDropped: (ns, svc, reason) => telemetry.mirrorDropped(ns, svc, reason),
      metrics: async () => ({ contentType: telemetry.contentType, body: await telemetry.metricsText() }),
    });
  } catch (err) {
    await serving.stop();
    await api.close();
    predictions.close();
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${opts.gatewayPort} on ${opts.listen} is in use; choose one with --gateway-port`);
    }
    throw err;
  }
  serving.attachGateway(gateway);
  await serving.start();
  log(`switchyard gateway listening on http://${opts.listen}:${gateway.port}`);

  for (const path of opts.apply ?? []) {
    for (const r of await applyManifests(api.resources, path, SYSTEM)) {
      log(r.outcome === 'failed' ? `apply ${r.source}: error: ${r.message}` : `apply ${r.source}: ${r.ref} ${r.outcome}`);
    }
  }
  const isvcs = (await store.list({ group: 'serving.kserve.io', resource: 'inferenceservices' })).items.slice(0, 3);
  for (const i of isvcs) log(`isvc ${i.metadata.namespace}/${i.metadata.name}: once Ready, predict through the gateway:\n${servingHint(paths.kubeconfig, i.metadata.namespace ?? 'default', i.metadata.name, gateway.port).join('\n')}`);

  if (opts.demo) {
    const gatewayUrl = `http://${opts.listen.includes(':') ? `[${opts.listen}]` : opts.listen}:${gateway.port}`;
    void runCanaryStory({ resources: api.resources, gatewayUrl, routingSettled: () => serving.ingress.settled(), log }).catch((err: Error) => log(`demo stopped: ${err.message}`));
  }

  let stopped = false;
  return {
    api, store, paths, adminToken,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.close(5000);
      await serving.stop();
      predictions.close();
      await api.close();
      await store.close();
    },
  };
}
