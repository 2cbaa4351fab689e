// Compile one VirtualService http route's actions: weighted destinations
// (with the GrowthBook bucket ranges sticky cohorts use), mirrors, rewrite,
// timeout, retries, fault and header rules — plain frozen data.
import type { HttpRoute } from '../../api/kinds/virtualservice.ts';
import { getBucketRanges } from '../../core/hash.ts';
import type { destinationResolver } from './destinations.ts';
import { compileRegex } from '../../core/re2.ts';
import type { CompiledDestination, CompiledFault, CompiledMirror, CompiledRetries, CompiledRewrite, CompiledRoute, HeaderOps, HeaderRules, UnitKeySource } from './types.ts';
import { parseGoDuration } from '../../core/duration.ts';

type Report = (field: string, message: string) => void;
type Resolver = ReturnType<typeof destinationResolver>;

/** Go duration ("1.5s", "1m30s", "250ms") to milliseconds; the schema has already checked the syntax. */
export function durationMs(text: string): number {
  return parseGoDuration(text) ?? 0;
}

function headerOps(ops: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } | undefined): HeaderOps | null {
  if (!ops) return null;
  const lower = (r: Record<string, string> | undefined) => Object.freeze(Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k.toLowerCase(), v])));
  return Object.freeze({ set: lower(ops.set), add: lower(ops.add), remove: Object.freeze((ops.remove ?? []).map((h) => h.toLowerCase())) });
}

export function headerRules(h: HttpRoute['headers']): HeaderRules | null {
  if (!h) return null;
  return Object.freeze({ request: headerOps(h.request), response: headerOps(h.response) });
}

/**
 * Istio's default when a route sets no `retries`: 2 retries on connect-failure, refused-stream,
 * unavailable, cancelled and retriable-status-codes with 503 as the retriable code. Over HTTP/1.1
 * only connect failures and 503 apply (the others are HTTP/2 and gRPC conditions). The gateway's
 * fast path applies it (vs-serve.ts); `retries: {attempts: 0}` turns it off.
 */
export const ISTIO_DEFAULT_RETRIES: CompiledRetries = Object.freeze({
  attempts: 2,
  perTryTimeoutMs: null,
  retryOn: Object.freeze(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503']),
});

function rewriteOf(r: HttpRoute['rewrite'], field: string, report: Report): CompiledRewrite | null {
  if (!r) return null;
  let uriRegex: CompiledRewrite['uriRegex'] = null;
  if (r.uriRegexRewrite) {
    if (r.uri !== undefined) report(`${field}.uriRegexRewrite`, 'set rewrite.uri or rewrite.uriRegexRewrite, not both; uriRegexRewrite is ignored');
    else {
      const c = compileRegex(r.uriRegexRewrite.match);
      if ('error' in c) report(`${field}.uriRegexRewrite.match`, c.error);
      else {
        // RE2 substitutions use \1; JS uses $1. Unanchored and global, as Envoy's regex_rewrite.
        const replacement = r.uriRegexRewrite.rewrite.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
        uriRegex = Object.freeze({ re: new RegExp(unanchoredSource(c.re), `g${c.re.flags}`), replacement });
      }
    }
  }
  return Object.freeze({ uri: r.uri ?? null, authority: r.authority ?? null, uriRegex });
}

/** compileRegex anchors the pattern; rewrites substitute inside the path, so strip the anchors again. */
function unanchoredSource(re: RegExp): string {
  return re.source.slice('^(?:'.length, -')$'.length);
}

function faultOf(f: HttpRoute['fault'], field: string, report: Report): CompiledFault | null {
  if (!f) return null;
  // Istio: an unset percentage means 0% (istio/api#2522); the deprecated integer `percent` still counts for delays.
  const delay = f.delay ? Object.freeze({ ms: durationMs(f.delay.fixedDelay), percentage: f.delay.percentage?.value ?? f.delay.percent ?? 0 }) : null;
  let abort: CompiledFault['abort'] = null;
  if (f.abort) {
    if (f.abort.httpStatus === undefined) report(`${field}.abort`, 'only httpStatus aborts are supported (grpcStatus and http2Error are ignored)');
    else abort = Object.freeze({ httpStatus: f.abort.httpStatus, percentage: f.abort.percentage?.value ?? 0 });
  }
  return Object.freeze({ delay, abort });
}

export interface RouteContext {
  namespace: string;
  vsName: string;
  index: number;
  field: string;
  unitKey: UnitKeySource | null;
  /** The bandit allocation version the weights are (switchyard.dev/allocation-version), or null. */
  allocation?: number | null;
  resolver: Resolver;
  report: Report;
}

/** Everything but `matches`, which need the route object to point back at. */
export function compileRouteActions(r: HttpRoute, ctx: RouteContext): Omit<CompiledRoute, 'matches'> {
  const { field, report } = ctx;
  let unavailable: string | null = null;
  for (const unsupported of ['redirect', 'directResponse', 'delegate'] as const) {
    if (r[unsupported] !== undefined) {
      report(`${field}.${unsupported}`, `${unsupported} is not supported by the Switchyard gateway; the route answers 503`);
      unavailable = `${unsupported} is not supported`;
    }
  }
  if (r.corsPolicy !== undefined) report(`${field}.corsPolicy`, 'corsPolicy is not supported by the Switchyard gateway and is ignored');

  const written = r.route ?? [];
  const lone = written.length === 1;
  const destinations: CompiledDestination[] = written.map((d, i) =>
    Object.freeze({
      target: ctx.resolver.resolve(d.destination, ctx.namespace, (f, m) => report(`${field}.route[${i}].destination.${f}`, m)),
      // Istio: a single destination gets all traffic whatever its weight; otherwise unset means 0.
      weight: lone ? 100 : (d.weight ?? 0),
      headers: headerRules(d.headers),
    }),
  );
  let sum = 0;
  const cumulative = destinations.map((d) => (sum += d.weight));
  if (written.length === 0 && unavailable === null) {
    report(`${field}.route`, 'the route has no destinations; it answers 503');
    unavailable = 'no destinations';
  } else if (sum === 0 && written.length > 0) {
    report(`${field}.route`, 'all destination weights are 0; the route answers 503');
    unavailable = 'all weights are 0';
  }
  const bucketRanges = sum > 0 ? getBucketRanges(destinations.length, 1, destinations.map((d) => d.weight / sum)).map((b) => Object.freeze(b)) : [];

  const mirrors: CompiledMirror[] = [];
  if (r.mirror && r.mirrors) report(`${field}.mirror`, 'set mirror or mirrors, not both; mirror is ignored');
  if (r.mirrors) {
    r.mirrors.forEach((m, i) => mirrors.push(Object.freeze({ target: ctx.resolver.resolve(m.destination, ctx.namespace, (f, msg) => report(`${field}.mirrors[${i}].destination.${f}`, msg)), percentage: m.percentage?.value ?? 100 })));
  } else if (r.mirror) {
    mirrors.push(Object.freeze({ target: ctx.resolver.resolve(r.mirror, ctx.namespace, (f, msg) => report(`${field}.mirror.${f}`, msg)), percentage: r.mirrorPercentage?.value ?? 100 }));
  }
  if (mirrors.length > 31) report(`${field}.mirrors`, 'at most 31 mirrors are used; the rest are ignored');

  const timeoutMs = r.timeout !== undefined ? durationMs(r.timeout) : 0;
  const retries: CompiledRetries | null = r.retries
    ? Object.freeze({
        attempts: r.retries.attempts,
        perTryTimeoutMs: r.retries.perTryTimeout !== undefined ? durationMs(r.retries.perTryTimeout) || null : null,
        retryOn: Object.freeze((r.retries.retryOn ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')),
      })
    : null;

  return {
    id: `${ctx.namespace}/${ctx.vsName}/${r.name ?? ctx.index}`,
    namespace: ctx.namespace,
    virtualService: ctx.vsName,
    name: r.name ?? null,
    index: ctx.index,
    destinations: Object.freeze(destinations),
    cumulative: Object.freeze(cumulative),
    totalWeight: sum,
    bucketRanges: Object.freeze(bucketRanges),
    salt: `${ctx.namespace}/${ctx.vsName}/${r.name ?? ctx.index}`,
    unitKey: ctx.unitKey,
    allocation: ctx.allocation ?? null,
    mirrors: Object.freeze(mirrors.slice(0, 31)),
    rewrite: rewriteOf(r.rewrite, `${field}.rewrite`, report),
    // Istio: 0s (or unset) disables the route timeout.
    timeoutMs: timeoutMs > 0 ? timeoutMs : null,
    retries,
    fault: faultOf(r.fault, `${field}.fault`, report),
    headers: headerRules(r.headers),
    unavailable,
  };
}
