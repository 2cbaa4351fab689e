// Which PredictionLogPolicy applies to a (namespace, service), and what it
// does to a request body: keep only some JSON paths, drop some, replace some
// with a keyed hash. Plain data and pure functions, so the same resolution
// runs on the gateway's thread (deciding whether an input is kept at all) and
// in the log's writer thread (filtering it, pruning by retention).
import { createHmac } from 'node:crypto';
import { parseJsonPath } from '../api/jsonpath.ts';
import { predictionLogPolicySpec, type PredictionLogPolicySpec } from '../api/kinds/predictionlogpolicy.ts';
import { parseGoDuration } from '../core/duration.ts';
import { syError } from '../core/errors.ts';
import { hash } from '../core/hash.ts';

/** Rows are kept this long unless a policy says otherwise (7 days). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
export const HASH_PREFIX = 'hmac-sha256:';

/** A PredictionLogPolicy as the log needs it: its identity and spec. */
export interface PolicySource {
  namespace: string;
  name: string;
  /** RFC 3339; the older of two equally specific policies wins. */
  creationTimestamp?: string;
  spec: PredictionLogPolicySpec;
}

type Steps = ReturnType<typeof parseJsonPath>;

export interface InputRule {
  sampleRate: number;
  /** Absent: the whole body. */
  keep?: Steps[];
  drop: Steps[];
  hash: Steps[];
}

/** What applies to one service's rows. */
export interface ResolvedPolicy {
  /** NAMESPACE/NAME of the policy, or undefined for the default (no policy). */
  policy?: string;
  /** Absent: inputs are not stored. */
  inputs?: InputRule;
  retentionMs: number;
  /** The policy's spec as written (for showing it). */
  spec?: PredictionLogPolicySpec;
}

/** A resolved policy as the API and CLI show it: the paths as written, retention as a Go duration. */
export interface PolicyView {
  /** NAMESPACE/NAME, or null when no policy applies (the default). */
  policy: string | null;
  /** null: inputs are not stored. */
  inputs: { sampleRate: number; keep?: string[]; drop: string[]; hash: string[] } | null;
  retention: string;
}

export function policyView(r: ResolvedPolicy): PolicyView {
  const i = r.spec?.inputs;
  const ms = r.retentionMs;
  return {
    policy: r.policy ?? null,
    inputs: r.inputs && i ? { sampleRate: r.inputs.sampleRate, ...(i.keep ? { keep: i.keep } : {}), drop: i.drop ?? [], hash: i.hash ?? [] } : null,
    retention: ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`,
  };
}

export const DEFAULT_POLICY: ResolvedPolicy = Object.freeze({ retentionMs: DEFAULT_RETENTION_MS });

/** Paths the spec's schema has already checked. */
const steps = (paths: readonly string[] | undefined): Steps[] => (paths ?? []).map((p) => parseJsonPath(p));

interface Compiled extends ResolvedPolicy {
  namespace: string;
  services?: readonly string[];
  created: string;
  name: string;
}

function compile(src: PolicySource): Compiled {
  const where = `PredictionLogPolicy ${src.namespace}/${src.name}`;
  // Objects in the store passed admission; this guards the library's other callers the same way.
  const parsed = predictionLogPolicySpec.safeParse(src.spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw syError('SY_ERR_CONFIG', `${where}: spec.${issue.path.join('.')}: ${issue.message}`);
  }
  const spec = parsed.data;
  const retentionMs = spec.retention === undefined ? DEFAULT_RETENTION_MS : parseGoDuration(spec.retention);
  if (retentionMs === undefined || retentionMs <= 0) throw syError('SY_ERR_CONFIG', `${where}: retention must be a positive duration, got ${spec.retention}`);
  const i = spec.inputs;
  return {
    policy: `${src.namespace}/${src.name}`, namespace: src.namespace, name: src.name, created: src.creationTimestamp ?? '', retentionMs, spec,
    ...(spec.services ? { services: spec.services } : {}),
    ...(i ? { inputs: { sampleRate: i.sampleRate ?? 1, ...(i.keep ? { keep: steps(i.keep) } : {}), drop: steps(i.drop), hash: steps(i.hash) } } : {}),
  };
}

/** Oldest first, then by name: the order in which equally specific policies win. */
const older = (a: Compiled, b: Compiled) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The policies in force, resolved per (namespace, service). */
export class PolicySet {
  private readonly byNamespace = new Map<string, Compiled[]>();
  private readonly cache = new Map<string, ResolvedPolicy>();

  constructor(sources: readonly PolicySource[] = []) {
    for (const c of sources.map(compile).sort(older)) {
      const list = this.byNamespace.get(c.namespace) ?? [];
      list.push(c);
      this.byNamespace.set(c.namespace, list);
    }
  }

  /** A policy naming the service, else one for the whole namespace, else the default; the oldest among equals. */
  of(namespace: string, service: string): ResolvedPolicy {
    const key = `${namespace}/${service}`;
    let r = this.cache.get(key);
    if (r === undefined) {
      const list = this.byNamespace.get(namespace) ?? [];
      r = list.find((c) => c.services?.includes(service)) ?? list.find((c) => c.services === undefined) ?? DEFAULT_POLICY;
      this.cache.set(key, r);
    }
    return r;
  }

  /** Every policy, with the services it names (absent: the whole namespace). */
  all(): ReadonlyArray<ResolvedPolicy & { namespace: string; services?: readonly string[] }> {
    return [...this.byNamespace.values()].flat();
  }
}

/** Whether this request's input is kept: the policy keeps inputs and the request id falls in its sample. */
export function keepsInput(p: ResolvedPolicy, requestId: string): boolean {
  const rate = p.inputs?.sampleRate ?? 0;
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return (hash('prediction-inputs', requestId, 2) ?? 1) < rate;
}

/** Derived keys by master key and namespace: deriving costs an HMAC, and the writer hashes per row. */
const namespaceKeys = new WeakMap<Uint8Array, Map<string, Buffer>>();

/**
 * The keyed hash of a value: HMAC-SHA256 under a key derived for the namespace (so equal values
 * do not link across namespaces). Strings are hashed as their text, anything else as its JSON.
 */
export function keyedHash(key: Uint8Array, namespace: string, value: unknown): string {
  let keys = namespaceKeys.get(key);
  if (!keys) namespaceKeys.set(key, (keys = new Map()));
  let nsKey = keys.get(namespace);
  if (!nsKey) keys.set(namespace, (nsKey = createHmac('sha256', key).update(`namespace:${namespace}`).digest()));
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
  return HASH_PREFIX + createHmac('sha256', nsKey).update(text).digest('hex');
}

type Container = Record<string | number, unknown>;

/** Calls `at(parent, key)` for every location the path selects (the root itself has none). */
function visit(root: unknown, path: Steps, at: (parent: Container, key: string | number) => void): void {
  let nodes: unknown[] = [root];
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const last = i === path.length - 1;
    const next: unknown[] = [];
    for (const n of nodes) {
      if (typeof n !== 'object' || n === null) continue;
      const c = n as Container;
      const keys: Array<string | number> =
        step.kind === 'field' ? (!Array.isArray(n) && Object.hasOwn(c, step.name) ? [step.name] : [])
        : step.kind === 'index' ? (Array.isArray(n) && step.index < n.length && step.index >= -n.length ? [step.index < 0 ? n.length + step.index : step.index] : [])
        : Array.isArray(n) ? n.map((_, k) => k) : Object.keys(c);
      for (const k of keys) {
        if (last) at(c, k);
        else next.push(c[k]);
      }
    }
    nodes = next;
  }
}

/** A copy of `root` with only what the paths select (and the objects and arrays around it); arrays keep their positions, null where nothing was kept. */
function project(root: unknown, paths: readonly Steps[]): unknown {
  if (paths.some((p) => p.length === 0)) return root;
  let out: unknown;
  for (const path of paths) {
    // Walk source and copy side by side, creating containers in the copy as the path goes.
    let pairs: Array<[unknown, Container | undefined, string | number | undefined]> = [[root, undefined, undefined]];
    for (let i = 0; i < path.length; i++) {
      const next: typeof pairs = [];
      for (const [src, parent, key] of pairs) {
        if (typeof src !== 'object' || src === null) continue;
        const dst = parent === undefined ? (out ??= Array.isArray(root) ? [] : {}) : (parent[key!] ??= Array.isArray(src) ? [] : {});
        visit(src, [path[i]!], (c, k) => next.push([c[k], dst as Container, k]));
      }
      pairs = next;
    }
    for (const [src, parent, key] of pairs) if (parent) parent[key!] = src;
  }
  fillHoles(out);
  return out ?? null;
}

function fillHoles(v: unknown): void {
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (!(i in v)) v[i] = null; else fillHoles(v[i]);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) fillHoles(x);
}

/** What the policy keeps of a parsed request body: `keep` first, then `drop`, then `hash` (on what is left). */
export function filterInput(body: unknown, rule: InputRule, hashValue: (v: unknown) => string): unknown {
  let v = rule.keep ? project(body, rule.keep) : body;
  for (const path of rule.drop) {
    if (path.length === 0) return null;
    visit(v, path, (c, k) => (Array.isArray(c) ? (c[k as number] = null) : delete c[k]));
  }
  for (const path of rule.hash) {
    if (path.length === 0) v = hashValue(v);
    else visit(v, path, (c, k) => (c[k] = hashValue(c[k])));
  }
  return v;
}
