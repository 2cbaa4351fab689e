// InferenceService ingress: Host NAME.NAMESPACE.<domain> (or the model name
// in the path) → one revision, chosen per request by the traffic split in
// status.components.predictor.traffic; tag hosts pin a revision.
// Compiled once per change into plain maps; routing a request is lookups.
import type { CompiledGraph } from './graph/compile.ts';
import type { LoggerSpec } from './logger.ts';

export interface TrafficTarget {
  revisionName: string;
  percent: number;
  tag?: string;
  latestRevision?: boolean;
}

export interface IngressService {
  namespace: string;
  name: string;
  traffic: TrafficTarget[];
  /** Knative mode with minReplicas 0: hold requests while a replica starts. */
  scaleFromZero: boolean;
  /** How long the activator holds a request (spec timeout, or the default). */
  activatorTimeoutMs: number;
  /** spec.predictor.logger with a url: payload copies go there (see logger.ts). */
  logger?: LoggerSpec;
}

export interface IngressRoute {
  service: IngressService;
  revision: string;
  /** The traffic tag that answered (prev, latest, …) or '' for an untagged split entry. */
  variant: string;
}

interface Split {
  service: IngressService;
  /** Cumulative percent bounds, parallel to targets. */
  bounds: number[];
  targets: TrafficTarget[];
}

export interface IngressTable {
  version: number;
  byHost: Map<string, Split>;
  byTagHost: Map<string, IngressRoute>;
  byModel: Map<string, Split[]>;
  /** InferenceGraphs by host GRAPH.NAMESPACE.<domain>; absent when there are none. */
  graphs?: Map<string, CompiledGraph>;
}

function split(service: IngressService): Split {
  const targets = service.traffic.filter((t) => t.percent > 0);
  let sum = 0;
  const bounds = targets.map((t) => (sum += t.percent));
  return { service, bounds, targets };
}

function variantOf(t: TrafficTarget): string {
  return t.tag ?? (t.latestRevision ? 'latest' : '');
}

export function compileIngress(services: IngressService[], domain: string, version: number): IngressTable {
  const byHost = new Map<string, Split>();
  const byTagHost = new Map<string, IngressRoute>();
  const byModel = new Map<string, Split[]>();
  for (const s of services) {
    const sp = split(s);
    byHost.set(`${s.name}.${s.namespace}.${domain}`, sp);
    byHost.set(`${s.name}-predictor.${s.namespace}.${domain}`, sp);
    byHost.set(`${s.name}-predictor-default.${s.namespace}.${domain}`, sp);
    byModel.set(s.name, [...(byModel.get(s.name) ?? []), sp]);
    for (const t of s.traffic) {
      if (!t.tag) continue;
      const route = { service: s, revision: t.revisionName, variant: t.tag };
      byTagHost.set(`${t.tag}-${s.name}-predictor.${s.namespace}.${domain}`, route);
      byTagHost.set(`${t.tag}-${s.name}-predictor-default.${s.namespace}.${domain}`, route);
    }
  }
  return { version, byHost, byTagHost, byModel };
}

/** The model name KServe's paths carry: /v1/models/NAME[:verb], /v2/models/NAME[/...]. */
export function modelNameOf(path: string): string | undefined {
  const m = /^\/v[12]\/models\/([^/:?]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function choose(sp: Split, rng: () => number): IngressRoute | undefined {
  const total = sp.bounds[sp.bounds.length - 1];
  if (total === undefined) return undefined;
  const x = rng() * total;
  for (let i = 0; i < sp.bounds.length; i++) {
    if (x < sp.bounds[i]!) {
      const t = sp.targets[i]!;
      return { service: sp.service, revision: t.revisionName, variant: variantOf(t) };
    }
  }
  const t = sp.targets[sp.targets.length - 1]!;
  return { service: sp.service, revision: t.revisionName, variant: variantOf(t) };
}

export type IngressResult =
  | { kind: 'route'; route: IngressRoute }
  | { kind: 'notFound'; message: string }
  | { kind: 'noTraffic'; service: IngressService };

export function routeIngress(table: IngressTable, hostHeader: string | undefined, path: string, rng: () => number): IngressResult {
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  const tagged = table.byTagHost.get(host);
  if (tagged) return { kind: 'route', route: tagged };
  let sp = table.byHost.get(host);
  if (!sp) {
    const model = modelNameOf(path);
    const candidates = model === undefined ? [] : table.byModel.get(model) ?? [];
    if (candidates.length === 1) sp = candidates[0];
    else if (candidates.length > 1) {
      return { kind: 'notFound', message: `Model with name ${model} exists in several namespaces; send Host: ${model}.<namespace>.<domain>` };
    } else {
      return { kind: 'notFound', message: model ? `Model with name ${model} does not exist.` : `no InferenceService serves host "${host}"` };
    }
  }
  const route = choose(sp!, rng);
  return route ? { kind: 'route', route } : { kind: 'noTraffic', service: sp!.service };
}
