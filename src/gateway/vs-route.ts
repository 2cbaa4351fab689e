// VirtualService routing for the gateway: find the matching route for a
// request in the compiled RoutingTable, and turn a chosen destination into
// something the proxy can send to — an InferenceService revision (through the
// ingress split, the endpoint registry and the activator) or a ServiceEntry
// origin. Pure lookups over immutable snapshots; randomness is passed in.
import { revisionKey } from '../core/revision-key.ts';
import type { IncomingMessage } from 'node:http';
import { routeIngress, type IngressRoute, type IngressTable } from './ingress.ts';
import { firstMatch, routesForHost } from './routing/match.ts';
import { KNATIVE_INGRESS_GATEWAY, MESH_GATEWAY, type CompiledMatch, type Endpoint, type HeaderOps, type HostRoutes, type RequestView, type RoutingTable, type Target } from './routing/types.ts';

/** The compiled VirtualService table plus the order its gateways are tried in. */
export interface VsLookup {
  readonly table: RoutingTable;
  readonly gateways: readonly string[];
}

/**
 * The local gateway plays every gateway at once: the Knative ingress gateway
 * first (external hosts), then `mesh` (in-cluster names), then any other
 * named gateway. Undefined when no VirtualService routes anything, so the
 * plain InferenceService path pays nothing.
 */
export function vsLookup(table: RoutingTable): VsLookup | undefined {
  if (table.gateways.size === 0) return undefined;
  const rank = (g: string) => (g === KNATIVE_INGRESS_GATEWAY ? 0 : g === MESH_GATEWAY ? 1 : 2);
  const gateways = [...table.gateways.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.freeze({ table, gateways: Object.freeze(gateways) });
}

/**
 * The view of a request the matchers read; the query string is parsed only if
 * a matcher asks. A class rather than closures: under tsx's keepNames every
 * closure would get a `name` defined on it, per request.
 */
class IncomingView implements RequestView {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  private params: URLSearchParams | undefined;

  constructor(private readonly req: IncomingMessage, private readonly url: string, private readonly q: number) {
    this.method = req.method ?? 'GET';
    this.path = q < 0 ? url : url.slice(0, q);
    this.host = req.headers.host ?? '';
  }

  headers(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  }

  query(name: string): string | undefined {
    this.params ??= new URLSearchParams(this.q < 0 ? '' : this.url.slice(this.q + 1));
    return this.params.get(name) ?? undefined;
  }
}

export function requestView(req: IncomingMessage): RequestView {
  const url = req.url ?? '/';
  return new IncomingView(req, url, url.indexOf('?'));
}

/**
 * First matching block over the gateways in order. undefined: no
 * VirtualService claims the host (the InferenceService ingress answers);
 * null: one does but none of its routes match — Envoy answers 404 (NR) then.
 */
export function matchVirtualService(lookup: VsLookup, req: RequestView): CompiledMatch | undefined | null {
  let claimed = false;
  for (const g of lookup.gateways) {
    const routes = routesForHost(lookup.table, g, req.host);
    if (routes === undefined) continue;
    claimed = true;
    const m = firstMatch(routes, req);
    if (m !== undefined) return m;
  }
  return claimed ? null : undefined;
}

/** Where a chosen destination sends this request. */
export type Upstream =
  | { kind: 'revision'; route: IngressRoute }
  | { kind: 'origin'; origin: string; namespace: string; service: string; revision: string; variant: string }
  | { kind: 'none'; reason: string };

/** IPv6 literals need brackets in an origin. */
const hostPart = (address: string): string => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);

/** The origin of one ServiceEntry endpoint. */
export function endpointOrigin(target: { readonly tls: boolean }, ep: Endpoint): string {
  return `${target.tls ? 'https' : 'http'}://${hostPart(ep.address)}:${ep.port}`;
}

/** Every ServiceEntry endpoint origin a routing table can send to (destinations and mirrors). */
export function serviceEntryOrigins(table: RoutingTable, into: Set<string>): Set<string> {
  const add = (t: Target): void => {
    if (t.kind === 'serviceEntry') for (const ep of t.endpoints) into.add(endpointOrigin(t, ep));
  };
  const addHost = (h: HostRoutes | null): void => {
    for (const m of h?.matches ?? []) {
      for (const d of m.route.destinations) add(d.target);
      for (const mi of m.route.mirrors) add(mi.target);
    }
  };
  for (const g of table.gateways.values()) {
    for (const h of g.exact.values()) addHost(h);
    for (const w of g.wildcards) addHost(w.routes);
    addHost(g.catchAll);
  }
  return into;
}

/**
 * A destination target → an upstream. InferenceService predictors follow the
 * service's own split (or a pinned tag, or a DestinationRule subset's
 * revisions); ServiceEntries pick an endpoint by weight.
 */
export function resolveTarget(target: Target, ingress: IngressTable, domain: string, vsNamespace: string, rng: () => number, avoid?: string): Upstream {
  if (target.kind === 'unresolved') return { kind: 'none', reason: target.reason };
  if (target.kind === 'serviceEntry') {
    const eps = target.endpoints;
    if (eps.length === 0) return { kind: 'none', reason: `no endpoints for ${target.host}` };
    let ep = eps[0]!;
    if (eps.length > 1) {
      // A retry leaves out the endpoint that just failed when another is there (Envoy's previous_hosts).
      const skip = avoid === undefined ? undefined : eps.find((e) => endpointOrigin(target, e) === avoid);
      let total = 0;
      for (const e of eps) if (e !== skip) total += e.weight;
      let x = rng() * total;
      for (const e of eps) if (e !== skip && (x -= e.weight) < 0) { ep = e; break; }
      if (ep === skip) ep = eps.find((e) => e !== skip)!;
    }
    const origin = endpointOrigin(target, ep);
    return { kind: 'origin', origin, namespace: vsNamespace, service: target.host, revision: target.subset ?? '', variant: target.subset ?? '' };
  }
  const host = target.tag !== null ? `${target.tag}-${target.name}-predictor.${target.namespace}.${domain}` : `${target.name}-predictor.${target.namespace}.${domain}`;
  const r = routeIngress(ingress, host, '/', rng);
  if (r.kind === 'notFound') return { kind: 'none', reason: `InferenceService ${target.namespace}/${target.name} is not served` };
  const service = r.kind === 'route' ? r.route.service : r.service;
  if (target.revisions !== null) {
    // A DestinationRule subset: its revisions, uniformly (they are usually one).
    if (target.revisions.length === 0) return { kind: 'none', reason: `subset ${target.subset} selects no revision` };
    const revision = target.revisions[Math.min(target.revisions.length - 1, Math.floor(rng() * target.revisions.length))]!;
    return { kind: 'revision', route: { service, revision, key: revisionKey(service.namespace, revision), variant: target.subset ?? '' } };
  }
  if (r.kind === 'noTraffic') return { kind: 'none', reason: `InferenceService ${target.namespace}/${target.name} has no ready revision to route to` };
  return { kind: 'revision', route: r.route };
}

const MODEL_PATH = /^(\/v[12]\/models\/)([^/:?]+)/;

/**
 * KServe model servers answer only for their own model name, so a request
 * for /v1/models/X:predict (or /v2/models/X/...) sent to InferenceService Y
 * goes out as /v1/models/Y:predict. This lets one VirtualService send a host's
 * requests (and mirror copies) to differently named InferenceServices without
 * a rewrite per destination, which Istio cannot express. Other paths are
 * left alone.
 */
export function modelPathFor(path: string, service: string): string {
  const m = MODEL_PATH.exec(path);
  if (m === null || m[2] === service) return path;
  return m[1]! + service + path.slice(m[0].length);
}

/** Envoy's shadow authority: `-shadow` goes before the port (`a.b:8080` → `a.b-shadow:8080`). */
export function shadowHost(host: string): string {
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon > close && /^\d+$/.test(host.slice(colon + 1))) return `${host.slice(0, colon)}-shadow${host.slice(colon)}`;
  return `${host}-shadow`;
}

export type HeaderMap = Record<string, string | string[]>;

/** Envoy's order: remove, then set (overwrite), then add (append). Names are already lower case. */
export function applyHeaderOps(h: HeaderMap, ops: HeaderOps | null | undefined): void {
  if (!ops) return;
  for (const k of ops.remove) delete h[k];
  for (const k in ops.set) h[k] = ops.set[k]!;
  for (const k in ops.add) {
    const old = h[k];
    const v = ops.add[k]!;
    h[k] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
  }
}
