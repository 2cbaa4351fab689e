// The Store interface over a real Kubernetes API server, so the same
// TrafficPlan controller that runs in `switchyard up` runs in a cluster:
// objects are the cluster's own (TrafficPlans by their CRD, KServe's
// InferenceServices, Istio's VirtualServices), the API server assigns uids,
// resourceVersions and generations, a stale resourceVersion is its 409
// (SY_ERR_CONFLICT), status is its /status subresource, and the audit log is
// Kubernetes Events on the objects (src/kube/audit-events.ts). Nothing is
// kept here: state lives in the cluster's objects.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { syError } from '../core/errors.ts';
import { auditResource } from '../store/objects.ts';
import type {
  AuditEntry, AuditQuery, AuditRecord, AuditVerification, DeleteOptions, KubeObject, ListOptions, ListResult, ObjectKey,
  ResourceType, Store, WatchEvent, WatchOptions, WriteOptions,
} from '../store/types.ts';
import { auditEvent, evidenceProblem, MANAGED_BY, MANAGED_BY_LABEL, recordOfEvent, type EventSource } from './audit-events.ts';
import { kubeError } from './errors.ts';
import { clusterResource, EVENTS, formatLabelSelector, type ClusterResource } from './resources.ts';
import { KubeWatch } from './watch.ts';

export interface KubeStoreOptions {
  kubeConfig: KubeConfig;
  /** Names the Events this process writes (reportingInstance): the pod name in a cluster. */
  instance?: string;
  now?: () => Date;
  log?: (line: string) => void;
}

type Json = Record<string, unknown>;

/** Typed core objects (Date fields) back to their wire form. */
const plain = (o: unknown): KubeObject => JSON.parse(JSON.stringify(o)) as KubeObject;

export class KubeStore implements Store {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly source: EventSource;
  private readonly watches = new Set<KubeWatch>();

  constructor(private readonly opts: KubeStoreOptions) {
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.source = { instance: opts.instance ?? 'switchyard', now: opts.now ?? (() => new Date()) };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw kubeError(err, what);
    }
  }

  private ref(r: ClusterResource, namespace: string) {
    return { group: r.group, version: r.version, plural: r.resource, namespace: namespace || 'default' };
  }

  async create(type: ResourceType, obj: KubeObject, _opts: WriteOptions): Promise<KubeObject> {
    const r = clusterResource(type);
    const body = structuredClone(obj);
    // The server owns these; a client value would be refused or ignored.
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete body.metadata[k];
    const what = `create ${r.resource} ${obj.metadata.name}`;
    if (r.group === '') return plain(await this.call(what, () => this.core.createNamespace({ body: body as never })));
    if (!r.namespaced) return this.call(what, () => this.custom.createClusterCustomObject({ group: r.group, version: r.version, plural: r.resource, body }));
    return this.call(what, () => this.custom.createNamespacedCustomObject({ ...this.ref(r, obj.metadata.namespace ?? ''), body }));
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const r = clusterResource(key);
    try {
      if (r.group === '') return plain(await this.core.readNamespace({ name: key.name }));
      if (!r.namespaced) return await this.custom.getClusterCustomObject({ group: r.group, version: r.version, plural: r.resource, name: key.name });
      return await this.custom.getNamespacedCustomObject({ ...this.ref(r, key.namespace), name: key.name });
    } catch (err) {
      const e = kubeError(err, `get ${r.resource} ${key.namespace}/${key.name}`);
      if ((e as { code?: string }).code === 'SY_ERR_NOT_FOUND') return undefined;
      throw e;
    }
  }

  async list(type: ResourceType, opts: ListOptions = {}): Promise<ListResult> {
    const r = clusterResource(type);
    const labelSelector = formatLabelSelector(opts.labelSelector);
    const fieldSelector = opts.name !== undefined ? `metadata.name=${opts.name}` : undefined;
    const q = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
    const what = `list ${r.resource}`;
    let list: { items?: unknown[]; metadata?: { resourceVersion?: string } };
    if (r.group === '') list = plain(await this.call(what, () => this.core.listNamespace(q))) as never;
    else if (!r.namespaced) list = await this.call(what, () => this.custom.listClusterCustomObject({ group: r.group, version: r.version, plural: r.resource, ...q }));
    else if (opts.namespace === undefined) list = await this.call(what, () => this.custom.listCustomObjectForAllNamespaces({ group: r.group, version: r.version, plural: r.resource, ...q }));
    else list = await this.call(what, () => this.custom.listNamespacedCustomObject({ ...this.ref(r, opts.namespace!), ...q }));
    // Items of a list carry no apiVersion/kind on the wire; the Store's objects always do.
    const items = (list.items ?? []).map((o) => ({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...(o as object) }) as KubeObject);
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async update(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const r = clusterResource(type);
    if (r.group === '') throw syError('SY_ERR_METHOD_NOT_ALLOWED', `cluster mode does not update ${r.resource}`);
    const key = { ...r, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
    const body = structuredClone(obj);
    // The server's own fields are not the client's to change (a uid would be read as a precondition); resourceVersion is the precondition.
    for (const k of ['uid', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete body.metadata[k];
    if (!body.metadata.resourceVersion) {
      // No precondition asked: write over whatever is there now (as the Store contract allows).
      const current = await this.get(key);
      if (!current) throw syError('SY_ERR_NOT_FOUND', `${r.resource}.${r.group} "${key.name}" not found`);
      body.metadata.resourceVersion = current.metadata.resourceVersion;
    }
    const what = `update ${r.resource} ${key.namespace}/${key.name}${opts.subresource ? '/status' : ''}`;
    const ref = this.ref(r, key.namespace);
    const written: KubeObject = opts.subresource === 'status'
      ? await this.call(what, () => this.custom.replaceNamespacedCustomObjectStatus({ ...ref, name: key.name, body }))
      : await this.call(what, () => this.custom.replaceNamespacedCustomObject({ ...ref, name: key.name, body }));
    if (opts.evidence !== undefined) {
      await this.writeEvent({ actor: opts.actor.name, verb: opts.verb ?? 'update', resource: auditResource(key), evidence: opts.evidence }, written.metadata.uid);
    }
    return written;
  }

  async delete(key: ObjectKey, opts: DeleteOptions): Promise<KubeObject> {
    const r = clusterResource(key);
    const before = await this.get(key);
    if (!before) throw syError('SY_ERR_NOT_FOUND', `${r.resource}${r.group ? `.${r.group}` : ''} "${key.name}" not found`);
    const body = {
      ...(opts.resourceVersion ? { preconditions: { resourceVersion: opts.resourceVersion } } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    };
    const what = `delete ${r.resource} ${key.namespace}/${key.name}`;
    let answer: unknown;
    if (r.group === '') answer = plain(await this.call(what, () => this.core.deleteNamespace({ name: key.name, body })));
    else if (!r.namespaced) answer = await this.call(what, () => this.custom.deleteClusterCustomObject({ group: r.group, version: r.version, plural: r.resource, name: key.name, body }));
    else answer = await this.call(what, () => this.custom.deleteNamespacedCustomObject({ ...this.ref(r, key.namespace), name: key.name, body }));
    // Custom resources answer with the deleted object; a kind that answers with a Status gets the last copy read.
    const a = answer as Json;
    return a && a.kind !== 'Status' && typeof a.metadata === 'object' ? (a as KubeObject) : before;
  }

  async watch(type: ResourceType, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<() => void> {
    const r = clusterResource(type);
    const w = new KubeWatch(this.opts.kubeConfig, r, opts, onEvent, (o) => this.list(r, o), this.opts.log);
    this.watches.add(w);
    await w.start();
    return () => {
      this.watches.delete(w);
      w.stop();
    };
  }

  private async writeEvent(entry: AuditEntry, uid?: string): Promise<Json> {
    const ev = auditEvent(entry, this.source, uid);
    const ns = (ev.metadata as { namespace: string }).namespace;
    return this.call(`create event for ${entry.resource}`, () => this.custom.createNamespacedCustomObject({ ...this.ref(EVENTS, ns), body: ev }));
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    const ev = await this.writeEvent(entry);
    return recordOfEvent(ev as never, 0);
  }

  private async auditEvents(): Promise<Json[]> {
    const { items } = await this.list(EVENTS, { labelSelector: [{ key: MANAGED_BY_LABEL, operator: 'In', values: [MANAGED_BY] }] });
    // Written in the same millisecond, they are told apart by the order the API server stored them.
    const rv = (o: Json) => Number((o.metadata as { resourceVersion?: string }).resourceVersion ?? 0);
    return (items as Json[]).sort((a, b) => String(a.eventTime ?? '').localeCompare(String(b.eventTime ?? '')) || rv(a) - rv(b));
  }

  /** Events this controller wrote, oldest first; seq is the place in that list (Events expire, so it is not stable across time). */
  async listAudit(opts: AuditQuery = {}): Promise<AuditRecord[]> {
    const records = (await this.auditEvents()).map((ev, i) => recordOfEvent(ev as never, i + 1)).filter((r) => r.seq > (opts.sinceSeq ?? 0)
      && (opts.resource === undefined || r.resource === opts.resource) && (opts.verbPrefix === undefined || r.verb.startsWith(opts.verbPrefix))
      && (opts.namespace === undefined || r.resource.split('/')[2] === opts.namespace));
    if (opts.limit === undefined) return records;
    return opts.newest ? records.slice(Math.max(0, records.length - opts.limit)) : records.slice(0, opts.limit);
  }

  /** Events are not hash-chained; what can be checked is that each one's evidence still matches its digest. */
  async verifyAudit(): Promise<AuditVerification> {
    const events = await this.auditEvents();
    const problems = events.flatMap((ev) => evidenceProblem(ev as never) ?? []);
    return { ok: problems.length === 0, records: events.length, problems };
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.watches.clear();
  }
}
