// `switchyard controller`: the TrafficPlan controller `switchyard up` runs,
// run against a Kubernetes API server instead. The controller is the same
// class; what changes is what it is given: the cluster's objects through
// KubeStore (plans validated on read by the admitting store), windows from
// Prometheus and the logger sink, and a Lease so that of several replicas
// exactly one acts. A replica that loses the Lease exits at once (as
// client-go's leader election ends the process): its pod restarts as a
// follower, and the new leader resumes every plan from its status.
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { PlanController } from '../controllers/plan/controller.ts';
import type { OutcomeReader, ProviderReader } from '../controllers/plan/observe.ts';
import { syError } from '../core/errors.ts';
import { readClusterWindow } from '../kube/cluster-window.ts';
import { LeaderElector } from '../kube/lease.ts';
import type { MetricSource } from '../kube/metric-templates.ts';
import { admittingStore } from '../kube/plan-admission.ts';
import { prometheusProviderResults } from '../kube/prometheus.ts';
import { sinkReader } from '../kube/sink-client.ts';
import { KubeStore } from '../kube/store.ts';

export interface ClusterControllerOptions {
  /** A kubeconfig file; without one, the pod's service account (in a cluster) or $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  /** Where the Lease lives (the controller's own namespace). */
  leaseNamespace: string;
  leaseName: string;
  /** This replica's name in the Lease and its Events (the pod name in a cluster). */
  identity?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  prometheusUrl?: string;
  metricSource: MetricSource;
  sinkUrl?: string;
  tickMs: number;
  log: (line: string) => void;
}

export interface RunningClusterController {
  identity: string;
  /** Resolves when the controller stops: false when it lost the Lease (the process should exit non-zero). */
  done: Promise<boolean>;
  stop(): Promise<void>;
}

/** The cluster's credentials: a kubeconfig file, the in-cluster service account, or the default kubeconfig. */
export function loadKubeConfig(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw syError('SY_ERR_CONFIG', `cannot load the kubeconfig${file ? ` ${file}` : ''}: ${(err as Error).message}`);
  }
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster()) throw syError('SY_ERR_CONFIG', `the kubeconfig${file ? ` ${file}` : ''} names no cluster${context ? ` for context ${context}` : ''}`);
  return kc;
}

export async function runClusterController(opts: ClusterControllerOptions): Promise<RunningClusterController> {
  const kubeConfig = loadKubeConfig(opts.kubeconfig, opts.context);
  const identity = opts.identity ?? `${hostname()}-${process.pid}`;
  const log = opts.log;
  const kube = new KubeStore({ kubeConfig, instance: identity, log });
  const store = admittingStore(kube, log);
  const elector = new LeaderElector({
    store: kube, namespace: opts.leaseNamespace, name: opts.leaseName, identity,
    leaseDurationMs: opts.leaseDurationMs, renewDeadlineMs: opts.renewDeadlineMs, retryPeriodMs: opts.retryPeriodMs, log,
  });
  const sink = opts.sinkUrl ? sinkReader(opts.sinkUrl) : undefined;
  const window = { ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}), source: opts.metricSource, ...(sink ? { sink } : {}), log };
  const providers: ProviderReader = (gates, ctx) => prometheusProviderResults(gates, {
    namespace: ctx.namespace, service: ctx.service, candidate: ctx.candidateRevision ?? '', baseline: ctx.baselineRevision,
    window: ctx.windowMs, now: () => ctx.atMs, ...(opts.prometheusUrl ? { defaultAddress: opts.prometheusUrl } : {}),
  });
  const readOutcomes: OutcomeReader | undefined = sink ? ({ fromCandidateStart, ...q }) => sink.outcomes({ ...q, ...(fromCandidateStart ? { fromCandidateStart: 'true' } : {}) }) : undefined;
  const controller = new PlanController({
    store,
    readWindow: (q) => readClusterWindow(window, q),
    providers,
    ...(readOutcomes ? { readOutcomes } : {}),
    tickMs: opts.tickMs,
    log,
  });

  const abort = new AbortController();
  const done = (async (): Promise<boolean> => {
    log(`controller ${identity}: waiting for lease ${opts.leaseNamespace}/${opts.leaseName}`);
    if (!(await elector.acquire(abort.signal))) return true;
    log(`controller ${identity}: leading; running TrafficPlans`);
    await controller.start();
    const kept = await elector.renewUntil(abort.signal);
    await controller.stop();
    if (!kept) log(`controller ${identity}: lost lease ${opts.leaseNamespace}/${opts.leaseName}; stopping`);
    return kept;
  })();

  return {
    identity,
    done,
    async stop() {
      abort.abort();
      await done.catch(() => undefined);
      await controller.stop();
      await elector.release().catch((err: Error) => log(`controller ${identity}: releasing the lease: ${err.message}`));
      await kube.close();
    },
  };
}
