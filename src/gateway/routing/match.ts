// Per-request route selection: find the host's match blocks for the gateway
// the request came through, then the first block whose conditions all hold.
// This runs on every request, so it allocates nothing in the common case:
// no closures, no array copies, no lower-casing unless a matcher asks for it.
import { normalizeRequestHost } from './hosts.ts';
import { MESH_GATEWAY, StrKind, type CompiledMatch, type HostRoutes, type NamedMatcher, type RequestView, type RoutingTable, type StrMatcher } from './types.ts';

/** ASCII case-insensitive equality against an already lower-cased expectation. */
function equalsLower(value: string, lower: string, prefixOnly: boolean): boolean {
  if (prefixOnly ? value.length < lower.length : value.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c > 127) return value.slice(0, lower.length).toLowerCase() === lower;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export function stringMatches(m: StrMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  switch (m.kind) {
    case StrKind.Exact:
      return m.ignoreCase ? equalsLower(value, m.value, false) : value === m.value;
    case StrKind.Prefix:
      return m.ignoreCase ? equalsLower(value, m.value, true) : value.startsWith(m.value);
    case StrKind.Regex:
      return m.re!.test(value);
    default:
      return true; // Present
  }
}

function allHeaders(list: readonly NamedMatcher[], req: RequestView): boolean {
  for (let i = 0; i < list.length; i++) if (!stringMatches(list[i]!.m, req.headers(list[i]!.name))) return false;
  return true;
}

/** withoutHeaders: the block fails if any listed header is present and matches (an absent header never matches). */
function noHeaders(list: readonly NamedMatcher[], req: RequestView): boolean {
  for (let i = 0; i < list.length; i++) if (stringMatches(list[i]!.m, req.headers(list[i]!.name))) return false;
  return true;
}

function allQuery(list: readonly NamedMatcher[], req: RequestView): boolean {
  for (let i = 0; i < list.length; i++) if (!stringMatches(list[i]!.m, req.query(list[i]!.name))) return false;
  return true;
}

/** All conditions of one block hold (an empty block holds for every request). */
export function blockMatches(b: CompiledMatch, req: RequestView): boolean {
  if (b.never) return false;
  if (b.uri !== null && !stringMatches(b.uri, req.path)) return false;
  if (b.method !== null && !stringMatches(b.method, req.method)) return false;
  if (b.authority !== null && !stringMatches(b.authority, req.host)) return false;
  if (b.scheme !== null && !stringMatches(b.scheme, req.scheme ?? 'http')) return false;
  if (b.port !== null && req.port !== b.port) return false;
  return allHeaders(b.headers, req) && noHeaders(b.withoutHeaders, req) && allQuery(b.queryParams, req);
}

/** The host's routes for a gateway: exact host, then the longest `*.suffix`, then `*`. */
export function routesForHost(table: RoutingTable, gateway: string, rawHost: string): HostRoutes | undefined {
  const gw = table.gateways.get(gateway);
  if (gw === undefined) return undefined;
  const host = normalizeRequestHost(rawHost);
  const exact = gw.exact.get(host);
  if (exact !== undefined) return exact;
  if (gateway === MESH_GATEWAY) {
    // In-mesh clients may call NAME.NS or NAME.NS.svc (Kubernetes search domains).
    const dots = countDots(host);
    if (dots === 1 || (dots === 2 && host.endsWith('.svc'))) {
      const full = gw.exact.get(dots === 1 ? `${host}.svc.cluster.local` : `${host}.cluster.local`);
      if (full !== undefined) return full;
    }
  }
  const w = gw.wildcards;
  for (let i = 0; i < w.length; i++) {
    const suffix = w[i]!.suffix;
    if (host.length > suffix.length && host.endsWith(suffix)) return w[i]!.routes;
  }
  return gw.catchAll ?? undefined;
}

function countDots(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 46) n++;
  return n;
}

/** First block (in route order) that matches; its `.route` is the route that wins. */
export function firstMatch(routes: HostRoutes, req: RequestView): CompiledMatch | undefined {
  const list = routes.matches;
  for (let i = 0; i < list.length; i++) if (blockMatches(list[i]!, req)) return list[i];
  return undefined;
}

/** Host lookup + first match in one call. `gateway` is 'mesh' for in-mesh requests, else 'namespace/name'. */
export function matchRequest(table: RoutingTable, gateway: string, req: RequestView): CompiledMatch | undefined {
  const routes = routesForHost(table, gateway, req.host);
  return routes === undefined ? undefined : firstMatch(routes, req);
}
