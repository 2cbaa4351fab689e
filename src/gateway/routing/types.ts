// The compiled routing table's shapes: what compile.ts produces, match.ts
// walks per request and select.ts reads to pick a destination. Everything
// here is plain, frozen data so a table can be swapped in one assignment.
import type { BucketRange } from '../../core/hash.ts';

/** A user-config problem, in the shape a controller copies into status. */
export interface RoutingProblem {
  namespace: string;
  /** The VirtualService the problem belongs to. */
  name: string;
  /** Field path inside the object, e.g. spec.http[0].route[1].destination.host. */
  field: string;
  message: string;
}

/** What the hot path sees of a request. `path` excludes the query string; header names are lower case. */
export interface RequestView {
  method: string;
  path: string;
  host: string;
  headers: (name: string) => string | undefined;
  query: (name: string) => string | undefined;
  /** 'http' or 'https'; only needed by `scheme` matches. */
  scheme?: string;
  /** Port the request arrived on; only needed by `port` matches. */
  port?: number;
}

/** How a StrMatcher compares; Present is Istio's `{}` (there, whatever the value). */
export const StrKind = { Exact: 0, Prefix: 1, Regex: 2, Present: 3 } as const;
export type StrKind = (typeof StrKind)[keyof typeof StrKind];

export interface StrMatcher {
  readonly kind: StrKind;
  readonly value: string;
  readonly re: RegExp | null;
  readonly ignoreCase: boolean;
}

export interface NamedMatcher {
  readonly name: string;
  readonly m: StrMatcher;
}

/** One `match` block: its conditions AND together. */
export interface CompiledMatch {
  readonly route: CompiledRoute;
  readonly name: string | null;
  readonly uri: StrMatcher | null;
  readonly method: StrMatcher | null;
  readonly authority: StrMatcher | null;
  readonly scheme: StrMatcher | null;
  readonly port: number | null;
  readonly headers: readonly NamedMatcher[];
  readonly withoutHeaders: readonly NamedMatcher[];
  readonly queryParams: readonly NamedMatcher[];
  /** A condition the gateway cannot evaluate (sourceLabels, a rejected regex): never matches. */
  readonly never: boolean;
}

export interface RevisionInfo {
  name: string;
  labels?: Record<string, string>;
}

export interface InferenceServiceInfo {
  namespace: string;
  name: string;
  /** Live predictor revisions (NAME-predictor-0000N) and their pod labels. */
  revisions?: RevisionInfo[];
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly labels: Readonly<Record<string, string>>;
}

export type Target =
  | {
      readonly kind: 'inferenceService';
      /** The destination host as resolved (FQDN). */
      readonly host: string;
      readonly namespace: string;
      readonly name: string;
      readonly port: number | null;
      readonly subset: string | null;
      /** DestinationRule subset labels, e.g. serving.knative.dev/revision. */
      readonly selector: Readonly<Record<string, string>> | null;
      /** Revisions the subset selects; null = the InferenceService's own traffic split decides. */
      readonly revisions: readonly string[] | null;
      /** Tag host (latest-/prev-NAME-predictor.NS.domain): the proxy pins the tagged revision. */
      readonly tag: string | null;
    }
  | {
      readonly kind: 'serviceEntry';
      readonly host: string;
      readonly port: number;
      readonly protocol: string;
      readonly tls: boolean;
      readonly resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
      readonly subset: string | null;
      readonly selector: Readonly<Record<string, string>> | null;
      /** STATIC: the entry's endpoints (filtered by subset); DNS/NONE: endpoints or the host itself. */
      readonly endpoints: readonly Endpoint[];
    }
  | { readonly kind: 'unresolved'; readonly host: string; readonly reason: string };

export interface HeaderOps {
  readonly set: Readonly<Record<string, string>>;
  readonly add: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

export interface HeaderRules {
  readonly request: HeaderOps | null;
  readonly response: HeaderOps | null;
}

export interface CompiledDestination {
  readonly target: Target;
  /** Relative weight as written (a lone destination counts as 100 whatever it says). */
  readonly weight: number;
  readonly headers: HeaderRules | null;
}

export interface CompiledMirror {
  readonly target: Target;
  /** 0–100; Istio's default is 100 when unset. */
  readonly percentage: number;
}

export interface CompiledRetries {
  readonly attempts: number;
  readonly perTryTimeoutMs: number | null;
  readonly retryOn: readonly string[];
}

export interface CompiledFault {
  readonly delay: { readonly ms: number; readonly percentage: number } | null;
  readonly abort: { readonly httpStatus: number; readonly percentage: number } | null;
}

export interface CompiledRewrite {
  readonly uri: string | null;
  readonly authority: string | null;
  readonly uriRegex: { readonly re: RegExp; readonly replacement: string } | null;
}

/** Where the sticky unit key is read from. */
export interface UnitKeySource {
  readonly from: 'header' | 'cookie' | 'query';
  readonly name: string;
}

export interface CompiledRoute {
  /** namespace/vs/route-name (or index): stable across recompiles, used in telemetry. */
  readonly id: string;
  readonly namespace: string;
  readonly virtualService: string;
  readonly name: string | null;
  readonly index: number;
  readonly matches: readonly CompiledMatch[];
  readonly destinations: readonly CompiledDestination[];
  /** Running sums of weights, parallel to destinations (random choice). */
  readonly cumulative: readonly number[];
  readonly totalWeight: number;
  /** GrowthBook ranges of the normalized weights (sticky choice). */
  readonly bucketRanges: readonly BucketRange[];
  /** Per-route hash seed so experiments on different routes are independent. */
  readonly salt: string;
  readonly unitKey: UnitKeySource | null;
  /** A bandit's allocation version when a plan set the weights (its requests log their propensity), else null. */
  readonly allocation: number | null;
  readonly mirrors: readonly CompiledMirror[];
  readonly rewrite: CompiledRewrite | null;
  readonly timeoutMs: number | null;
  readonly retries: CompiledRetries | null;
  readonly fault: CompiledFault | null;
  readonly headers: HeaderRules | null;
  /** Why the route cannot send anywhere (all weights 0, unsupported action); null when it can. */
  readonly unavailable: string | null;
}

export interface HostRoutes {
  /** The host as declared (normalized): exact, `*.suffix` or `*`. */
  readonly host: string;
  /** Routes of every VirtualService claiming the host, in order; first match wins. */
  readonly matches: readonly CompiledMatch[];
}

export interface GatewayRoutes {
  readonly exact: ReadonlyMap<string, HostRoutes>;
  /** `*.suffix` hosts, longest suffix first (most specific wins). Suffix includes the leading dot. */
  readonly wildcards: readonly { readonly suffix: string; readonly routes: HostRoutes }[];
  readonly catchAll: HostRoutes | null;
}

export interface RoutingTable {
  readonly version: number;
  readonly domain: string;
  /** 'mesh' and 'namespace/name' gateways. */
  readonly gateways: ReadonlyMap<string, GatewayRoutes>;
  readonly problems: readonly RoutingProblem[];
}

export const MESH_GATEWAY = 'mesh';
export const KNATIVE_INGRESS_GATEWAY = 'knative-serving/knative-ingress-gateway';
