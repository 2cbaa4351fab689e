// The OpenAPI documents kube-apiserver would publish for our kinds, generated
// from the zod schemas: /openapi/v3 (index + one document per group-version)
// and /openapi/v2. kubectl uses them for `explain`, for client-side validation
// and — through the fieldValidation parameter on PATCH — to learn that the
// server validates fields itself.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { KindInfo } from './types.ts';
import { KINDS, apiVersionOf, groupVersions } from './registry.ts';
import { looseObjectMeta } from './meta.ts';

type Json = Record<string, unknown>;

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
export const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
export const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

/** Reverse-DNS schema name prefix, as Kubernetes names them: io.kserve.serving.v1beta1, io.k8s.api.core.v1. */
export function schemaPrefix(group: string, version: string): string {
  if (group === '') return `io.k8s.api.core.${version}`;
  return `${group.split('.').reverse().join('.')}.${version}`;
}

export function schemaName(info: KindInfo, version: string, kind = info.kind): string {
  return `${schemaPrefix(info.group, version)}.${kind}`;
}

/** Rewrites zod's JSON Schema into the dialect kube-openapi publishes. */
function kubeify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(kubeify);
  if (typeof node !== 'object' || node === null) return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === '$schema' || k === 'propertyNames' || k === 'id') continue;
    if (k === 'additionalProperties') {
      if (v === false) continue; // unknown fields are rejected by the server, not declared
      if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) {
        out['x-kubernetes-preserve-unknown-fields'] = true;
        continue;
      }
    }
    // Values (a default, an enum's members) are data, not schemas: an empty default object stays {}.
    out[k] = k === 'default' || k === 'enum' || k === 'const' || k === 'examples' ? v : kubeify(v);
  }
  const anyOf = out.anyOf as Json[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const types = anyOf.map((s) => s.type).sort();
    if ((types[0] === 'integer' || types[0] === 'number') && types[1] === 'string') {
      delete out.anyOf;
      out.anyOf = [{ type: 'integer' }, { type: 'string' }];
      out['x-kubernetes-int-or-string'] = true;
    }
  }
  // An empty schema (z.unknown()) means "anything".
  if (Object.keys(src).length === 0) return { 'x-kubernetes-preserve-unknown-fields': true };
  return out;
}

function refTo(name: string, v: 2 | 3): Json {
  return { $ref: v === 3 ? `#/components/schemas/${name}` : `#/definitions/${name}` };
}

const cache = new Map<z.ZodType, Json>();
function jsonSchemaOf(schema: z.ZodType): Json {
  let s = cache.get(schema);
  if (!s) {
    s = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' }) as Json;
    cache.set(schema, s);
  }
  return structuredClone(s);
}

/** The plain JSON Schema of a kind (for docs/generated and external tools). */
export function kindJsonSchema(info: KindInfo): Json {
  return z.toJSONSchema(info.schema, { io: 'input', unrepresentable: 'any' }) as Json;
}

/** The OpenAPI schema of one kind at one version, kube style. */
export function kindOpenApiSchema(info: KindInfo, version: string, v: 2 | 3): Json {
  const s = kubeify(jsonSchemaOf(info.schema)) as Json;
  const props = (s.properties ?? {}) as Json;
  props.apiVersion = {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  };
  props.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents. In CamelCase.' };
  props.metadata = { description: "Standard object's metadata.", default: {}, allOf: [refTo(OBJECT_META, v)] };
  if (props.spec && typeof props.spec === 'object') (props.spec as Json).description ??= `Desired state of the ${info.kind}.`;
  if (props.status && typeof props.status === 'object') (props.status as Json).description ??= `Observed state of the ${info.kind}, written by the server.`;
  const required = ((s.required as string[] | undefined) ?? []).filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r));
  const out: Json = { description: s.description ?? info.description, type: 'object', properties: props };
  if (required.length > 0) out.required = required;
  out['x-kubernetes-group-version-kind'] = [{ group: info.group, kind: info.kind, version }];
  return out;
}

function listSchema(info: KindInfo, version: string, v: 2 | 3): Json {
  return {
    description: `${info.kind}List is a list of ${info.kind}.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      items: { type: 'array', items: refTo(schemaName(info, version), v) },
      metadata: { default: {}, allOf: [refTo(LIST_META, v)] },
    },
    'x-kubernetes-group-version-kind': [{ group: info.group, kind: `${info.kind}List`, version }],
  };
}

function sharedSchemas(): Record<string, Json> {
  const meta = kubeify(jsonSchemaOf(looseObjectMeta)) as Json;
  delete meta['x-kubernetes-preserve-unknown-fields'];
  meta.description = 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.';
  return {
    [OBJECT_META]: meta,
    [LIST_META]: {
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
      type: 'object',
      properties: { continue: { type: 'string' }, remainingItemCount: { type: 'integer', format: 'int64' }, resourceVersion: { type: 'string' }, selfLink: { type: 'string' } },
    },
    [STATUS]: {
      description: 'Status is a return value for calls that do not return other objects.',
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        code: { type: 'integer', format: 'int32' },
        message: { type: 'string' },
        reason: { type: 'string' },
        status: { type: 'string' },
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        metadata: { default: {}, allOf: [{ $ref: `#/components/schemas/${LIST_META}` }] },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [PATCH]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
  };
}

function queryParam(name: string, description: string, type = 'string'): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const DRY_RUN = queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.');
const FIELD_MANAGER = queryParam('fieldManager', 'A name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'How the server treats unknown or duplicate fields: Ignore, Warn or Strict. Switchyard always rejects unknown fields (Strict).',
);
const PRETTY = queryParam('pretty', "If 'true', then the output is pretty printed.");
const WATCH = queryParam('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean');
const LABEL_SELECTOR = queryParam('labelSelector', 'A selector to restrict the list of returned objects by their labels.');
const FIELD_SELECTOR = queryParam('fieldSelector', 'A selector to restrict the list of returned objects by their fields.');
const RESOURCE_VERSION = queryParam('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.');

const JSON_TYPES = ['application/json', 'application/yaml'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

interface OpSpec {
  action: string;
  id: string;
  params: Json[];
  body?: { ref: string; types: string[] };
  response: string;
}

function operation(spec: OpSpec, gvk: Json, tag: string, v: 2 | 3): Json {
  const params = [...spec.params];
  const op: Json = { description: `${spec.action} ${gvk.kind}`, operationId: spec.id, tags: [tag] };
  const ok = { description: 'OK', ...(v === 3 ? { content: Object.fromEntries(JSON_TYPES.map((t) => [t, { schema: refTo(spec.response, v) }])) } : { schema: refTo(spec.response, v) }) };
  if (spec.body) {
    if (v === 3) op.requestBody = { required: true, content: Object.fromEntries(spec.body.types.map((t) => [t, { schema: refTo(spec.body!.ref, v) }])) };
    else {
      params.unshift({ name: 'body', in: 'body', required: true, schema: refTo(spec.body.ref, v) });
      op.consumes = spec.body.types;
    }
  }
  if (v === 2) op.produces = JSON_TYPES;
  op.parameters = v === 3 ? params : params.map(v2Param);
  op.responses = { '200': ok, '401': { description: 'Unauthorized' } };
  op['x-kubernetes-action'] = spec.action;
  op['x-kubernetes-group-version-kind'] = gvk;
  return op;
}

function v2Param(p: Json): Json {
  if (p.in === 'body') return p;
  const { schema, ...rest } = p as { schema?: Json } & Json;
  return { ...rest, ...(schema ?? {}) };
}

function pathParam(name: string, description: string): Json {
  return { name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } };
}

/** Paths for one kind at one version, with the operations kube-apiserver lists. */
function kindPaths(info: KindInfo, version: string, v: 2 | 3): Record<string, Json> {
  const base = info.group === '' ? `/api/${version}` : `/apis/${info.group}/${version}`;
  const gvk = { group: info.group, version, kind: info.kind };
  const tag = `${info.group === '' ? 'core' : info.group.replace(/\./g, '_')}_${version}`;
  const name = schemaName(info, version);
  const list = schemaName(info, version, `${info.kind}List`);
  const K = info.kind;
  const nsPart = info.namespaced ? '/namespaces/{namespace}' : '';
  const nsParam = info.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const writes = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const out: Record<string, Json> = {};

  const collection: Json = { parameters: v === 3 ? [...nsParam, PRETTY] : [...nsParam, PRETTY].map(v2Param) };
  collection.get = operation({ action: 'list', id: `list${info.namespaced ? 'Namespaced' : ''}${K}`, params: [LABEL_SELECTOR, FIELD_SELECTOR, RESOURCE_VERSION, WATCH], response: list }, gvk, tag, v);
  if (!info.readOnly) collection.post = operation({ action: 'post', id: `create${info.namespaced ? 'Namespaced' : ''}${K}`, params: writes, body: { ref: name, types: JSON_TYPES }, response: name }, gvk, tag, v);
  out[`${base}${nsPart}/${info.plural}`] = collection;

  const item: Json = { parameters: v === 3 ? [pathParam('name', `name of the ${K}`), ...nsParam, PRETTY] : [pathParam('name', `name of the ${K}`), ...nsParam, PRETTY].map(v2Param) };
  item.get = operation({ action: 'get', id: `read${info.namespaced ? 'Namespaced' : ''}${K}`, params: [], response: name }, gvk, tag, v);
  if (!info.readOnly) {
    item.put = operation({ action: 'put', id: `replace${info.namespaced ? 'Namespaced' : ''}${K}`, params: writes, body: { ref: name, types: JSON_TYPES }, response: name }, gvk, tag, v);
    item.patch = operation({ action: 'patch', id: `patch${info.namespaced ? 'Namespaced' : ''}${K}`, params: [...writes, queryParam('force', 'Force is going to "force" Apply requests.', 'boolean')], body: { ref: PATCH, types: PATCH_TYPES }, response: name }, gvk, tag, v);
    item.delete = operation({ action: 'delete', id: `delete${info.namespaced ? 'Namespaced' : ''}${K}`, params: [DRY_RUN], response: STATUS }, gvk, tag, v);
  }
  out[`${base}${nsPart}/${info.plural}/{name}`] = item;

  if (info.hasStatus && !info.readOnly) {
    const status: Json = { parameters: item.parameters };
    status.get = operation({ action: 'get', id: `read${info.namespaced ? 'Namespaced' : ''}${K}Status`, params: [], response: name }, gvk, tag, v);
    status.put = operation({ action: 'put', id: `replace${info.namespaced ? 'Namespaced' : ''}${K}Status`, params: writes, body: { ref: name, types: JSON_TYPES }, response: name }, gvk, tag, v);
    status.patch = operation({ action: 'patch', id: `patch${info.namespaced ? 'Namespaced' : ''}${K}Status`, params: writes, body: { ref: PATCH, types: PATCH_TYPES }, response: name }, gvk, tag, v);
    out[`${base}${nsPart}/${info.plural}/{name}/status`] = status;
  }
  if (info.namespaced) {
    out[`${base}/${info.plural}`] = {
      parameters: v === 3 ? [PRETTY] : [PRETTY].map(v2Param),
      get: operation({ action: 'list', id: `list${K}ForAllNamespaces`, params: [LABEL_SELECTOR, FIELD_SELECTOR, RESOURCE_VERSION, WATCH], response: list }, gvk, tag, v),
    };
  }
  return out;
}

function kindsAt(group: string, version: string): KindInfo[] {
  return KINDS.filter((k) => k.group === group && k.versions.includes(version));
}

/** The /openapi/v3/apis/GROUP/VERSION (or /openapi/v3/api/v1) document. */
export function openApiV3Document(group: string, version: string): Json | undefined {
  const kinds = kindsAt(group, version);
  if (kinds.length === 0) return undefined;
  const schemas: Record<string, Json> = sharedSchemas();
  let paths: Record<string, Json> = {};
  for (const k of kinds) {
    schemas[schemaName(k, version)] = kindOpenApiSchema(k, version, 3);
    schemas[schemaName(k, version, `${k.kind}List`)] = listSchema(k, version, 3);
    paths = { ...paths, ...kindPaths(k, version, 3) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Switchyard', version: apiVersionOf(group, version) },
    paths,
    components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
  };
}

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/** The GET /openapi/v3 index: one entry per served group-version, keyed like kube ("api/v1", "apis/G/V"). */
export function openApiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of groupVersions()) {
    for (const version of versions) {
      const key = group === '' ? `api/${version}` : `apis/${group}/${version}`;
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(openApiV3Document(group, version))}` };
    }
  }
  return { paths };
}

/** Resolves "apis/G/V" or "api/v1" (as in the index) to its document. */
export function openApiV3ForPath(path: string): Json | undefined {
  const p = path.replace(/^\/?(openapi\/v3\/)?/, '').replace(/\?.*$/, '');
  const core = /^api\/([^/]+)$/.exec(p);
  if (core) return openApiV3Document('', core[1] ?? '');
  const named = /^apis\/([^/]+)\/([^/]+)$/.exec(p);
  if (named) return openApiV3Document(named[1] ?? '', named[2] ?? '');
  return undefined;
}

function toV2Refs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toV2Refs);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'nullable') continue;
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/definitions/') : toV2Refs(v);
  }
  return out;
}

/** The Swagger 2.0 document (/openapi/v2) with every kind and version. */
export function openApiV2Document(): Json {
  const definitions: Record<string, unknown> = toV2Refs(sharedSchemas()) as Record<string, unknown>;
  let paths: Record<string, Json> = {};
  for (const k of KINDS) {
    for (const version of k.versions) {
      definitions[schemaName(k, version)] = toV2Refs(kindOpenApiSchema(k, version, 2));
      definitions[schemaName(k, version, `${k.kind}List`)] = toV2Refs(listSchema(k, version, 2));
      paths = { ...paths, ...kindPaths(k, version, 2) };
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Switchyard', version: 'v0.1.0' },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } },
    security: [{ BearerToken: [] }],
  };
}
