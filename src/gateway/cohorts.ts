// A TrafficPlan's cohorts applied to an InferenceService's split: requests
// matching an exclusion always go to the baseline; requests with a unit key
// are assigned by GrowthBook bucket (hash(salt, unit, 2)), so a unit in a
// 10 % canary stays in it at 50 %; strata values label the request's
// telemetry so gates can be judged per slice; a bandit's cohort limits hold a
// stratum on the baseline or cap the candidate's share of it. Compiled once per table.
import { hash } from '../core/hash.ts';
import { compileRegex } from '../core/re2.ts';

export interface KeySource {
  from: 'header' | 'cookie' | 'query';
  /** Header names are lower case. */
  name: string;
}

export interface ServiceCohorts {
  /** Bucketing salt: the plan's namespace/name, so another plan reshuffles units. */
  salt: string;
  unit?: KeySource;
  strata: ReadonlyArray<{ name: string; source: KeySource }>;
  exclude: ReadonlyArray<{ source: KeySource; matches: (value: string | undefined) => boolean }>;
  /** A bandit's per-cohort limits: the candidate's share of matching requests is at most maxShare (0: held on the baseline). */
  limits?: ReadonlyArray<{ source: KeySource; matches: (value: string | undefined) => boolean; maxShare: number }>;
}

/**
 * The telemetry slice that marks excluded requests: they are real traffic (in /metrics) but not
 * part of the experiment, so plan windows leave them out of the baseline. A stratum name never
 * contains '/', so it cannot clash.
 */
export const EXCLUDED_SLICE = 'switchyard.dev/excluded';

/** Reads a key from the request being routed. */
export type KeyReader = (source: KeySource) => string | undefined;

export interface CohortSpec {
  unit?: { header?: string; cookie?: string; query?: string };
  strata?: Array<{ name: string; header?: string; cookie?: string; query?: string }>;
  exclude?: Array<{ header?: string; cookie?: string; query?: string; exact?: string; prefix?: string; regex?: string }>;
  limits?: Array<{ header?: string; cookie?: string; query?: string; exact?: string; prefix?: string; regex?: string; hold?: boolean; maxPercent?: number }>;
}

function sourceOf(s: { header?: string | undefined; cookie?: string | undefined; query?: string | undefined }): KeySource | undefined {
  if (s.header) return { from: 'header', name: s.header.toLowerCase() };
  if (s.cookie) return { from: 'cookie', name: s.cookie };
  if (s.query) return { from: 'query', name: s.query };
  return undefined;
}

/** An exclusion without exact/prefix/regex matches any request that carries the key. */
function matcher(e: { exact?: string | undefined; prefix?: string | undefined; regex?: string | undefined }): (v: string | undefined) => boolean {
  if (e.exact !== undefined) return (v) => v === e.exact;
  if (e.prefix !== undefined) return (v) => v !== undefined && v.startsWith(e.prefix!);
  if (e.regex !== undefined) {
    // Admission refuses a pattern compileRegex refuses; one stored before that matches nothing.
    const c = compileRegex(e.regex);
    if ('error' in c) return () => false;
    const re = c.re;
    return (v) => v !== undefined && re.test(v);
  }
  return (v) => v !== undefined;
}

export function compileCohorts(salt: string, spec: CohortSpec): ServiceCohorts {
  const unit = spec.unit ? sourceOf(spec.unit) : undefined;
  return {
    salt,
    ...(unit ? { unit } : {}),
    strata: (spec.strata ?? []).flatMap((s) => {
      const source = sourceOf(s);
      return source ? [{ name: s.name, source }] : [];
    }),
    exclude: (spec.exclude ?? []).flatMap((e) => {
      const source = sourceOf(e);
      return source ? [{ source, matches: matcher(e) }] : [];
    }),
    ...(spec.limits?.length ? {
      limits: spec.limits.flatMap((l) => {
        const source = sourceOf(l);
        return source ? [{ source, matches: matcher(l), maxShare: l.hold ? 0 : (l.maxPercent ?? 100) / 100 }] : [];
      }),
    } : {}),
  };
}

/** The candidate's largest share for this request under the first matching cohort limit (1 without one). */
export function limitShare(c: ServiceCohorts, read: KeyReader): number {
  if (c.limits) for (const l of c.limits) if (l.matches(read(l.source))) return l.maxShare;
  return 1;
}

export function isExcluded(c: ServiceCohorts, read: KeyReader): boolean {
  for (const e of c.exclude) if (e.matches(read(e.source))) return true;
  return false;
}

/** The unit's bucket in [0, 1), or undefined without a unit key. */
export function unitBucket(c: ServiceCohorts, read: KeyReader): number | undefined {
  if (!c.unit) return undefined;
  const key = read(c.unit);
  return key === undefined || key === '' ? undefined : (hash(c.salt, key, 2) ?? undefined);
}

/** Strata values present on the request ({} when none). */
export function strataOf(c: ServiceCohorts, read: KeyReader): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const s of c.strata) {
    const v = read(s.source);
    if (v !== undefined && v !== '') (out ??= {})[s.name] = v;
  }
  return out;
}

/** Reads keys from a Node request: headers, cookies, and query parameters (the query is parsed only if asked). */
export function requestKeyReader(headers: Readonly<Record<string, string | string[] | undefined>>, url: string): KeyReader {
  let query: URLSearchParams | undefined;
  return (src) => {
    if (src.from === 'header') {
      const v = headers[src.name];
      return Array.isArray(v) ? v[0] : v;
    }
    if (src.from === 'cookie') return cookie(headers.cookie, src.name);
    const q = url.indexOf('?');
    if (q < 0) return undefined;
    query ??= new URLSearchParams(url.slice(q + 1));
    return query.get(src.name) ?? undefined;
  };
}

function cookie(header: string | string[] | undefined, name: string): string | undefined {
  const h = Array.isArray(header) ? header.join('; ') : header;
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
