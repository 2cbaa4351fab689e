// VirtualServices + ServiceEntries + DestinationRules + InferenceServices →
// one immutable RoutingTable. Per gateway ('mesh' or 'ns/name') it maps hosts
// to the ordered match blocks of every route that applies there, so the hot
// path does a map lookup and walks a flat array. User mistakes never throw:
// they come back in `problems` for the controller to put in status.
import { ALLOCATION_ANNOTATION, parseAllocationVersion } from '../../api/kinds/inferenceservice.ts';
import type { z } from 'zod';
import { UNIT_KEY_ANNOTATION, type virtualServiceSpec } from '../../api/kinds/virtualservice.ts';
import { compileMatch, matchAll } from './compile-match.ts';
import { compileRouteActions } from './compile-route.ts';
import { destinationResolver, type DestinationRuleInput, type ServiceEntryInput } from './destinations.ts';
import { qualifyGateway, qualifyHost } from './hosts.ts';
import { MESH_GATEWAY, type CompiledMatch, type CompiledRoute, type GatewayRoutes, type HostRoutes, type InferenceServiceInfo, type RoutingProblem, type RoutingTable, type UnitKeySource } from './types.ts';

/** Annotation naming where a VirtualService's sticky unit key comes from: header:NAME, cookie:NAME or query:NAME. */

export interface VirtualServiceInput {
  metadata: { namespace?: string | null; name: string; annotations?: Record<string, string> | null; creationTimestamp?: string | null };
  spec: z.infer<typeof virtualServiceSpec>;
}

export interface RoutingInput {
  virtualServices: VirtualServiceInput[];
  serviceEntries: ServiceEntryInput[];
  destinationRules: DestinationRuleInput[];
  inferenceServices: InferenceServiceInfo[];
  /** Ingress domain of InferenceService URLs (NAME.NS.<domain>). */
  domain: string;
  version: number;
}

function parseUnitKey(value: string | undefined, report: (field: string, message: string) => void): UnitKeySource | null {
  if (value === undefined) return null;
  const m = /^(header|cookie|query):(.+)$/.exec(value.trim());
  if (!m) {
    report(`metadata.annotations[${UNIT_KEY_ANNOTATION}]`, 'must be header:NAME, cookie:NAME or query:NAME; requests are assigned at random');
    return null;
  }
  const from = m[1] as UnitKeySource['from'];
  return Object.freeze({ from, name: from === 'header' ? m[2]!.toLowerCase() : m[2]! });
}

/** Creation order, then namespace/name: the order routes of VirtualServices sharing a host are tried in. */
function byAge(a: VirtualServiceInput, b: VirtualServiceInput): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? 'default'}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? 'default'}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function compileRoutingTable(input: RoutingInput): RoutingTable {
  const problems: RoutingProblem[] = [];
  const resolver = destinationResolver(input);
  // gateway → host pattern → match blocks in order
  const blocks = new Map<string, Map<string, CompiledMatch[]>>();
  const add = (gateway: string, host: string, m: CompiledMatch) => {
    let hosts = blocks.get(gateway);
    if (!hosts) blocks.set(gateway, (hosts = new Map()));
    let list = hosts.get(host);
    if (!list) hosts.set(host, (list = []));
    list.push(m);
  };

  for (const vs of [...input.virtualServices].sort(byAge)) {
    const namespace = vs.metadata.namespace ?? 'default';
    const name = vs.metadata.name;
    const report = (field: string, message: string) => problems.push(Object.freeze({ namespace, name, field, message }));
    const hosts = [...new Set((vs.spec.hosts ?? []).map((h) => qualifyHost(h, namespace)))];
    if (hosts.length === 0) report('spec.hosts', 'no hosts: the VirtualService routes nothing');
    // Istio: without `gateways` the rules apply to sidecars only ("mesh").
    const vsGateways = (vs.spec.gateways ?? [MESH_GATEWAY]).map((g) => qualifyGateway(g, namespace));
    const unitKey = parseUnitKey(vs.metadata.annotations?.[UNIT_KEY_ANNOTATION], report);
    const allocation = parseAllocationVersion(vs.metadata.annotations?.[ALLOCATION_ANNOTATION]) ?? null;

    (vs.spec.http ?? []).forEach((r, index) => {
      const field = `spec.http[${index}]`;
      const route = { ...compileRouteActions(r, { namespace, vsName: name, index, field, unitKey, allocation, resolver, report }), matches: [] as CompiledMatch[] } as CompiledRoute & { matches: CompiledMatch[] };
      const perBlock: { match: CompiledMatch; gateways: string[] }[] = (r.match ?? []).map((m, i) => ({
        match: compileMatch(route, m, `${field}.match[${i}]`, report),
        gateways: m.gateways ? m.gateways.map((g) => qualifyGateway(g, namespace)) : vsGateways,
      }));
      if (perBlock.length === 0) perBlock.push({ match: matchAll(route), gateways: vsGateways });
      route.matches.push(...perBlock.map((b) => b.match));
      Object.freeze(route.matches);
      Object.freeze(route);
      for (const b of perBlock) for (const g of b.gateways) for (const h of hosts) add(g, h, b.match);
    });
  }

  const gateways = new Map<string, GatewayRoutes>();
  for (const [gateway, hosts] of blocks) {
    const exact = new Map<string, HostRoutes>();
    const wildcards: { suffix: string; routes: HostRoutes }[] = [];
    let catchAll: HostRoutes | null = null;
    for (const [host, list] of hosts) {
      const routes: HostRoutes = Object.freeze({ host, matches: Object.freeze(list) });
      if (host === '*') catchAll = routes;
      else if (host.startsWith('*.')) wildcards.push(Object.freeze({ suffix: host.slice(1), routes }));
      else exact.set(host, routes);
    }
    wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    gateways.set(gateway, Object.freeze({ exact, wildcards: Object.freeze(wildcards), catchAll }));
  }
  return Object.freeze({ version: input.version, domain: input.domain, gateways, problems: Object.freeze(problems) });
}
