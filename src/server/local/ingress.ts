// Feeds the gateway: the ingress table compiled from InferenceService
// status (traffic split per revision), and the ready replica addresses of
// each revision from the supervisor. The table is swapped in one assignment.
import { compileIngress, type IngressService, type IngressTable, type TrafficTarget } from '../../gateway/ingress.ts';
import { EndpointRegistry } from '../../gateway/endpoints.ts';
import type { Supervisor } from '../../runtime/supervisor/index.ts';
import type { KubeObject, Store } from '../../store/types.ts';

const ISVCS = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const DEFAULT_ACTIVATOR_TIMEOUT_MS = 60_000;

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

/** The gateway's view of one InferenceService, from its spec and status. */
export function ingressServiceOf(isvc: KubeObject): IngressService {
  const predictor = rec(rec(isvc.spec).predictor);
  const traffic = (rec(rec(rec(isvc.status).components).predictor).traffic ?? []) as TrafficTarget[];
  const mode = isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'] ?? 'Knative';
  const knative = mode === 'Knative' || mode === 'Serverless';
  const timeout = typeof predictor.timeout === 'number' ? predictor.timeout * 1000 : DEFAULT_ACTIVATOR_TIMEOUT_MS;
  return {
    namespace: isvc.metadata.namespace ?? 'default',
    name: isvc.metadata.name,
    traffic,
    scaleFromZero: knative && predictor.minReplicas === 0,
    activatorTimeoutMs: timeout,
  };
}

export class LocalIngress {
  readonly endpoints = new EndpointRegistry();
  private table: IngressTable;
  private version = 0;
  private unwatch: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private compiling: Promise<void> | undefined;
  private again = false;

  constructor(private readonly store: Store, private readonly supervisor: Supervisor, private readonly domain = 'example.com') {
    this.table = compileIngress([], domain, 0);
  }

  readonly current = (): IngressTable => this.table;

  async start(): Promise<void> {
    this.unsubscribe = this.supervisor.onChange((n) => this.refreshEndpoints(n.revision));
    this.unwatch = await this.store.watch(ISVCS, {}, () => this.recompile());
    await this.recompile();
  }

  stop(): void {
    this.unwatch?.();
    this.unsubscribe?.();
  }

  private refreshEndpoints(revision: string): void {
    const origins = this.supervisor.endpoints(revision).map((e) => `http://127.0.0.1:${e.port}`);
    this.endpoints.set(revision, origins);
  }

  /** Coalesces bursts of status writes into one compile. */
  private recompile(): Promise<void> {
    if (this.compiling) {
      this.again = true;
      return this.compiling;
    }
    this.compiling = (async () => {
      do {
        this.again = false;
        const { items } = await this.store.list(ISVCS);
        this.table = compileIngress(items.map(ingressServiceOf), this.domain, ++this.version);
      } while (this.again);
    })().finally(() => (this.compiling = undefined));
    return this.compiling;
  }
}
