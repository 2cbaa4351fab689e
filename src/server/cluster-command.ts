// Cluster mode on the command line: `switchyard controller` (the TrafficPlan
// controller against a Kubernetes API server), `switchyard sink` (the
// receiver for KServe's payload logger) and `switchyard export` (a data
// directory's objects as cluster manifests). Flags, foreground run, signals.
import { Command, Option } from 'commander';
import { METRIC_SOURCES, type MetricSource } from '../kube/metric-templates.ts';
import { PROMETHEUS_URL_ENV } from '../kube/prometheus.ts';
import { runClusterController } from './cluster-controller.ts';
import { duration, port } from './limit-flags.ts';
import { exportManifests } from './export.ts';
import { startSink } from './sink.ts';

const line = (text: string) => console.log(`${new Date().toISOString()} ${text}`);

function onSignals(stop: () => Promise<void>): void {
  const shutdown = (signal: string): void => {
    line(`${signal}: shutting down`);
    stop().then(() => process.exit(0), (err) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

interface ControllerFlags {
  kubeconfig?: string;
  context?: string;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  prometheusUrl?: string;
  metricSource: MetricSource;
  sinkUrl?: string;
  tick: number;
}

export function registerClusterCommands(program: Command): void {
  program
    .command('controller')
    .description("Run the TrafficPlan controller against a Kubernetes cluster with KServe and Istio: it watches TrafficPlans and moves InferenceServices' canaryTrafficPercent and VirtualService weights")
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease (the controller\'s own)', process.env.POD_NAMESPACE || 'switchyard-system')
    .option('--lease-name <name>', 'name of the leader-election Lease', 'switchyard-controller')
    .option('--identity <name>', 'this replica\'s name in the Lease and its Events (default $POD_NAME, else host-pid)', process.env.POD_NAME || undefined)
    .addOption(new Option('--lease-duration <duration>', 'how long a Lease is valid without renewal; a dead leader is replaced within it').argParser(duration).default(15_000, '15s'))
    .addOption(new Option('--renew-deadline <duration>', 'how long the leader tries to renew before it stops leading').argParser(duration).default(10_000, '10s'))
    .addOption(new Option('--retry-period <duration>', 'interval between Lease attempts').argParser(duration).default(2_000, '2s'))
    .option('--prometheus-url <url>', `Prometheus for health windows and provider gates (default $${PROMETHEUS_URL_ENV})`, process.env[PROMETHEUS_URL_ENV] || undefined)
    .addOption(new Option('--metric-source <source>', 'which standard metrics the health windows read').choices([...METRIC_SOURCES]).default('istio'))
    .option('--sink-url <url>', 'a `switchyard sink` for model-output gates and outcome feedback (e.g. http://switchyard-sink.switchyard-system:8080)')
    .addOption(new Option('--tick <duration>', 'how often every plan is looked at (commands are acted on at once)').argParser(duration).default(1_000, '1s'))
    .addHelpText('after', `
The global --kubeconfig and --context choose the cluster (default: the pod's service account in a
cluster, else $KUBECONFIG or ~/.kube/config). Run one or more replicas; one leads through the Lease, the others wait. Install the CRD,
RBAC and Deployment with \`kubectl apply -k deploy/\` (docs/cluster.md).

Examples:
  switchyard controller --kubeconfig ~/.kube/config --prometheus-url http://prometheus.istio-system:9090
  kubectl apply -f plan.yaml && kubectl get tp -w
  kubectl annotate tp iris-v2 switchyard.dev/command=rollback   # commands are annotations`)
    .action(async (_opts: unknown, cmd: Command) => {
      // --kubeconfig and --context are the program's global options (src/cli/context.ts).
      const f = cmd.optsWithGlobals<ControllerFlags>();
      const running = await runClusterController({
        ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}), ...(f.context ? { context: f.context } : {}),
        leaseNamespace: f.leaseNamespace, leaseName: f.leaseName, ...(f.identity ? { identity: f.identity } : {}),
        leaseDurationMs: f.leaseDuration, renewDeadlineMs: f.renewDeadline, retryPeriodMs: f.retryPeriod,
        ...(f.prometheusUrl ? { prometheusUrl: f.prometheusUrl } : {}), metricSource: f.metricSource,
        ...(f.sinkUrl ? { sinkUrl: f.sinkUrl } : {}), tickMs: f.tick, log: line,
      });
      onSignals(() => running.stop());
      // Lost the Lease: exit non-zero so the pod restarts as a follower, never acting beside the new leader.
      if (!(await running.done)) process.exit(1);
    });

  program
    .command('sink')
    .description("Receive KServe's payload-logger CloudEvents (spec.predictor.logger.url) and keep each revision's output telemetry for the controller's model-output gates")
    .option('--data-dir <dir>', 'where the prediction log lives; one command at a time holds it (its pid in switchyard.pid)', '.switchyard-sink')
    .option('--port <port>', 'port to listen on', port, 8080)
    .option('--listen <address>', 'address to bind (0.0.0.0 in a pod, so the logger can reach it)', '127.0.0.1')
    .option('--unit-header <name>', 'a request header (in the logger\'s metadataHeaders) that names the unit, for per-unit outcomes')
    .option('--feedback-tokens-file <file>', 'bearer tokens that may POST outcome feedback to /switchyard/v1/feedback, one per line (mount a Secret); without it the sink takes no feedback')
    .addHelpText('after', `
Outcome feedback (clicks, purchases, labels) is joined by request id: KServe's logger uses the
request's Ce-Id header as the event id (else a random one the client never sees), so send
Ce-Id: <your request id> with each inference request, or name the unit with --unit-header.

Examples:
  switchyard sink --listen 0.0.0.0 --data-dir /var/lib/switchyard-sink --feedback-tokens-file /etc/switchyard/feedback/tokens
  switchyard feedback post --server http://switchyard-sink.switchyard-system:8080 --token "$TOKEN" \\
    --request-id "$CE_ID" --metric click --value 1`)
    .action(async (f: { dataDir: string; port: number; listen: string; unitHeader?: string; feedbackTokensFile?: string }) => {
      const starting = startSink({
        dataDir: f.dataDir, port: f.port, listen: f.listen, log: line,
        ...(f.unitHeader ? { unitHeader: f.unitHeader } : {}), ...(f.feedbackTokensFile ? { feedbackTokensFile: f.feedbackTokensFile } : {}),
      });
      // Handled from the start: a signal just after "listening" still closes the log and lets go of the data dir.
      onSignals(async () => (await starting).stop());
      await starting;
    });

  program
    .command('export')
    .description("Print a data directory's InferenceServices, VirtualServices and TrafficPlans as manifests for a cluster (status and server fields left out)")
    .option('--data-dir <dir>', 'the data directory of `switchyard up`', '.switchyard')
    .addHelpText('after', `
All namespaces unless the global -n/--namespace names one.

Examples:
  switchyard export > manifests.yaml && kubectl apply -f manifests.yaml
  switchyard export -n prod --data-dir /srv/switchyard | kubectl apply --dry-run=server -f -`)
    .action(async (_opts: unknown, cmd: Command) => {
      const f = cmd.optsWithGlobals<{ dataDir: string; namespace?: string }>();
      process.stdout.write(await exportManifests(f.dataDir, f.namespace));
    });
}
