// InferenceService ingress: Host NAME.NAMESPACE.<domain> (or the model name
// in the path) → one revision, chosen per request by the traffic split in
// status.components.<component>.traffic; tag hosts pin a revision. With a
// transformer the top-level host goes to it, `:explain` goes to the
// explainer, and /predictor/NAMESPACE/NAME/... reaches the predictor (that is
// the predictor_host a transformer is given). Compiled once per change into
// plain maps; routing a request is lookups.
import { revisionKey } from '../core/revision-key.ts';
import type { CompiledGraph } from './graph/compile.ts';
import type { LoggerSpec } from './payload-logger.ts';
import { EXCLUDED_SLICE, isExcluded, limitShare, strataOf, unitBucket, type KeyReader, type ServiceCohorts } from './cohorts.ts';

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
  /**
   * The component's `timeout` (Knative's revision timeoutSeconds): how long a replica has to start
   * answering before the client gets 504 "upstream request timeout"; absent: the gateway's default.
   */
  requestTimeoutMs?: number;
  /** spec.predictor.logger with a url: payload copies go there (see payload-logger.ts). */
  logger?: LoggerSpec;
  /** Traffic of the transformer and explainer components, when the InferenceService has them. */
  transformer?: TrafficTarget[];
  explainer?: TrafficTarget[];
  /** An active TrafficPlan's cohorts: exclusions, sticky units, strata (see cohorts.ts). */
  cohorts?: ServiceCohorts;
  /** Artifact digest (sha256:…) of each revision whose model the storage initializer resolved, by revision name. */
  digests?: Readonly<Record<string, string>>;
  /** A shadow phase: `percent` of the predictor's requests are copied to `revision`, whose answers never reach the client. */
  shadow?: { revision: string; percent: number };
  /** A bandit's allocation version (its plan's annotation): routes then carry their propensity. */
  allocation?: number;
}

/** Where a route's requests are copied in a shadow phase. */
export interface ShadowTarget {
  revision: string;
  key: string;
  percent: number;
  digest?: string;
}

export interface IngressRoute {
  service: IngressService;
  revision: string;
  /** revisionKey(namespace, revision): what ready endpoints, in-flight counts and the autoscaler know it by. */
  key: string;
  /** The traffic tag that answered (prev, latest, …) or '' for an untagged split entry. */
  variant: string;
  /** The upstream path when it differs from the request's (the /predictor/NS/NAME prefix removed). */
  path?: string;
  /** Strata values of the request, when the service has cohorts (telemetry slices). */
  cohort?: Record<string, string>;
  /** The request's unit key, when the service's cohorts assign by one. */
  unit?: string;
  /** Artifact digest of the revision's model, when known: what answered, even after the revision is replaced. */
  digest?: string;
  /** Copy a share of this route's requests to a shadow revision (a TrafficPlan's shadow phase). */
  shadow?: ShadowTarget;
  /** Under a bandit: the allocation version and this revision's share of the split (its propensity). */
  allocation?: number;
  propensity?: number;
}

interface Split {
  service: IngressService;
  /** Cumulative percent bounds, parallel to targets. */
  bounds: number[];
  targets: TrafficTarget[];
  /** The route of each target, built once per table (routing a request allocates none). */
  routes: IngressRoute[];
}

/** What a host serves: the main split, and the explainer's for `:explain`. */
interface HostEntry {
  main: Split;
  explain?: Split;
}

export interface IngressTable {
  version: number;
  byHost: Map<string, HostEntry>;
  byTagHost: Map<string, IngressRoute>;
  byModel: Map<string, HostEntry[]>;
  /** Predictor splits by NAMESPACE/NAME, for the /predictor/NAMESPACE/NAME/ prefix. */
  byPredictor: Map<string, Split>;
  /** InferenceGraphs by host GRAPH.NAMESPACE.<domain>; absent when there are none. */
  graphs?: Map<string, CompiledGraph>;
  /** Some service has cohorts: only then does the gateway build a key reader per request. */
  hasCohorts?: boolean;
}

function variantOf(t: TrafficTarget): string {
  return t.tag ?? (t.latestRevision ? 'latest' : '');
}

function routeOf(service: IngressService, t: TrafficTarget, variant = variantOf(t)): IngressRoute {
  const digest = service.digests?.[t.revisionName];
  return { service, revision: t.revisionName, key: revisionKey(service.namespace, t.revisionName), variant, ...(digest ? { digest } : {}) };
}

/** The shadow target of a service's predictor routes, for routes answered by another revision. */
function shadowOf(service: IngressService): ShadowTarget | undefined {
  const sh = service.shadow;
  if (!sh || sh.percent <= 0) return undefined;
  const digest = service.digests?.[sh.revision];
  return { revision: sh.revision, key: revisionKey(service.namespace, sh.revision), percent: sh.percent, ...(digest ? { digest } : {}) };
}

function split(service: IngressService, traffic = service.traffic, shadow?: ShadowTarget): Split {
  const targets = traffic.filter((t) => t.percent > 0);
  let sum = 0;
  const bounds = targets.map((t) => (sum += t.percent));
  const routes = targets.map((t) => {
    let r = routeOf(service, t);
    if (shadow && t.revisionName !== shadow.revision) r = { ...r, shadow };
    if (service.allocation !== undefined) r = { ...r, allocation: service.allocation, propensity: t.percent / sum };
    return r;
  });
  return { service, bounds, targets, routes };
}

export function compileIngress(services: IngressService[], domain: string, version: number): IngressTable {
  const byHost = new Map<string, HostEntry>();
  const byTagHost = new Map<string, IngressRoute>();
  const byModel = new Map<string, HostEntry[]>();
  const byPredictor = new Map<string, Split>();
  for (const s of services) {
    const predictor = split(s, s.traffic, shadowOf(s));
    const transformer = s.transformer ? split(s, s.transformer) : undefined;
    const explainer = s.explainer ? split(s, s.explainer) : undefined;
    const top: HostEntry = { main: transformer ?? predictor, ...(explainer ? { explain: explainer } : {}) };
    byHost.set(`${s.name}.${s.namespace}.${domain}`, top);
    byModel.set(s.name, [...(byModel.get(s.name) ?? []), top]);
    byPredictor.set(`${s.namespace}/${s.name}`, predictor);
    const components: [string, Split | undefined, TrafficTarget[] | undefined][] = [
      ['predictor', predictor, s.traffic], ['transformer', transformer, s.transformer], ['explainer', explainer, s.explainer],
    ];
    for (const [component, sp, traffic] of components) {
      if (!sp) continue;
      byHost.set(`${s.name}-${component}.${s.namespace}.${domain}`, { main: sp });
      byHost.set(`${s.name}-${component}-default.${s.namespace}.${domain}`, { main: sp });
      for (const t of traffic ?? []) {
        if (!t.tag) continue;
        const route = routeOf(s, t, t.tag);
        byTagHost.set(`${t.tag}-${s.name}-${component}.${s.namespace}.${domain}`, route);
        byTagHost.set(`${t.tag}-${s.name}-${component}-default.${s.namespace}.${domain}`, route);
      }
    }
  }
  return { version, byHost, byTagHost, byModel, byPredictor, ...(services.some((s) => s.cohorts) ? { hasCohorts: true } : {}) };
}

const PREDICTOR_PREFIX = '/predictor/';

/** /predictor/NAMESPACE/NAME/rest → the predictor's split and /rest. */
function predictorPath(table: IngressTable, path: string): { sp: Split; rest: string } | undefined {
  const ns = path.indexOf('/', PREDICTOR_PREFIX.length);
  const name = ns < 0 ? -1 : path.indexOf('/', ns + 1);
  if (name < 0) return undefined;
  const sp = table.byPredictor.get(path.slice(PREDICTOR_PREFIX.length, name));
  return sp ? { sp, rest: path.slice(name) } : undefined;
}

/** The model name KServe's paths carry: /v1/models/NAME[:verb], /v2/models/NAME[/...]. */
export function modelNameOf(path: string): string | undefined {
  const m = /^\/v[12]\/models\/([^/:?]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function choose(sp: Split, rng: () => number, read?: KeyReader): IngressRoute | undefined {
  const c = sp.service.cohorts;
  if (c && read) return chooseInCohorts(sp, c, read, rng);
  return chooseAt(sp, rng());
}

/** The target at fraction x ∈ [0, 1) of the split's cumulative bounds. */
function chooseAt(sp: Split, fraction: number): IngressRoute | undefined {
  const total = sp.bounds[sp.bounds.length - 1];
  if (total === undefined) return undefined;
  const x = fraction * total;
  for (let i = 0; i < sp.bounds.length; i++) if (x < sp.bounds[i]!) return sp.routes[i];
  return sp.routes[sp.routes.length - 1];
}

/**
 * Excluded requests go to the baseline (the split's entry that is not the
 * latest revision); a unit key picks by its bucket — the latest revision's
 * share comes first in KServe's traffic list, so a unit inside a 10 % canary
 * is still inside at 50 %; otherwise at random. A cohort limit sends the
 * stratum's requests past its cap to the baseline.
 */
function chooseInCohorts(sp: Split, c: ServiceCohorts, read: KeyReader, rng: () => number): IngressRoute | undefined {
  if (isExcluded(c, read)) {
    const i = sp.targets.findIndex((x) => !x.latestRevision);
    const route = sp.routes[i < 0 ? sp.routes.length - 1 : i];
    return route ? { ...route, cohort: { ...strataOf(c, read), [EXCLUDED_SLICE]: 'true' } } : undefined;
  }
  const unit = c.unit ? read(c.unit) || undefined : undefined;
  const fraction = unitBucket(c, read) ?? rng();
  let route = chooseAt(sp, fraction);
  // A cohort limit caps the latest revision's share (first in the list) for this stratum; beyond it, the baseline.
  const latest = sp.targets.findIndex((x) => x.latestRevision);
  const total = sp.bounds[sp.bounds.length - 1] ?? 1;
  if (latest >= 0 && route === sp.routes[latest] && fraction - (sp.bounds[latest - 1] ?? 0) / total >= limitShare(c, read)) {
    const base = sp.targets.findIndex((x) => !x.latestRevision);
    if (base >= 0) route = sp.routes[base];
  }
  const cohort = route && strataOf(c, read);
  return route && (cohort || unit) ? { ...route, ...(cohort ? { cohort } : {}), ...(unit ? { unit } : {}) } : route;
}

export type IngressResult =
  | { kind: 'route'; route: IngressRoute }
  | { kind: 'notFound'; message: string }
  | { kind: 'noTraffic'; service: IngressService };

/** `read` gives the request's keys for services with cohorts; without it cohorts are ignored (graph steps). */
export function routeIngress(table: IngressTable, hostHeader: string | undefined, path: string, rng: () => number, read?: KeyReader): IngressResult {
  if (path.startsWith(PREDICTOR_PREFIX)) {
    const p = predictorPath(table, path);
    if (!p) return { kind: 'notFound', message: `no InferenceService predictor at ${path.split('/').slice(0, 4).join('/')}` };
    const route = choose(p.sp, rng, read);
    return route ? { kind: 'route', route: { ...route, path: p.rest } } : { kind: 'noTraffic', service: p.sp.service };
  }
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  const tagged = table.byTagHost.get(host);
  if (tagged) return { kind: 'route', route: tagged };
  let entry = table.byHost.get(host);
  if (!entry) {
    const model = modelNameOf(path);
    const candidates = model === undefined ? [] : table.byModel.get(model) ?? [];
    if (candidates.length === 1) entry = candidates[0];
    else if (candidates.length > 1) {
      return { kind: 'notFound', message: `Model with name ${model} exists in several namespaces; send Host: ${model}.<namespace>.<domain>` };
    } else {
      return { kind: 'notFound', message: model ? `Model with name ${model} does not exist.` : `no InferenceService serves host "${host}"` };
    }
  }
  const sp = entry!.explain && path.endsWith(':explain') ? entry!.explain : entry!.main;
  const route = choose(sp, rng, read);
  return route ? { kind: 'route', route } : { kind: 'noTraffic', service: sp.service };
}
