// What to do with a matched route: which destination (weighted at random, or
// sticky by a unit key through GrowthBook buckets), which mirrors to copy to,
// which faults to inject, and the rewritten path. Randomness is passed in.
import { chooseVariation, hash } from '../../core/hash.ts';
import { StrKind, type CompiledDestination, type CompiledMatch, type CompiledMirror, type CompiledRoute, type RequestView } from './types.ts';

/** A function returning a uniform number in [0, 1). */
export type Rng = () => number;

/** Weighted random choice; null when the route cannot send anywhere (answer 503). */
export function chooseRandom(route: CompiledRoute, rng: Rng): CompiledDestination | null {
  if (route.unavailable !== null) return null;
  const d = route.destinations;
  if (d.length === 1) return d[0]!;
  const r = rng() * route.totalWeight;
  const cum = route.cumulative;
  // Weight-0 destinations have cum[i] === cum[i-1], so r < cum[i] never first holds there.
  for (let i = 0; i < cum.length; i++) if (r < cum[i]!) return d[i]!;
  return lastWeighted(route);
}

function lastWeighted(route: CompiledRoute): CompiledDestination | null {
  for (let i = route.destinations.length - 1; i >= 0; i--) if (route.destinations[i]!.weight > 0) return route.destinations[i]!;
  return null;
}

/**
 * Sticky choice: hash(salt, unit, 2) lands in a GrowthBook bucket range. A
 * destination's range starts where the previous one's ends, so moving weight
 * between two destinations only grows or shrinks ranges at their boundary:
 * a unit in a 10% canary is still in it at 50%.
 */
export function chooseSticky(route: CompiledRoute, unitKey: string): CompiledDestination | null {
  if (route.unavailable !== null) return null;
  if (route.destinations.length === 1) return route.destinations[0]!;
  const n = hash(route.salt, unitKey, 2)!;
  const i = chooseVariation(n, route.bucketRanges);
  return i >= 0 ? route.destinations[i]! : lastWeighted(route);
}

/** Sticky when the request carries a unit key, weighted random otherwise. */
export function chooseDestination(route: CompiledRoute, unitKey: string | undefined, rng: Rng): CompiledDestination | null {
  return unitKey !== undefined && unitKey !== '' ? chooseSticky(route, unitKey) : chooseRandom(route, rng);
}

/** The route's unit key from the request (header, cookie or query parameter named by the VirtualService). */
export function unitKeyOf(route: CompiledRoute, req: RequestView): string | undefined {
  const src = route.unitKey;
  if (src === null) return undefined;
  if (src.from === 'header') return req.headers(src.name);
  if (src.from === 'query') return req.query(src.name);
  return cookieValue(req.headers('cookie'), src.name);
}

/** One cookie's value from a Cookie header, without splitting the header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++;
    const end = header.indexOf(';', i);
    const stop = end === -1 ? header.length : end;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 61 /* = */) return header.slice(i + name.length + 1, stop);
    i = stop + 1;
  }
  return undefined;
}

/** Whether this request is copied to the mirror (percentage 0–100). */
export function mirrorSampled(m: CompiledMirror, rng: Rng): boolean {
  return m.percentage >= 100 || (m.percentage > 0 && rng() * 100 < m.percentage);
}

/** Bit i set when mirrors[i] takes this request (routes keep at most 31 mirrors). */
export function mirrorMask(route: CompiledRoute, rng: Rng): number {
  let mask = 0;
  const ms = route.mirrors;
  for (let i = 0; i < ms.length; i++) if (mirrorSampled(ms[i]!, rng)) mask |= 1 << i;
  return mask;
}

/** Milliseconds to delay this request by the route's fault, 0 for none. */
export function faultDelayMs(route: CompiledRoute, rng: Rng): number {
  const d = route.fault?.delay;
  if (!d || d.percentage <= 0) return 0;
  return d.percentage >= 100 || rng() * 100 < d.percentage ? d.ms : 0;
}

/** HTTP status to abort this request with, 0 for none. Drawn independently of the delay, as Envoy does. */
export function faultAbortStatus(route: CompiledRoute, rng: Rng): number {
  const a = route.fault?.abort;
  if (!a || a.percentage <= 0) return 0;
  return a.percentage >= 100 || rng() * 100 < a.percentage ? a.httpStatus : 0;
}

/**
 * The path sent upstream. rewrite.uri replaces the matched prefix when the
 * block matched the uri by prefix, otherwise the whole path (so a default
 * route can point every request at one model's :predict path).
 */
export function rewritePath(match: CompiledMatch, path: string): string {
  const rw = match.route.rewrite;
  if (rw === null) return path;
  if (rw.uriRegex !== null) {
    rw.uriRegex.re.lastIndex = 0;
    return path.replace(rw.uriRegex.re, rw.uriRegex.replacement);
  }
  if (rw.uri === null) return path;
  const u = match.uri;
  if (u !== null && u.kind === StrKind.Prefix) return rw.uri + path.slice(u.value.length);
  return rw.uri;
}
