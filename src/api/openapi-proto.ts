// /openapi/v2 as gnostic protobuf (openapi.v2.Document). kubectl <= 1.27 asks
// for this encoding for `explain` and client-side validation and cannot read
// JSON there. The conversion mirrors gnostic's openapi_v2.NewDocument: every
// schema keyword becomes its typed field, and free-form values (enum, default,
// example, `x-*` extensions) travel as YAML text inside Any{yaml}, which is
// where kube-openapi reads x-kubernetes-group-version-kind from.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { stringify } from 'yaml';
import { openApiV2Document } from './openapi.ts';

/**
 * The Content-Type to answer with. Go's mime parser rejects the '@' in the
 * older name, so kube-openapi replies with this dotted form whichever was asked.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** Accept values meaning "protobuf please": kubectl <= 1.27 sends the '@' form. */
export const OPENAPI_V2_PROTOBUF_ACCEPTS = [OPENAPI_V2_PROTOBUF, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'];

/**
 * True when an Accept header prefers protobuf over JSON, negotiated like
 * kube-openapi: highest q first, wildcards resolve to JSON.
 */
export function wantsOpenApiV2Protobuf(accept: string | undefined): boolean {
  const clauses = (accept ?? '')
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
      const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
      return { type, q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const c of clauses) {
    if (OPENAPI_V2_PROTOBUF_ACCEPTS.includes(c.type)) return true;
    if (['application/json', 'application/*', '*/*'].includes(c.type)) return false;
  }
  return false;
}

type Json = Record<string, unknown>;
type Msg = Record<string, unknown>;

const PROTO_FILE = fileURLToPath(new URL('./gnostic/OpenAPIv2.proto', import.meta.url));
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** Any{yaml}: the value as gnostic would re-marshal it from the parsed YAML node. */
function anyOf(value: unknown): Msg {
  return { yaml: stringify(value) };
}

function vendorExtensions(node: Json): Msg[] {
  return Object.entries(node)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => ({ name, value: anyOf(value) }));
}

/** Drops undefined fields so protobufjs leaves them off the wire. */
function compact(m: Msg): Msg {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
}

/**
 * Swagger 2.0 has no sibling keywords next to $ref, so the `allOf: [{$ref}]`
 * wrapper used to attach a description is collapsed into a plain reference,
 * which is how Kubernetes itself publishes ObjectMeta in v2.
 */
function refOf(s: Json): string | undefined {
  const direct = str(s.$ref);
  if (direct) return direct;
  const all = Array.isArray(s.allOf) ? s.allOf : [];
  const only = all.length === 1 && isObj(all[0]) ? all[0] : undefined;
  return only && Object.keys(only).length === 1 ? str(only.$ref) : undefined;
}

// anyOf/oneOf/not have no place in Swagger 2.0; like the apiserver's v2
// publishing of CRDs, they are dropped (int-or-string keeps its x- marker).
function schema(s: Json): Msg {
  const ref = refOf(s);
  const type = typeof s.type === 'string' ? [s.type] : strings(s.type);
  const items = Array.isArray(s.items) ? s.items.filter(isObj) : isObj(s.items) ? [s.items] : undefined;
  const ap = s.additionalProperties;
  return compact({
    _ref: ref,
    format: str(s.format),
    title: str(s.title),
    description: str(s.description),
    default: s.default !== undefined && !ref ? anyOf(s.default) : undefined,
    multiple_of: num(s.multipleOf),
    maximum: num(s.maximum),
    exclusive_maximum: bool(s.exclusiveMaximum),
    minimum: num(s.minimum),
    exclusive_minimum: bool(s.exclusiveMinimum),
    max_length: num(s.maxLength),
    min_length: num(s.minLength),
    pattern: str(s.pattern),
    max_items: num(s.maxItems),
    min_items: num(s.minItems),
    unique_items: bool(s.uniqueItems),
    max_properties: num(s.maxProperties),
    min_properties: num(s.minProperties),
    required: strings(s.required),
    enum: Array.isArray(s.enum) ? s.enum.map(anyOf) : undefined,
    additional_properties: typeof ap === 'boolean' ? { boolean: ap } : isObj(ap) ? { schema: schema(ap) } : undefined,
    type: type ? { value: type } : undefined,
    items: items ? { schema: items.map(schema) } : undefined,
    all_of: Array.isArray(s.allOf) && !ref ? s.allOf.filter(isObj).map(schema) : undefined,
    properties: isObj(s.properties)
      ? { additional_properties: Object.entries(s.properties).filter(([, v]) => isObj(v)).map(([name, v]) => ({ name, value: schema(v as Json) })) }
      : undefined,
    discriminator: str(s.discriminator),
    read_only: bool(s.readOnly),
    example: s.example !== undefined ? anyOf(s.example) : undefined,
    vendor_extension: vendorExtensions(s),
  });
}

/** The fields every non-body parameter kind (query/path/header/formData) shares. */
function nonBodyFields(p: Json): Msg {
  return compact({
    required: bool(p.required),
    in: str(p.in),
    description: str(p.description),
    name: str(p.name),
    type: str(p.type),
    format: str(p.format),
    collection_format: str(p.collectionFormat),
    default: p.default !== undefined ? anyOf(p.default) : undefined,
    pattern: str(p.pattern),
    unique_items: bool(p.uniqueItems),
    enum: Array.isArray(p.enum) ? p.enum.map(anyOf) : undefined,
    vendor_extension: vendorExtensions(p),
  });
}

const NON_BODY_FIELD: Record<string, string> = {
  query: 'query_parameter_sub_schema',
  path: 'path_parameter_sub_schema',
  header: 'header_parameter_sub_schema',
  formData: 'form_data_parameter_sub_schema',
};

function parametersItem(p: Json): Msg {
  const ref = str(p.$ref);
  if (ref) return { json_reference: { _ref: ref } };
  if (p.in === 'body') {
    const body = compact({
      description: str(p.description),
      name: str(p.name),
      in: 'body',
      required: bool(p.required),
      schema: isObj(p.schema) ? schema(p.schema) : undefined,
      vendor_extension: vendorExtensions(p),
    });
    return { parameter: { body_parameter: body } };
  }
  const field = NON_BODY_FIELD[str(p.in) ?? 'query'] ?? 'query_parameter_sub_schema';
  return { parameter: { non_body_parameter: { [field]: nonBodyFields(p) } } };
}

function responses(r: Json): Msg {
  const codes = Object.entries(r)
    .filter(([code, v]) => !code.startsWith('x-') && isObj(v))
    .map(([name, v]) => {
      const resp = v as Json;
      const ref = str(resp.$ref);
      const value = ref
        ? { json_reference: { _ref: ref } }
        : { response: compact({ description: str(resp.description) ?? '', schema: isObj(resp.schema) ? { schema: schema(resp.schema) } : undefined, vendor_extension: vendorExtensions(resp) }) };
      return { name, value };
    });
  return { response_code: codes, vendor_extension: vendorExtensions(r) };
}

function operation(o: Json): Msg {
  return compact({
    tags: strings(o.tags),
    summary: str(o.summary),
    description: str(o.description),
    operation_id: str(o.operationId),
    produces: strings(o.produces),
    consumes: strings(o.consumes),
    parameters: Array.isArray(o.parameters) ? o.parameters.filter(isObj).map(parametersItem) : undefined,
    responses: isObj(o.responses) ? responses(o.responses) : undefined,
    schemes: strings(o.schemes),
    deprecated: bool(o.deprecated),
    vendor_extension: vendorExtensions(o),
  });
}

function pathItem(p: Json): Msg {
  const item: Msg = {
    _ref: str(p.$ref),
    parameters: Array.isArray(p.parameters) ? p.parameters.filter(isObj).map(parametersItem) : undefined,
    vendor_extension: vendorExtensions(p),
  };
  for (const m of HTTP_METHODS) if (isObj(p[m])) item[m] = operation(p[m]);
  return compact(item);
}

function securityDefinition(d: Json): Msg {
  const common = { type: str(d.type), description: str(d.description), vendor_extension: vendorExtensions(d) };
  if (d.type === 'basic') return { basic_authentication_security: compact(common) };
  return { api_key_security: compact({ ...common, name: str(d.name), in: str(d.in) }) };
}

/** The openapi.v2.Document message tree (plain object, proto field names). */
export function openApiV2Message(doc: Json = openApiV2Document()): Msg {
  const named = <T>(o: unknown, f: (v: Json) => T) =>
    Object.entries(isObj(o) ? o : {}).filter(([, v]) => isObj(v)).map(([name, v]) => ({ name, value: f(v as Json) }));
  const info = isObj(doc.info) ? doc.info : {};
  const paths = isObj(doc.paths) ? doc.paths : {};
  return compact({
    swagger: str(doc.swagger) ?? '2.0',
    info: compact({ title: str(info.title), version: str(info.version), description: str(info.description), vendor_extension: vendorExtensions(info) }),
    host: str(doc.host),
    base_path: str(doc.basePath),
    schemes: strings(doc.schemes),
    consumes: strings(doc.consumes),
    produces: strings(doc.produces),
    paths: { path: named(Object.fromEntries(Object.entries(paths).filter(([k]) => k.startsWith('/'))), pathItem), vendor_extension: vendorExtensions(paths) },
    definitions: { additional_properties: named(doc.definitions, schema) },
    security: Array.isArray(doc.security)
      ? doc.security.filter(isObj).map((req) => ({ additional_properties: Object.entries(req).map(([name, scopes]) => ({ name, value: { value: strings(scopes) ?? [] } })) }))
      : undefined,
    security_definitions: isObj(doc.securityDefinitions) ? { additional_properties: named(doc.securityDefinitions, securityDefinition) } : undefined,
    vendor_extension: vendorExtensions(doc),
  });
}

let documentType: protobuf.Type | undefined;

/** The openapi.v2.Document type; google/protobuf/any.proto comes from protobufjs's bundled common types. */
export function openApiV2DocumentType(): protobuf.Type {
  documentType ??= new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true }).lookupType('openapi.v2.Document');
  return documentType;
}

let cached: Buffer | undefined;

/** The /openapi/v2 document encoded as gnostic protobuf; built once, since the document is static. */
export function openApiV2Protobuf(): Buffer {
  if (!cached) {
    const type = openApiV2DocumentType();
    const bytes = type.encode(type.fromObject(openApiV2Message())).finish();
    cached = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return cached;
}
