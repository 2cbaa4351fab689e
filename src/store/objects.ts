// Pure rules for the server-owned parts of an object, shared by every Store
// implementation: what create sets, what update keeps, when generation moves,
// and the Kubernetes-worded errors for the write preconditions.
import { syError } from '../core/errors.ts';
import { canonicalJson } from '../core/canonical.ts';
import type { KubeObject, ObjectKey, ResourceType } from './types.ts';

/** RFC 3339 at whole seconds, as Kubernetes prints metav1.Time. */
export function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function keyOf(type: ResourceType, obj: KubeObject): ObjectKey {
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || name === '') {
    throw syError('SY_ERR_INVALID_NAME', 'metadata.name is required', {
      causes: [{ field: 'metadata.name', message: 'Required value', reason: 'FieldValueRequired' }],
    });
  }
  return { group: type.group, resource: type.resource, namespace: obj.metadata.namespace ?? '', name };
}

/** 'group/resource/namespace/name', the audit log's resource string. */
export function auditResource(key: ObjectKey): string {
  return `${key.group}/${key.resource}/${key.namespace}/${key.name}`;
}

function clone(obj: KubeObject): KubeObject {
  return structuredClone(obj);
}

/** The object as stored on create: client-supplied server fields replaced. */
export function prepareCreate(obj: KubeObject, server: { uid: string; resourceVersion: string; now: Date }): KubeObject {
  const out = clone(obj);
  const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, deletionTimestamp: _d, deletionGracePeriodSeconds: _dg, ...meta } = out.metadata;
  if (meta.namespace === '') delete meta.namespace;
  out.metadata = {
    ...meta,
    uid: server.uid,
    resourceVersion: server.resourceVersion,
    generation: 1,
    creationTimestamp: rfc3339Seconds(server.now),
  };
  return out;
}

export function conflictError(key: ObjectKey): Error {
  return syError(
    'SY_ERR_CONFLICT',
    `Operation cannot be fulfilled on ${key.resource} "${key.name}": the object has been modified; please apply your changes to the latest version and try again`,
    { details: { name: key.name, group: key.group, kind: key.resource } },
  );
}

export function notFoundError(key: ObjectKey): Error {
  const what = key.group ? `${key.resource}.${key.group}` : key.resource;
  return syError('SY_ERR_NOT_FOUND', `${what} "${key.name}" not found`, {
    details: { name: key.name, group: key.group, kind: key.resource },
  });
}

export function alreadyExistsError(key: ObjectKey): Error {
  const what = key.group ? `${key.resource}.${key.group}` : key.resource;
  return syError('SY_ERR_ALREADY_EXISTS', `${what} "${key.name}" already exists`, {
    details: { name: key.name, group: key.group, kind: key.resource },
  });
}

/** Throws SY_ERR_CONFLICT when the caller's precondition names another version. */
export function checkPrecondition(key: ObjectKey, stored: KubeObject, wanted: string | undefined): void {
  if (wanted !== undefined && wanted !== '' && wanted !== stored.metadata.resourceVersion) throw conflictError(key);
}

/**
 * The object an update stores, before its new resourceVersion is set.
 * Status is a subresource: a status write keeps everything but status, a
 * plain write keeps the stored status. uid and creationTimestamp never change;
 * generation moves only when spec does.
 */
export function prepareUpdate(stored: KubeObject, incoming: KubeObject, subresource: 'status' | undefined): KubeObject {
  if (subresource === 'status') {
    const out = clone(stored);
    if (incoming.status === undefined) delete out.status;
    else out.status = structuredClone(incoming.status);
    return out;
  }
  const out = clone(incoming);
  if (stored.status === undefined) delete out.status;
  else out.status = structuredClone(stored.status);
  const specChanged = canonicalJson(stored.spec) !== canonicalJson(incoming.spec);
  const { deletionTimestamp: _d, deletionGracePeriodSeconds: _dg, ...meta } = out.metadata;
  if (meta.namespace === '') delete meta.namespace;
  out.metadata = {
    ...meta,
    uid: stored.metadata.uid,
    resourceVersion: stored.metadata.resourceVersion,
    generation: (stored.metadata.generation ?? 1) + (specChanged ? 1 : 0),
    creationTimestamp: stored.metadata.creationTimestamp,
    ...deletionMark(stored),
  };
  return out;
}

/** The deletion mark of an object, to carry over: only a graceful delete sets it, no update changes it. */
function deletionMark(obj: KubeObject): Pick<KubeObject['metadata'], 'deletionTimestamp' | 'deletionGracePeriodSeconds'> {
  const { deletionTimestamp, deletionGracePeriodSeconds } = obj.metadata;
  return {
    ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    ...(deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds } : {}),
  };
}

/**
 * The object a graceful delete stores (before its new resourceVersion), or
 * undefined when it is already marked: the first mark stands, as the time a
 * pod began terminating does not move.
 */
export function prepareGracefulDelete(stored: KubeObject, gracePeriodSeconds: number, now: Date): KubeObject | undefined {
  if (stored.metadata.deletionTimestamp !== undefined) return undefined;
  const out = clone(stored);
  out.metadata.deletionTimestamp = rfc3339Seconds(now);
  out.metadata.deletionGracePeriodSeconds = gracePeriodSeconds;
  return out;
}

/** True when next differs from stored (a write that changes nothing is skipped, as Kubernetes does). */
export function changed(stored: KubeObject, next: KubeObject): boolean {
  return canonicalJson(stored) !== canonicalJson(next);
}

export function withResourceVersion(obj: KubeObject, resourceVersion: string): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion } };
}
