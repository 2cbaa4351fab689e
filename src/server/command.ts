// `switchyard up` on the command line: flags, foreground run, signals.
import { Command } from 'commander';
import { addLimitFlags, duration, limitsFromFlags, port, type LimitFlags } from './limit-flags.ts';
import { DEFAULT_GRACE_MS } from '../runtime/supervisor/index.ts';
import { DRAIN_MS, up } from './up.ts';
import { DEFAULT_EVENT_TTL_MS } from './event-ttl.ts';

export function registerUpCommand(program: Command): void {
  const cmd = program
    .command('up')
    .description('Run Switchyard on this machine in the foreground: the kubectl-compatible API server and its dashboard, local model serving and the inference gateway')
    .option('--data-dir <dir>', 'where the database, tokens, kubeconfig, volumes and logs live; one command at a time holds it (its pid in switchyard.pid)', '.switchyard')
    .option('--api-port <port>', 'API server port', port, 8081)
    .option('--gateway-port <port>', 'inference gateway port (KServe-style Host routing to InferenceServices)', port, 8080)
    .option('--listen <address>', 'address to bind; loopback unless you mean to expose it', '127.0.0.1')
    .option('--apply <path...>', 'manifest files or directories to apply once the server is up')
    .option('--runtimes-dir <dir>', 'Python environments of the built-in Python runtimes (default $SWITCHYARD_RUNTIMES_DIR, else <data-dir>/runtimes)')
    .option('--demo', "tell KServe's canary story live once up: v1, v2 at 10 %, the split observed, promotion, rollback")
    .option('--feedback-join-window <duration>', 'how far before a feedback event its prediction is looked for when the request had no unit key (docs/feedback.md)', duration)
    .option('--event-ttl <duration>', `how long an Event is kept after it last happened, as kube-apiserver's --event-ttl (default: ${DEFAULT_EVENT_TTL_MS / 3_600_000}h)`, duration);
  addLimitFlags(cmd)
    .addHelpText('after', `
Examples:
  switchyard up                                  # data in ./.switchyard, API on 127.0.0.1:8081
  switchyard up --apply examples/quickstart      # and apply the quickstart manifests
  switchyard up --apply examples/quickstart --demo   # what npm start runs
  switchyard up --gateway-max-body 16Mi --api-max-watches 200
  kubectl --kubeconfig .switchyard/kubeconfig get isvc -A

The limits are described in docs/gateway.md and docs/api.md. TrafficPlan gates on Prometheus
ask the gate's provider.prometheus.address, else $SWITCHYARD_PROMETHEUS_URL (docs/prometheus.md).

Dashboard: https://127.0.0.1:8081/ui/ (the API port, HTTPS with the self-signed certificate in
<data-dir>/tls/server.crt). Sign in with a token: the admin one in <data-dir>/admin.token, or one
from \`switchyard token create --role viewer|operator|admin\`; controls appear only for roles that may use them.`)
    .action(async (opts: { dataDir: string; apiPort: number; gatewayPort: number; listen: string; apply?: string[]; runtimesDir?: string; demo?: boolean; feedbackJoinWindow?: number; eventTtl?: number } & LimitFlags) => {
      const limits = limitsFromFlags(opts);
      const running = await up({
        dataDir: opts.dataDir, apiPort: opts.apiPort, gatewayPort: opts.gatewayPort, listen: opts.listen,
        ...(opts.apply ? { apply: opts.apply } : {}), ...(opts.demo ? { demo: true } : {}),
        ...(opts.runtimesDir ? { runtimesDir: opts.runtimesDir } : {}),
        gatewayLimits: limits.gateway, apiLimits: limits.api,
        ...(opts.feedbackJoinWindow !== undefined ? { feedbackJoinWindowMs: opts.feedbackJoinWindow } : {}),
        ...(opts.eventTtl !== undefined ? { eventTtlMs: opts.eventTtl } : {}),
      });
      let stopping = false;
      const shutdown = (signal: string): void => {
        // A terminal's Ctrl-C reaches `npm start` and this process both, and npm passes it on: one
        // shutdown, however many signals. It is bounded; past the bound the process exits anyway,
        // and its exit handler kills the replicas still running.
        if (stopping) return void console.log(`${signal}: already shutting down`);
        stopping = true;
        console.log(`${signal}: shutting down`);
        setTimeout(() => {
          console.error(`shutdown did not finish within ${SHUTDOWN_BOUND_MS / 1000} s: exiting, replicas still running are killed`);
          process.exit(1);
        }, SHUTDOWN_BOUND_MS).unref();
        running.stop().then(() => process.exit(0), (err) => {
          console.error(err);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });
}

/** The drain's bound, the replicas' grace period (SIGTERM to SIGKILL) and a margin for closing the stores. */
const SHUTDOWN_BOUND_MS = DRAIN_MS + DEFAULT_GRACE_MS + 5000;
