// The Store interface: every implementation (SQLite now, PostgreSQL later)
// runs the one conformance suite in test/store/conformance.ts.
//
// Objects are stored as plain Kubernetes-shaped JSON. The store owns the
// server-set metadata: uid, resourceVersion, generation, creationTimestamp,
// and the deletion mark (deletionTimestamp, deletionGracePeriodSeconds).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  /** Set by a graceful delete (DeleteOptions.gracePeriodSeconds): the object is going away; kubectl shows a pod as Terminating. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

/** Which collection an object lives in: API group + plural resource name. */
export interface ResourceType {
  /** '' for the core group (Namespace, Pod, Event). */
  group: string;
  /** Plural, lower case: 'inferenceservices'. */
  resource: string;
}

export interface ObjectKey extends ResourceType {
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

/** Who did it, for the audit log. */
export interface Actor {
  /** e.g. 'token:admin', 'controller:isvc', 'cli:alice'. */
  name: string;
}

export interface LabelRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface ListOptions {
  /** Omit (or undefined) for all namespaces. */
  namespace?: string;
  labelSelector?: LabelRequirement[];
  /** Exact match on metadata.name (kubectl wait uses fieldSelector=metadata.name=X). */
  name?: string;
}

export interface ListResult {
  items: KubeObject[];
  /** The store revision the list was read at; a watch may start from it. */
  resourceVersion: string;
}

export interface WriteOptions {
  actor: Actor;
  /** Write only status (status subresource): spec/metadata changes are ignored. */
  subresource?: 'status';
  /** Verb recorded in the audit log; defaults to create/update/delete. */
  verb?: string;
  /** Evidence stored with the write's audit record, in the same transaction (e.g. a plan transition). */
  evidence?: unknown;
}

export interface DeleteOptions {
  actor: Actor;
  /** Precondition: delete only if the object is still at this version (409 otherwise). */
  resourceVersion?: string;
  /**
   * Above 0: a graceful delete, as Kubernetes does for pods. The object stays, marked with
   * deletionTimestamp and deletionGracePeriodSeconds (watchers see MODIFIED), until a delete
   * without a grace period removes it. 0 or absent: removed at once.
   */
  gracePeriodSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchOptions extends ListOptions {
  /**
   * Deliver every change after this revision (replayed from history first).
   * Undefined: only changes from now on. Too old: throws SY_ERR_GONE.
   */
  resourceVersion?: string;
}

export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  verb: string;
  /** 'group/resource/namespace/name' (empty parts kept). */
  resource: string;
  /** sha256 of the canonical JSON before and after, '' when absent. */
  digestBefore: string;
  digestAfter: string;
  /** Free-form evidence (e.g. gate values behind a plan transition). */
  evidence?: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditEntry {
  actor: string;
  verb: string;
  resource: string;
  before?: unknown;
  after?: unknown;
  evidence?: unknown;
}

/** Which audit records to list, oldest first. */
export interface AuditQuery {
  /** Only records after this sequence number. */
  sinceSeq?: number;
  limit?: number;
  /** Only records of this resource ('group/resource/namespace/name'). */
  resource?: string;
  /** Only records whose verb starts with this (e.g. 'plan/' for plan transitions). */
  verbPrefix?: string;
  /** Only records of objects in this namespace. */
  namespace?: string;
  /** The last `limit` matching records instead of the first (still listed oldest first): what happened lately. */
  newest?: boolean;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  /** One line per problem: which seq, and what is wrong (edited, missing, truncated). */
  problems: string[];
}

export interface Store {
  /** Assigns uid, resourceVersion, generation 1 and creationTimestamp. SY_ERR_ALREADY_EXISTS if taken. */
  create(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  get(key: ObjectKey): Promise<KubeObject | undefined>;
  list(type: ResourceType, opts?: ListOptions): Promise<ListResult>;
  /**
   * Replace an object. If obj.metadata.resourceVersion is set and stale:
   * SY_ERR_CONFLICT. generation is bumped only when spec changes.
   * SY_ERR_NOT_FOUND if absent.
   */
  update(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /** Returns the deleted object (the marked one for a graceful delete). SY_ERR_NOT_FOUND if absent. */
  delete(key: ObjectKey, opts: DeleteOptions): Promise<KubeObject>;
  /** Calls onEvent for each change in order; returns a function that stops the watch. */
  watch(type: ResourceType, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<() => void>;
  /** Appends a record that is not tied to an object write (plan transitions, overrides). */
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  listAudit(opts?: AuditQuery): Promise<AuditRecord[]>;
  verifyAudit(): Promise<AuditVerification>;
  close(): Promise<void>;
}
