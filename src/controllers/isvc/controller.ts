// The InferenceService controller loop: watches InferenceServices and
// (Cluster)ServingRuntimes in the store, runs the pure reconcile for each
// changed InferenceService, writes its status, then starts and stops
// revisions through the Deployer port. One key at a time, coalesced: a burst
// of replica changes is one pass.
import { servingRuntimeSpec } from '../../api/kinds/servingruntime.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { isSwitchyardError } from '../../core/errors.ts';
import type { Actor, KubeObject, Store } from '../../store/types.ts';
import { reconcile } from './reconcile.ts';
import type { Deployer, RevisionTemplate, RuntimeCandidate, RuntimeKind } from './types.ts';

const ISVCS = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const RUNTIMES = { group: 'serving.kserve.io', resource: 'servingruntimes' };
const CLUSTER_RUNTIMES = { group: 'serving.kserve.io', resource: 'clusterservingruntimes' };
const RETRY_MS = 2000;

export interface IsvcControllerOptions {
  store: Store;
  deployer: Deployer;
  actor: Actor;
  now?: () => Date;
  domain?: string;
  log?: (line: string) => void;
  /** Where transformers and explainers reach the predictor (through the gateway). */
  predictorHost?: (namespace: string, name: string) => string;
  /** Replicas a revision should run (the autoscaler); defaults to its minimum. */
  replicas?: (template: RevisionTemplate, annotations: Record<string, string>, o?: { coldAllowed: boolean }) => number;
}

export class IsvcController {
  private readonly queue = new Set<string>();
  private readonly unwatch: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = new Map<string, string>();
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: IsvcControllerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? ((line) => console.log(line));
  }

  async start(): Promise<void> {
    const { store } = this.opts;
    this.unwatch.push(await store.watch(ISVCS, {}, (ev) => this.enqueue(keyOf(ev.object))));
    for (const type of [RUNTIMES, CLUSTER_RUNTIMES]) this.unwatch.push(await store.watch(type, {}, () => void this.enqueueAll()));
    await this.enqueueAll();
  }

  /** A replica of this revision (by revisionKey) changed state. */
  revisionChanged(key: string): void {
    const owner = this.opts.deployer.ownerOf(key);
    if (owner) this.enqueue(owner);
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    this.queue.add(key);
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  /** Resolves when nothing is queued (tests). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unwatch.splice(0)) u();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  private async enqueueAll(): Promise<void> {
    const { items } = await this.opts.store.list(ISVCS);
    for (const isvc of items) this.enqueue(keyOf(isvc));
  }

  private async pump(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      try {
        await this.reconcileKey(key);
      } catch (err) {
        const conflict = isSwitchyardError(err) && err.code === 'SY_ERR_CONFLICT';
        if (!conflict) this.log(`isvc controller: ${key}: ${err instanceof Error ? err.message : String(err)}`);
        this.retryLater(key, conflict ? 0 : RETRY_MS);
      }
    }
  }

  private retryLater(key: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(key);
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async runtimes(namespace: string): Promise<RuntimeCandidate[]> {
    const out: RuntimeCandidate[] = [];
    const add = (kind: RuntimeKind, items: KubeObject[]) => {
      for (const obj of items) {
        const spec = servingRuntimeSpec.safeParse(obj.spec);
        if (spec.success) out.push({ kind, name: obj.metadata.name, spec: spec.data, ...(obj.metadata.annotations ? { annotations: obj.metadata.annotations } : {}) });
      }
    };
    add('ServingRuntime', (await this.opts.store.list(RUNTIMES, { namespace })).items);
    add('ClusterServingRuntime', (await this.opts.store.list(CLUSTER_RUNTIMES)).items);
    return out;
  }

  private async reconcileKey(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const { store, deployer } = this.opts;
    const isvc = await store.get({ ...ISVCS, namespace, name });
    if (!isvc) {
      // Deleted: its replicas stop and the sink deletes their pods.
      await Promise.all(deployer.running(namespace, name).map((rev) => deployer.stop(namespace, rev)));
      return;
    }
    const scale = this.opts.replicas;
    const annotations = isvc.metadata.annotations ?? {};
    const out = reconcile({
      isvc, runtimes: await this.runtimes(namespace), deployer, now: this.now(),
      ...(this.opts.domain ? { domain: this.opts.domain } : {}),
      ...(this.opts.predictorHost ? { predictorHost: this.opts.predictorHost } : {}),
      ...(scale ? { replicas: (t: RevisionTemplate, o?: { coldAllowed: boolean }) => scale(t, annotations, o) } : {}),
    });
    // Status first: a revision runs only once its name is recorded, so a lost write never leaves an unnamed revision running.
    if (canonicalJson(out.status) !== canonicalJson(isvc.status)) {
      await store.update(ISVCS, { ...isvc, status: out.status }, { actor: this.opts.actor, subresource: 'status' });
    }
    for (const rev of out.stop) void deployer.stop(namespace, rev).catch((err) => this.log(`isvc controller: stopping ${rev}: ${(err as Error).message}`));
    for (const { template, replicas } of out.ensure) {
      try {
        deployer.ensure(template, replicas);
        this.failures.delete(key);
      } catch (err) {
        // Say it once, keep retrying quietly: the obstacle (e.g. a name clash) may go away.
        const message = err instanceof Error ? err.message : String(err);
        if (this.failures.get(key) !== message) this.log(`isvc controller: ${key}: ${message}`);
        this.failures.set(key, message);
        this.retryLater(key, RETRY_MS);
      }
    }
    if (out.becameReady) this.announce(isvc, out.becameReady);
    // A keep-warm time to come: look again then (capped so a far deadline does not overflow the timer).
    if (out.requeueAfterMs !== undefined) this.retryLater(key, Math.min(out.requeueAfterMs + 50, 2 ** 31 - 1));
  }

  private announce(isvc: KubeObject, revision: string): void {
    const pod = this.opts.deployer.observe(isvc.metadata.namespace ?? 'default', revision)?.pods[0];
    const port = ((pod?.spec as { containers?: { ports?: { containerPort?: number }[] }[] } | undefined)?.containers?.[0]?.ports?.[0])?.containerPort;
    const where = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
    this.log(`isvc ${where}: revision ${revision} is ready${port ? `; pod ${pod!.metadata.name} serves on http://127.0.0.1:${port}/v1/models/${isvc.metadata.name}` : ''}`);
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
