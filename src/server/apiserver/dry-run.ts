// Server-side dry run (?dryRun=All, `kubectl apply --dry-run=server`): a
// write goes through every check a real one does (schema, admission, the
// namespace, AlreadyExists, NotFound, resourceVersion preconditions) and is
// answered with the object the store would hold, but nothing is stored,
// watched or audited. As the Kubernetes API server does, a dry-run create
// answers a uid and creationTimestamp but no resourceVersion.
import { randomUUID } from 'node:crypto';
import { alreadyExistsError, checkPrecondition, keyOf, notFoundError, prepareCreate, prepareUpdate } from '../../store/objects.ts';
import type { DeleteOptions, KubeObject, ObjectKey, ResourceType, Store, WriteOptions } from '../../store/types.ts';

/** A Store whose writes are computed against `store` and never applied; reads go to `store`. */
export function dryRunStore(store: Store, now: () => Date = () => new Date()): Store {
  return {
    get: (key) => store.get(key),
    list: (type, opts) => store.list(type, opts),
    watch: (type, opts, onEvent) => store.watch(type, opts, onEvent),
    // Audit records are decisions: Resources makes none on a dry run.
    appendAudit: (entry) => store.appendAudit(entry),
    listAudit: (opts) => store.listAudit(opts),
    verifyAudit: () => store.verifyAudit(),
    close: async () => {},
    async create(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
      const key = keyOf(type, obj);
      if (await store.get(key)) throw alreadyExistsError(key);
      const out = prepareCreate(obj, { uid: randomUUID(), resourceVersion: '', now: now() });
      delete out.metadata.resourceVersion;
      return out;
    },
    async update(type: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
      const key = keyOf(type, obj);
      const stored = await store.get(key);
      if (!stored) throw notFoundError(key);
      checkPrecondition(key, stored, obj.metadata.resourceVersion);
      return prepareUpdate(stored, obj, opts.subresource);
    },
    async delete(key: ObjectKey, opts: DeleteOptions): Promise<KubeObject> {
      const stored = await store.get(key);
      if (!stored) throw notFoundError(key);
      checkPrecondition(key, stored, opts.resourceVersion);
      return stored;
    },
  };
}
