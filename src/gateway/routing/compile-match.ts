// Pre-compile one HTTPMatchRequest: string matchers with their regexes built
// once, header names lower-cased, and conditions the gateway cannot evaluate
// turned into a block that never matches (fail closed, reported).
import type { HttpRoute } from '../../api/kinds/virtualservice.ts';
import { compileRegex } from '../../core/re2.ts';
import { StrKind, type CompiledMatch, type CompiledRoute, type NamedMatcher, type StrMatcher } from './types.ts';

type MatchRequest = NonNullable<HttpRoute['match']>[number];
type StringMatch = { exact?: string; prefix?: string; regex?: string };
type Report = (field: string, message: string) => void;

/** Istio ignores these keys inside `headers` (they are pseudo-headers matched elsewhere). */
const IGNORED_HEADER_KEYS = new Set(['uri', 'scheme', 'method', 'authority']);

/** null means the matcher could not be built (reported); the block then never matches. */
export function compileStringMatch(m: StringMatch, field: string, report: Report, ignoreCase = false): StrMatcher | null {
  if (m.exact !== undefined) return Object.freeze({ kind: StrKind.Exact, value: ignoreCase ? m.exact.toLowerCase() : m.exact, re: null, ignoreCase });
  if (m.prefix !== undefined) return Object.freeze({ kind: StrKind.Prefix, value: ignoreCase ? m.prefix.toLowerCase() : m.prefix, re: null, ignoreCase });
  if (m.regex !== undefined) {
    const r = compileRegex(m.regex, ignoreCase);
    if ('error' in r) {
      report(`${field}.regex`, r.error);
      return null;
    }
    return Object.freeze({ kind: StrKind.Regex, value: m.regex, re: r.re, ignoreCase });
  }
  // `{}`: Istio checks presence only.
  return Object.freeze({ kind: StrKind.Present, value: '', re: null, ignoreCase: false });
}

function compileNamed(map: Record<string, StringMatch> | undefined, field: string, report: Report, lowerNames: boolean): { list: NamedMatcher[]; ok: boolean } {
  const list: NamedMatcher[] = [];
  let ok = true;
  for (const [rawName, m] of Object.entries(map ?? {})) {
    const name = lowerNames ? rawName.toLowerCase() : rawName;
    if (lowerNames && IGNORED_HEADER_KEYS.has(name)) continue;
    const sm = compileStringMatch(m, `${field}.${rawName}`, report);
    if (!sm) ok = false;
    else list.push(Object.freeze({ name, m: sm }));
  }
  return { list: Object.freeze(list) as NamedMatcher[], ok };
}

export function compileMatch(route: CompiledRoute, m: MatchRequest, field: string, report: Report): CompiledMatch {
  let never = false;
  const one = (sm: StringMatch | undefined, f: string, ignoreCase = false): StrMatcher | null => {
    if (sm === undefined) return null;
    const c = compileStringMatch(sm, `${field}.${f}`, report, ignoreCase);
    if (!c) never = true;
    return c;
  };
  const uri = one(m.uri, 'uri', m.ignoreUriCase === true);
  const method = one(m.method, 'method');
  const authority = one(m.authority, 'authority');
  const scheme = one(m.scheme, 'scheme');
  const headers = compileNamed(m.headers, `${field}.headers`, report, true);
  const withoutHeaders = compileNamed(m.withoutHeaders, `${field}.withoutHeaders`, report, true);
  const queryParams = compileNamed(m.queryParams, `${field}.queryParams`, report, false);
  if (!headers.ok || !withoutHeaders.ok || !queryParams.ok) never = true;
  for (const unsupported of ['sourceLabels', 'sourceNamespace'] as const) {
    if (m[unsupported] !== undefined) {
      report(`${field}.${unsupported}`, `${unsupported} is not supported by the Switchyard gateway; this match block never matches`);
      never = true;
    }
  }
  return Object.freeze({
    route,
    name: m.name ?? null,
    uri,
    method,
    authority,
    scheme,
    port: m.port ?? null,
    headers: headers.list,
    withoutHeaders: withoutHeaders.list,
    queryParams: queryParams.list,
    never,
  });
}

/** The block a route without `match` gets: matches every request. */
export function matchAll(route: CompiledRoute): CompiledMatch {
  return Object.freeze({ route, name: null, uri: null, method: null, authority: null, scheme: null, port: null, headers: [], withoutHeaders: [], queryParams: [], never: false });
}
