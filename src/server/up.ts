// `switchyard up`: the composition root for one machine. Opens the data dir
// and store, starts the API server, applies the given manifests, and shuts
// everything down cleanly (docs/reliability.md): stop accepting, drain the
// requests in flight within a bound, stop the controllers, stop the
// replicas, close the stores.
import { openSqliteStore } from '../store/sqlite/store.ts';
import type { Store } from '../store/types.ts';
import { startApiServer, type ApiServer } from './apiserver/index.ts';
import { applyManifests } from './apply.ts';
import { lockDataDir, predictionsHashKey, prepareDataDir, writeKubeconfig, type DataDir } from './datadir.ts';
import { KINDS } from '../api/registry.ts';
import { ensureServingCert } from './tls.ts';
import { runCanaryStory } from './demo.ts';
import { runPlanStory } from './plan-demo.ts';
import { LocalServing, seedDemoVolume, servingHint } from './local/index.ts';
import { startGateway, type Gateway } from '../gateway/server.ts';
import { TelemetryRecorder } from '../gateway/telemetry/recorder.ts';
import { gatewayObservers } from '../gateway/telemetry/hooks.ts';
import { PredictionLog } from '../store/predictions.ts';
import type { HttpLimits } from '../core/http-limits.ts';
import type { DrainReport } from '../core/http-drain.ts';
import type { ApiLimits } from './apiserver/limits.ts';
import { startPlanController } from './plans.ts';
import { followPredictionPolicies } from './prediction-policies.ts';
import { policyView } from '../store/predictions-policy.ts';
import { defaultRuntimesDir } from '../runtime/python/environments.ts';
import { FeedbackStats } from '../gateway/feedback.ts';
import { dashboardHandler } from './dashboard.ts';
import { followPlanHistory } from './plan-history.ts';
import { PlanHistoryLog } from '../store/plan-history-log.ts';
import { telemetrySeries } from './telemetry-series.ts';
import { DEFAULT_EVENT_TTL_MS, startEventExpiry } from './event-ttl.ts';

export interface UpOptions {
  dataDir: string;
  apiPort: number;
  gatewayPort: number;
  listen: string;
  apply?: string[];
  /** Where the built-in Python runtimes' environments live (default $SWITCHYARD_RUNTIMES_DIR, else <data-dir>/runtimes). */
  runtimesDir?: string;
  /** Tell KServe's canary story live once everything is up (npm start). */
  demo?: boolean;
  /** Limits on the gateway's and the API server's clients, over their defaults. */
  gatewayLimits?: Partial<HttpLimits>;
  apiLimits?: Partial<ApiLimits>;
  /** How far before a feedback event a request id without a unit key is looked for (default 24h). */
  feedbackJoinWindowMs?: number;
  /** How long an Event is kept after it last happened, as kube-apiserver's --event-ttl (default 1h). */
  eventTtlMs?: number;
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
  const dir = prepareDataDir(opts.dataDir);
  const unlock = lockDataDir(dir.paths, 'switchyard up');
  try {
    return await startAll(opts, log, { ...dir, unlock });
  } catch (err) {
    unlock();
    throw err;
  }
}

/** Everything `up` runs, on a data dir this process holds (`unlock` lets it go at stop). */
async function startAll(opts: UpOptions, log: (line: string) => void, dir: ReturnType<typeof prepareDataDir> & { unlock: () => void }): Promise<Running> {
  const { paths, tokens, adminToken, unlock } = dir;
  const tls = await ensureServingCert(paths.tls, opts.listen);
  const store = await openSqliteStore({ path: paths.database });
  if (seedDemoVolume(paths.volumes)) log(`demo volume: copied examples/models to ${paths.volumes}/models (pvc://models/...)`);
  const serving = new LocalServing({ store, dataDir: paths.root, logDir: paths.logs, log, runtimesDir: opts.runtimesDir ?? defaultRuntimesDir(paths.root) });
  // Telemetry and the prediction log are fed after each response, off the request path. The log keeps
  // no request bodies unless a PredictionLogPolicy asks (docs/predictions.md); its hash key lives in the data dir.
  const predictions = new PredictionLog({
    path: paths.database, hashKey: predictionsHashKey(paths), ...(opts.feedbackJoinWindowMs ? { joinWindowMs: opts.feedbackJoinWindowMs } : {}),
  });
  // Feedback (docs/feedback.md) is posted to the gateway or the API server, joined and stored by the prediction log.
  const feedback = { record: (events: Parameters<PredictionLog['postFeedback']>[0]) => predictions.postFeedback(events), stats: new FeedbackStats() };
  const unwatchPolicies = await followPredictionPolicies(store, predictions, log);
  // 1 s buckets: plan windows (spec.window) are whole seconds and read bucket-aligned.
  const telemetry = new TelemetryRecorder({ bucketMs: 1000, predictionsDropped: () => predictions.dropped });
  const observers = gatewayObservers(telemetry, predictions);
  // The dashboard's charts: each plan's recent looks (kept in the database too) and the telemetry per revision over time.
  const historyLog = new PlanHistoryLog(paths.database, (err) => log(`plan history: a chart point was not kept: ${err.message}`));
  const planHistory = await followPlanHistory(store, { log: historyLog });
  let api: ApiServer;
  try {
    api = await startApiServer({
      store, tokens, tls, host: opts.listen, port: opts.apiPort, podLogs: serving.podLogs, ...(opts.apiLimits ? { limits: opts.apiLimits } : {}),
      telemetry: (q) => {
        // Sketches stay in-process (the plan controller merges them); the API answers their quantiles.
        const { latencySketch: _l, scores, ...stats } = telemetry.window({ ...q, sinceMs: Date.now() - q.windowMs });
        return { ...stats, ...(scores ? { scores: { count: scores.count, p50: scores.getValueAtQuantile(0.5), p90: scores.getValueAtQuantile(0.9) } } : {}) };
      },
      predictions: (q) => predictions.query(q),
      predictionPolicy: (namespace, service) => policyView(predictions.policy(namespace, service ?? '')),
      feedback: feedback.record, feedbackStats: feedback.stats,
      planHistory: (namespace, name) => planHistory.history.points(namespace, name),
      telemetrySeries: (q) => telemetrySeries(telemetry, q),
      ui: dashboardHandler(),
    });
  } catch (err) {
    planHistory.stop();
    historyLog.close();
    unwatchPolicies();
    await predictions.close();
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${opts.apiPort} on ${opts.listen} is in use (another switchyard up?); choose one with --api-port`);
    }
    throw err;
  }
  writeKubeconfig(paths.kubeconfig, api.url, adminToken, tls.cert);
  await ensureNamespace(api, 'default');
  log(`switchyard API server listening on ${api.url}`);
  log(`dashboard: ${api.url}/ui/   (sign in with a token: ${paths.adminTokenFile}, or \`switchyard token create --role viewer\`)`);
  log(`kubeconfig: ${paths.kubeconfig}   (kubectl --kubeconfig ${paths.kubeconfig} get isvc -A)`);
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      host: opts.listen, port: opts.gatewayPort, ...(opts.gatewayLimits ? { limits: opts.gatewayLimits } : {}),
      feedback: { ...feedback, authorize: (header) => void tokens.authorizeFeedback(header) },
      ingress: serving.ingress.current, endpoints: serving.ingress.endpoints,
      onDemand: (key) => serving.autoscaler.poke(key),
      coldStarting: (key) => serving.autoscaler.coldStarting(key),
      // Telemetry (outputs sampled per series, copied by the gateway) and the prediction log: src/gateway/telemetry/hooks.ts.
      ...observers,
      onResponse: (r) => {
        serving.autoscaler.countRequest(r.namespace, r.revision);
        observers.onResponse(r);
      },
    });
  } catch (err) {
    await serving.stop();
    await api.close();
    planHistory.stop();
    historyLog.close();
    unwatchPolicies();
    await predictions.close();
    await store.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${opts.gatewayPort} on ${opts.listen} is in use; choose one with --gateway-port`);
    }
    throw err;
  }
  serving.attachGateway(gateway);
  await serving.start();
  const plans = startPlanController({ store, telemetry, predictions, log });
  const eventExpiry = startEventExpiry({ store, ttlMs: opts.eventTtlMs ?? DEFAULT_EVENT_TTL_MS, log });
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
    void runCanaryStory({ resources: api.resources, gatewayUrl, routingSettled: () => serving.ingress.settled(), log })
      .then(() => runPlanStory({ resources: api.resources, gatewayUrl, log }))
      .catch((err: Error) => log(`demo stopped: ${err.message}`));
  }

  let stopping: Promise<void> | undefined;
  return {
    api, store, paths, adminToken,
    // In order: stop accepting and drain what was taken, stop the controllers, stop the replicas, close the stores.
    stop() {
      stopping ??= (async () => {
        // Both listeners stop accepting at once (new connections are refused); requests in flight are answered.
        const drains = Promise.all([gateway.close(DRAIN_MS), api.close(DRAIN_MS)]);
        log(`shutting down: no new connections; draining requests in flight (at most ${DRAIN_MS / 1000} s)`);
        const [gw, apiServer] = await drains;
        log(drainSummary('gateway', gw));
        log(drainSummary('API server', apiServer));
        await plans.stop();
        await eventExpiry.stop();
        planHistory.stop();
        historyLog.close();
        unwatchPolicies();
        // Its controllers first, then every replica (SIGTERM, SIGKILL after their grace); their pods are deleted.
        await serving.stop();
        log('replicas stopped');
        await predictions.close();
        await store.close();
        unlock();
      })();
      return stopping;
    },
  };
}

/** How long a shutdown waits for requests in flight before closing their connections. */
export const DRAIN_MS = 5000;

function drainSummary(listener: string, r: DrainReport): string {
  return `${listener}: ${r.inFlight} request(s) in flight at shutdown, drained in ${(r.ms / 1000).toFixed(2)} s, ${r.cutOff} cut off; `
    + `${r.accepted} accepted since start, ${r.answered} answered`;
}
