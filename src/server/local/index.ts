// Local serving, wired: supervisor (replicas as pods) → store (PodSink),
// deployer (supervisor + storage initializer) → isvc controller. `up`
// creates one, passes podLogs to the API server, starts it once the API
// server runs, and stops it before the store closes.
import { syError } from '../../core/errors.ts';
import { LocalAutoscaler } from '../../controllers/autoscaler/index.ts';
import { IsvcController } from '../../controllers/isvc/index.ts';
import { Supervisor, type SupervisorOptions } from '../../runtime/supervisor/index.ts';
import type { Actor, Store } from '../../store/types.ts';
import { ensureBuiltinRuntimes } from './builtin-runtimes.ts';
import { LocalDeployer } from './deployer.ts';
import { StorePodSink, removeStalePods } from './pod-sink.ts';
import { LocalIngress } from './ingress.ts';
import { storageCredentials } from './storage-credentials.ts';
import { defaultRuntimesDir } from '../../runtime/python/environments.ts';
import type { Gateway } from '../../gateway/server.ts';

export { BUILTIN_ONNX_RUNTIME, builtinOnnxRuntime, builtinRuntimes } from './builtin-runtimes.ts';
export { PID_ANNOTATION } from './pod-sink.ts';
export { seedDemoVolume, servingHint } from './demo.ts';

export const CONTROLLER_ACTOR: Actor = { name: 'controller:isvc' };

export interface LocalServingOptions {
  store: Store;
  dataDir: string;
  logDir: string;
  domain?: string;
  log?: (line: string) => void;
  /** Where the Python runtimes' environments live; defaults to $SWITCHYARD_RUNTIMES_DIR or <dataDir>/runtimes. */
  runtimesDir?: string;
  /** Probe, backoff, grace and the like (tests shorten them). */
  supervisor?: Omit<SupervisorOptions, 'publish'>;
}

export class LocalServing {
  readonly supervisor: Supervisor;
  readonly sink: StorePodSink;
  readonly deployer: LocalDeployer;
  readonly controller: IsvcController;
  readonly ingress: LocalIngress;
  readonly autoscaler: LocalAutoscaler;
  readonly runtimesDir: string;
  private gateway: Gateway | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: LocalServingOptions) {
    let supervisor: Supervisor | undefined;
    this.sink = new StorePodSink(opts.store, CONTROLLER_ACTOR, (pod) => supervisor?.pid(pod));
    supervisor = new Supervisor({ ...opts.supervisor, publish: this.sink });
    this.supervisor = supervisor;
    this.runtimesDir = opts.runtimesDir ?? defaultRuntimesDir(opts.dataDir);
    this.deployer = new LocalDeployer({
      supervisor, dataDir: opts.dataDir, logDir: opts.logDir, runtimesDir: this.runtimesDir,
      storageOptions: (template) => storageCredentials(opts.store, template),
      ...(opts.log ? { log: opts.log } : {}),
    });
    this.ingress = new LocalIngress(opts.store, supervisor, opts.domain);
    this.autoscaler = new LocalAutoscaler({
      inflight: (key) => this.gateway?.inflight(key) ?? 0,
      ready: (key) => this.ingress.endpoints.ready(key),
      buffered: (key) => this.ingress.endpoints.buffered(key),
      onChange: (key) => this.controller.revisionChanged(key),
      ...(opts.log ? { log: opts.log } : {}),
    });
    this.controller = new IsvcController({
      store: opts.store, deployer: this.deployer, actor: CONTROLLER_ACTOR,
      replicas: (template, annotations, o) => this.autoscaler.desired(template, annotations, o?.coldAllowed === true),
      // The gateway serves each predictor under a path prefix, so a transformer's
      // http://{predictor_host}/v1/models/NAME:predict reaches the predictor, not itself.
      predictorHost: (ns, name) => (this.gateway ? `127.0.0.1:${this.gateway.port}/predictor/${ns}/${name}` : `${name}-predictor.${ns}`),
      ...(opts.domain ? { domain: opts.domain } : {}), ...(opts.log ? { log: opts.log } : {}),
    });
  }

  /** The gateway whose in-flight requests drive the autoscaler; attach it before start(). */
  attachGateway(gateway: Gateway): void {
    this.gateway = gateway;
  }

  /** For the API server's pods/NAME/log (kubectl logs). */
  readonly podLogs = (namespace: string, pod: string, o: { tailLines?: number; follow?: boolean; signal?: AbortSignal }): AsyncIterable<string> => {
    if (this.supervisor.pod(pod)?.metadata.namespace !== namespace) {
      throw syError('SY_ERR_NOT_FOUND', `pods "${pod}" not found`, { details: { name: pod, kind: 'pods' } });
    }
    return this.supervisor.readLog(pod, o);
  };

  /** Clears pods of a previous run, creates the built-in runtimes, starts reconciling. */
  async start(): Promise<void> {
    const stale = await removeStalePods(this.opts.store, CONTROLLER_ACTOR);
    if (stale > 0) this.opts.log?.(`removed ${stale} pod(s) left from a previous run; their replicas are recreated`);
    await ensureBuiltinRuntimes(this.opts.store, CONTROLLER_ACTOR, this.runtimesDir);
    this.unsubscribe = this.supervisor.onChange((n) => this.controller.revisionChanged(n.key));
    await this.ingress.start();
    this.autoscaler.start();
    await this.controller.start();
  }

  /** Stops reconciling and every replica, and waits until their pods are deleted from the store. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.autoscaler.stop();
    this.ingress.stop();
    await this.controller.stop();
    await this.deployer.stopAll();
    await this.supervisor.stopAll();
    await this.sink.drain();
  }
}
