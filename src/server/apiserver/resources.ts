// The semantics of the REST verbs on stored kinds, independent of HTTP:
// validation, namespace rules, status subresource, patches, cascade delete.
// Every write goes through here, whether from kubectl, the CLI or `up`.
import type { KindInfo } from '../../api/types.ts';
import { validateObject } from '../../api/validate.ts';
import { syError } from '../../core/errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../core/jsonpatch.ts';
import type { Actor, AuditEntry, KubeObject, LabelRequirement, ListResult, ObjectKey, Store } from '../../store/types.ts';
import { matchesFields, nameFromFields, type FieldRequirement } from './fieldselector.ts';
import type { Principal } from '../auth.ts';
import { admit as admitWithStore, overriddenFindings } from './admission.ts';
import { planDeleteRefusal, planRefusal, stampPlanCommand, type PlanRefusal } from './plan-guard.ts';
import { dryRunStore } from './dry-run.ts';

/** Who writes: the authenticated principal for API requests; none for the server's own writes (`up --apply`, the demo). */
export interface Caller extends Actor {
  principal?: Principal;
}

export interface Scope {
  info: KindInfo;
  /** The version named in the URL; objects are answered in it. */
  version: string;
  /** '' for cluster-scoped kinds or all-namespace lists. */
  namespace: string;
  name?: string;
  subresource?: 'status';
}

export type PatchType = 'merge' | 'json' | 'strategic';

export interface ListFilter {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

const NAMESPACES = { group: '', resource: 'namespaces' };

function apiVersionOf(info: KindInfo, version: string): string {
  return info.group === '' ? version : `${info.group}/${version}`;
}

function resourceLabel(info: KindInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

export function notFound(info: KindInfo, name: string): Error {
  return syError('SY_ERR_NOT_FOUND', `${resourceLabel(info)} "${name}" not found`, { details: { name, group: info.group, kind: info.plural } });
}

function asObject(body: unknown): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw syError('SY_ERR_MALFORMED_BODY', 'the body must be a JSON or YAML object');
  }
  const obj = body as KubeObject;
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = { name: '' };
  return obj;
}

export class Resources {
  private readonly namespacedTypes: { group: string; resource: string }[];
  private dry: Resources | undefined;

  /** `dryRun`: the same checks and answers, nothing stored or audited (see dry-run.ts). */
  constructor(private readonly store: Store, private readonly kinds: KindInfo[], private readonly isDryRun = false) {
    this.namespacedTypes = kinds.filter((k) => k.namespaced).map((k) => ({ group: k.group, resource: k.plural }));
  }

  /** These verbs as a server-side dry run (?dryRun=All). */
  dryRun(): Resources {
    this.dry ??= new Resources(dryRunStore(this.store), this.kinds, true);
    return this.dry;
  }

  /** Decisions go into the audit log; a dry run decides nothing. */
  private async audit(entry: AuditEntry): Promise<void> {
    if (!this.isDryRun) await this.store.appendAudit(entry);
  }

  key(scope: Scope, name = scope.name ?? ''): ObjectKey {
    return { group: scope.info.group, resource: scope.info.plural, namespace: scope.info.namespaced ? scope.namespace : '', name };
  }

  /** Answers in the version the client asked for (Istio kinds share one schema across versions). */
  present(scope: Scope, obj: KubeObject): KubeObject {
    return { ...obj, apiVersion: apiVersionOf(scope.info, scope.version) };
  }

  private assertWritable(scope: Scope): void {
    if (scope.info.readOnly) {
      throw syError('SY_ERR_METHOD_NOT_ALLOWED', `${resourceLabel(scope.info)} are read-only views of local state and cannot be written`);
    }
  }

  private async assertNamespaceExists(scope: Scope): Promise<void> {
    if (!scope.info.namespaced) return;
    const ns = await this.store.get({ ...NAMESPACES, namespace: '', name: scope.namespace });
    if (!ns) throw syError('SY_ERR_NAMESPACE_NOT_FOUND', `namespaces "${scope.namespace}" not found`, { details: { name: scope.namespace, kind: 'namespaces' } });
  }

  /** Checks apiVersion/kind/namespace/name against the URL and validates the schema. */
  private validate(scope: Scope, body: unknown, name?: string): KubeObject {
    const obj = asObject(body);
    const { info } = scope;
    const accepted = info.versions.map((v) => apiVersionOf(info, v));
    if (obj.apiVersion !== undefined && !accepted.includes(obj.apiVersion)) {
      throw syError('SY_ERR_BAD_REQUEST', `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(info, scope.version)})`);
    }
    if (obj.kind !== undefined && obj.kind !== info.kind) {
      throw syError('SY_ERR_BAD_REQUEST', `the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`);
    }
    obj.apiVersion = apiVersionOf(info, info.versions[0]!);
    obj.kind = info.kind;
    if (info.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== scope.namespace) {
        throw syError('SY_ERR_NAMESPACE_MISMATCH', `the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${scope.namespace})`);
      }
      obj.metadata.namespace = scope.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    if (name !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw syError('SY_ERR_BAD_REQUEST', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (name !== undefined && !obj.metadata.name) obj.metadata.name = name;
    const result = validateObject(info, obj);
    const unknown = result.ok ? [] : result.causes.filter((c) => c.reason === 'FieldValueUnknown');
    if (unknown.length > 0) {
      // Strict field validation refuses unknown fields while decoding, before any schema check: 400, as kube-apiserver answers.
      throw syError('SY_ERR_BAD_REQUEST', `${info.kind} in version "${scope.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((c) => c.message).join(', ')}`, {
        causes: unknown,
        details: { name: obj.metadata.name ?? '', group: info.group, kind: info.kind },
      });
    }
    if (!result.ok) {
      const summary = result.causes.map((c) => `${c.field}: ${c.message}`).join(', ');
      const title = `${info.kind} "${obj.metadata.name ?? ''}" is invalid: ${summary}`;
      const allNames = result.causes.every((c) => c.field === 'metadata.name' || c.field === 'metadata.namespace');
      throw syError(allNames ? 'SY_ERR_INVALID_NAME' : 'SY_ERR_INVALID', title, {
        causes: result.causes,
        details: { name: obj.metadata.name ?? '', group: info.group, kind: info.kind },
      });
    }
    return result.value as KubeObject;
  }

  /** Schema validation, then the checks that need the store (e.g. an InferenceGraph's services exist). */
  private async admit(scope: Scope, body: unknown, name?: string): Promise<KubeObject> {
    const obj = this.validate(scope, body, name);
    const causes = await admitWithStore(scope.info, obj, this.store);
    if (causes.length > 0) {
      throw syError('SY_ERR_INVALID', `${scope.info.kind} "${obj.metadata.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
        causes, details: { name: obj.metadata.name, group: scope.info.group, kind: scope.info.kind },
      });
    }
    return obj;
  }

  private static isPlan(scope: Scope): boolean {
    return scope.info.group === 'switchyard.dev' && scope.info.kind === 'TrafficPlan' && !scope.subresource;
  }

  /** A TrafficPlan write: refused (and audited) when the caller may not make it, else stamped with who issued its command. */
  private async guardPlan(scope: Scope, obj: KubeObject, previous: KubeObject | undefined, actor: Caller): Promise<void> {
    await this.refuse(scope, obj, planRefusal(obj, previous, actor.principal), actor);
    stampPlanCommand(obj, previous, actor);
  }

  /** A refused plan write: audited, then 403; nothing else is written. */
  private async refuse(scope: Scope, obj: KubeObject, refusal: PlanRefusal | undefined, actor: Caller): Promise<void> {
    if (!refusal) return;
    await this.audit({ actor: actor.name, verb: 'forbidden', resource: this.auditResource(scope, obj), evidence: refusal.evidence });
    throw syError('SY_ERR_FORBIDDEN', refusal.message, { details: { name: obj.metadata.name, group: scope.info.group, kind: scope.info.plural } });
  }

  private auditResource(scope: Scope, obj: KubeObject): string {
    return `${scope.info.group}/${scope.info.plural}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  }

  /** An override of blocking lint findings is a decision: it goes into the audit log with its evidence. */
  private async auditOverride(scope: Scope, obj: KubeObject, actor: Actor): Promise<void> {
    const ids = overriddenFindings(scope.info, obj);
    if (ids.length === 0) return;
    await this.audit({ actor: actor.name, verb: 'lint-override', resource: this.auditResource(scope, obj), evidence: { overridden: ids } });
  }

  async create(scope: Scope, body: unknown, actor: Caller): Promise<KubeObject> {
    this.assertWritable(scope);
    const obj = await this.admit(scope, body);
    // Status is a subresource: whatever a client sends in it on create is dropped.
    if (scope.info.hasStatus) delete obj.status;
    // Namespaces are usable as soon as they exist (no namespace controller to activate them).
    if (scope.info.group === '' && scope.info.kind === 'Namespace') obj.status = { phase: 'Active' };
    await this.assertNamespaceExists(scope);
    if (Resources.isPlan(scope)) await this.guardPlan(scope, obj, undefined, actor);
    const created = await this.store.create(this.storeType(scope), obj, { actor });
    await this.auditOverride(scope, created, actor);
    return this.present(scope, created);
  }

  async get(scope: Scope): Promise<KubeObject> {
    const obj = await this.store.get(this.key(scope));
    if (!obj) throw notFound(scope.info, scope.name ?? '');
    return this.present(scope, obj);
  }

  async list(scope: Scope, filter: ListFilter): Promise<ListResult> {
    const name = nameFromFields(filter.fields);
    const result = await this.store.list(this.storeType(scope), {
      ...(scope.info.namespaced && scope.namespace ? { namespace: scope.namespace } : {}),
      labelSelector: filter.labels,
      ...(name !== undefined ? { name } : {}),
    });
    const items = result.items.filter((o) => matchesFields(filter.fields, o)).map((o) => this.present(scope, o));
    return { items, resourceVersion: result.resourceVersion };
  }

  async replace(scope: Scope, body: unknown, actor: Caller): Promise<KubeObject> {
    this.assertWritable(scope);
    return this.update(scope, await this.admit(scope, body, scope.name), actor);
  }

  private async update(scope: Scope, obj: KubeObject, actor: Caller): Promise<KubeObject> {
    const opts = scope.subresource ? { actor, subresource: scope.subresource } : { actor };
    if (Resources.isPlan(scope)) await this.guardPlan(scope, obj, await this.store.get(this.key(scope)), actor);
    const updated = await this.store.update(this.storeType(scope), obj, opts);
    if (!scope.subresource) await this.auditOverride(scope, updated, actor);
    return this.present(scope, updated);
  }

  async patch(scope: Scope, type: PatchType, patch: unknown, actor: Caller): Promise<KubeObject> {
    this.assertWritable(scope);
    const current = await this.store.get(this.key(scope));
    if (!current) throw notFound(scope.info, scope.name ?? '');
    const apply = type === 'json' ? applyJsonPatch : type === 'strategic' ? applyStrategicMergePatch : applyMergePatch;
    const patched = asObject(apply(structuredClone(current), patch));
    // Without an explicit precondition in the patch, a patch applies to the version just read.
    patched.metadata.resourceVersion ??= current.metadata.resourceVersion;
    if (!scope.subresource && scope.info.hasStatus) patched.status = current.status;
    return this.update(scope, await this.admit(scope, patched, scope.name), actor);
  }

  async delete(scope: Scope, actor: Caller, resourceVersion?: string): Promise<KubeObject> {
    this.assertWritable(scope);
    if (scope.info.group === '' && scope.info.plural === 'namespaces') return this.deleteNamespace(scope, actor, resourceVersion);
    if (Resources.isPlan(scope)) {
      const stored = await this.store.get(this.key(scope));
      if (stored) await this.refuse(scope, stored, planDeleteRefusal(stored, actor.principal), actor);
    }
    const deleted = await this.store.delete(this.key(scope), { actor, ...(resourceVersion ? { resourceVersion } : {}) });
    return this.present(scope, deleted);
  }

  /** Deleting a namespace deletes what it holds first, as the namespace controller would. */
  private async deleteNamespace(scope: Scope, actor: Actor, resourceVersion?: string): Promise<KubeObject> {
    const name = scope.name ?? '';
    if (name === 'default') throw syError('SY_ERR_FORBIDDEN', 'namespaces "default" is forbidden: this namespace may not be deleted');
    if (!(await this.store.get(this.key(scope)))) throw notFound(scope.info, name);
    for (const type of this.namespacedTypes) {
      const { items } = await this.store.list(type, { namespace: name });
      for (const item of items) await this.store.delete({ ...type, namespace: name, name: item.metadata.name }, { actor });
    }
    return this.present(scope, await this.store.delete(this.key(scope), { actor, ...(resourceVersion ? { resourceVersion } : {}) }));
  }

  storeType(scope: Scope): { group: string; resource: string } {
    return { group: scope.info.group, resource: scope.info.plural };
  }
}
