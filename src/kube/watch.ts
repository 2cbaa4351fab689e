// One long-lived watch on the API server, as informers keep one: it resumes
// from the last resourceVersion it saw when the server ends the stream (it
// does every few minutes), and when that version has expired (410 Gone) it
// lists again and delivers the difference — ADDED for objects it never saw,
// MODIFIED for changed ones, DELETED for those gone — then watches from the
// list. So a consumer sees every object's latest state, whatever the gaps.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { sleep } from '../core/sleep.ts';
import type { KubeObject, ListOptions, ListResult, WatchEvent, WatchOptions } from '../store/types.ts';
import { formatLabelSelector, resourcePath, type ClusterResource } from './resources.ts';

/** Wait before reconnecting after a failed watch request. */
const RETRY_MS = 1000;

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class KubeWatch {
  private readonly watch: Watch;
  /** The last copy of every object in the watched set: what a relist is compared with. */
  private readonly known = new Map<string, KubeObject>();
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private relist = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly r: ClusterResource,
    private readonly opts: WatchOptions,
    private readonly onEvent: (e: WatchEvent) => void,
    private readonly listFn: (o: ListOptions) => Promise<ListResult>,
    private readonly log?: (line: string) => void,
  ) {
    this.watch = new Watch(kubeConfig);
  }

  /** Resolves once the first watch request is open. Without a resourceVersion, only changes from now on are delivered. */
  async start(): Promise<void> {
    if (this.opts.resourceVersion !== undefined) this.resourceVersion = this.opts.resourceVersion;
    else await this.list(false);
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private listOptions(): ListOptions {
    const { resourceVersion: _, ...rest } = this.opts;
    return rest;
  }

  /** Lists the watched set; with `deliver`, reports what changed since the objects last seen. */
  private async list(deliver: boolean): Promise<void> {
    const { items, resourceVersion } = await this.listFn(this.listOptions());
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, o);
      if (!deliver) continue;
      if (!before) this.onEvent({ type: 'ADDED', object: o });
      else if (before.metadata.resourceVersion !== o.metadata.resourceVersion) this.onEvent({ type: 'MODIFIED', object: o });
    }
    for (const [k, o] of [...this.known]) {
      if (seen.has(k)) continue;
      this.known.delete(k);
      if (deliver) this.onEvent({ type: 'DELETED', object: o });
    }
    this.resourceVersion = resourceVersion;
  }

  private query(): Record<string, string> {
    const q: Record<string, string> = { allowWatchBookmarks: 'true' };
    if (this.resourceVersion) q.resourceVersion = this.resourceVersion;
    const labels = formatLabelSelector(this.opts.labelSelector);
    if (labels) q.labelSelector = labels;
    if (this.opts.name !== undefined) q.fieldSelector = `metadata.name=${this.opts.name}`;
    return q;
  }

  private handle(type: string, obj: KubeObject & { code?: number; message?: string }): void {
    if (type === 'BOOKMARK') {
      this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
      return;
    }
    if (type === 'ERROR') {
      // 410: the version we resume from is older than the server keeps.
      if (obj.code === 410) this.relist = true;
      else this.log?.(`watch ${this.r.resource}: ${obj.message ?? 'error'}`);
      this.abort?.abort();
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    const object = { apiVersion: this.r.group ? `${this.r.group}/${this.r.version}` : this.r.version, kind: this.r.kind, ...(obj as object) } as KubeObject;
    this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
    if (type === 'DELETED') this.known.delete(keyOf(object));
    else this.known.set(keyOf(object), object);
    this.onEvent({ type, object });
  }

  /** Opens one watch request (resolves once the server answered) and reconnects when it ends. */
  private async connect(): Promise<void> {
    const path = resourcePath(this.r, this.opts.namespace);
    let failed = false;
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.abort = await this.watch.watch(path, this.query(), (type, obj) => this.handle(type, obj as never), (err) => {
      if (err && !this.stopped && (err as Error).name !== 'AbortError') {
        failed = true;
        if ((err as { statusCode?: number }).statusCode === 410) this.relist = true;
        else this.log?.(`watch ${this.r.resource}: ${(err as Error).message}`);
      }
      ended();
    });
    if (this.stopped) this.abort.abort();
    void done.then(() => this.reconnect(failed));
  }

  private async reconnect(failed: boolean): Promise<void> {
    while (!this.stopped) {
      try {
        if (failed) await sleep(RETRY_MS);
        if (this.stopped) return;
        if (this.relist) {
          this.relist = false;
          await this.list(true);
        }
        await this.connect();
        return;
      } catch (err) {
        failed = true;
        this.log?.(`watch ${this.r.resource}: ${(err as Error).message}`);
      }
    }
  }
}
