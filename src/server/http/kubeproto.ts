// kubectl 1.33 sends built-in kinds it generates itself (`kubectl create
// namespace`, `kubectl auth whoami`, `kubectl auth can-i`) as Kubernetes
// protobuf: the "k8s\0" magic, then runtime.Unknown {typeMeta, raw}. Of the
// built-in kinds only Namespace is writable here, and the two self reviews are
// answered; this decodes exactly those (field numbers from k8s.io/api
// generated.proto).
import protobuf from 'protobufjs';
import { syError } from '../../core/errors.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Fields = Map<number, Uint8Array[]>;

/** Splits a message into its length-delimited fields; scalars other than varints are skipped. */
function fields(bytes: Uint8Array): { bytes: Fields; varints: Map<number, number> } {
  const r = protobuf.Reader.create(bytes);
  const out: Fields = new Map();
  const varints = new Map<number, number>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2) out.set(field, [...(out.get(field) ?? []), r.bytes()]);
    else if (wire === 0) varints.set(field, Number(r.int64()));
    else r.skipType(wire);
  }
  return { bytes: out, varints };
}

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

function stringMap(entries: Uint8Array[] | undefined): Record<string, string> | undefined {
  if (!entries) return undefined;
  return Object.fromEntries(entries.map((e) => {
    const f = fields(e).bytes;
    return [text(f.get(1)?.[0]) ?? '', text(f.get(2)?.[0]) ?? ''];
  }));
}

function objectMeta(bytes: Uint8Array): Record<string, unknown> {
  const f = fields(bytes).bytes;
  const meta: Record<string, unknown> = {};
  const set = (key: string, v: unknown): void => {
    if (v !== undefined && v !== '') meta[key] = v;
  };
  set('name', text(f.get(1)?.[0]));
  set('generateName', text(f.get(2)?.[0]));
  set('namespace', text(f.get(3)?.[0]));
  set('resourceVersion', text(f.get(6)?.[0]));
  set('labels', stringMap(f.get(11)));
  set('annotations', stringMap(f.get(12)));
  return meta;
}

function namespace(raw: Uint8Array): Record<string, unknown> {
  const f = fields(raw).bytes;
  const finalizers = f.get(2)?.[0] ? (fields(f.get(2)![0]!).bytes.get(1) ?? []).map((b) => text(b)!) : [];
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: f.get(1)?.[0] ? objectMeta(f.get(1)![0]!) : {},
    ...(finalizers.length > 0 ? { spec: { finalizers } } : {}),
  };
}

/** SelfSubjectAccessReview {metadata 1, spec 2}; spec {resourceAttributes 1, nonResourceAttributes 2}. */
function accessReview(raw: Uint8Array): Record<string, unknown> {
  const spec = fields(fields(raw).bytes.get(2)?.[0] ?? new Uint8Array()).bytes;
  const strings = (bytes: Uint8Array | undefined, names: string[]): Record<string, string> | undefined => {
    if (!bytes) return undefined;
    const f = fields(bytes).bytes;
    return Object.fromEntries(names.flatMap((n, i) => (text(f.get(i + 1)?.[0]) ? [[n, text(f.get(i + 1)![0])!]] : [])));
  };
  const resourceAttributes = strings(spec.get(1)?.[0], ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']);
  const nonResourceAttributes = strings(spec.get(2)?.[0], ['path', 'verb']);
  return {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
    spec: { ...(resourceAttributes ? { resourceAttributes } : {}), ...(nonResourceAttributes ? { nonResourceAttributes } : {}) },
  };
}

export function decodeKubeProtobuf(body: Buffer): unknown {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw syError('SY_ERR_MALFORMED_BODY', 'protobuf body does not start with the Kubernetes "k8s\\0" envelope');
  }
  const unknown = fields(body.subarray(4)).bytes;
  const typeMeta = unknown.get(1)?.[0] ? fields(unknown.get(1)![0]!).bytes : new Map();
  const apiVersion = text(typeMeta.get(1)?.[0]);
  const kind = text(typeMeta.get(2)?.[0]);
  const raw = unknown.get(2)?.[0] ?? new Uint8Array();
  if (apiVersion === 'v1' && kind === 'Namespace') return namespace(raw);
  // Who-am-I carries nothing the answer needs.
  if (kind === 'SelfSubjectReview' && apiVersion?.startsWith('authentication.k8s.io/')) return { apiVersion, kind };
  if (apiVersion === 'authorization.k8s.io/v1' && kind === 'SelfSubjectAccessReview') return accessReview(raw);
  throw syError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `protobuf bodies are accepted only for v1 Namespace and the self reviews (got ${apiVersion}/${kind}); send application/json`);
}
