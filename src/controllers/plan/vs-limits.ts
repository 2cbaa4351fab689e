// A bandit's per-cohort limits on a VirtualService target, as Istio would
// express them by hand: one http route per limit, placed before the route the
// plan moves, matching what that route matches AND the stratum's key, with
// the allocation capped for it (held: everything to the fallback arm). The
// routes are named after the plan so they are found, updated and removed again.
import type { HttpRoute } from '../../api/kinds/virtualservice.ts';
import type { BanditPhaseSpec } from '../../api/kinds/trafficplan.ts';

type Limit = NonNullable<BanditPhaseSpec['cohortLimits']>[number];
type MatchRequest = NonNullable<HttpRoute['match']>[number];
type StringMatch = { exact?: string; prefix?: string; regex?: string };

/** Names of the routes a plan adds for its cohort limits. */
export const limitRoutePrefix = (plan: string) => `${plan}-cohort-limit-`;
export const isLimitRoute = (r: { name?: string | undefined }, plan?: string) => r.name !== undefined && (plan ? r.name.startsWith(limitRoutePrefix(plan)) : r.name.includes('-cohort-limit-'));

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The limit's value condition as an Istio string match ({} is presence). */
function valueMatch(l: Limit): StringMatch {
  if (l.exact !== undefined) return { exact: l.exact };
  if (l.prefix !== undefined) return { prefix: l.prefix };
  if (l.regex !== undefined) return { regex: l.regex };
  return {};
}

/** A cookie's value inside the Cookie header, as one full-match regex. */
function cookieRegex(name: string, m: StringMatch): string {
  const value = m.exact !== undefined ? escapeRe(m.exact) : m.prefix !== undefined ? `${escapeRe(m.prefix)}[^;]*` : m.regex !== undefined ? `(${m.regex})` : '[^;]+';
  return `(.*;\\s*)?${escapeRe(name)}=${value}(;.*)?`;
}

/** One of the route's match blocks narrowed to the stratum. */
function narrowed(m: MatchRequest, l: Limit): MatchRequest {
  const v = valueMatch(l);
  if (l.header) return { ...m, headers: { ...m.headers, [l.header.toLowerCase()]: v } };
  if (l.query) return { ...m, queryParams: { ...m.queryParams, [l.query]: v } };
  return { ...m, headers: { ...m.headers, cookie: { regex: cookieRegex(l.cookie!, v) } } };
}

/** Whole percents: the arms other than the fallback together at most `max`, the fallback the rest. */
export function cappedWeights(weights: Record<string, number>, fallback: string, max: number): Record<string, number> {
  const others = Object.entries(weights).filter(([k]) => k !== fallback);
  const total = others.reduce((a, [, w]) => a + w, 0);
  const scale = total > max ? max / total : 1;
  const out: Record<string, number> = {};
  for (const [k, w] of others) out[k] = Math.floor(w * scale);
  out[fallback] = 100 - Object.values(out).reduce((a, w) => a + w, 0);
  return out;
}

/**
 * The limit routes for a plan's allocation. `armOf` names a destination as the plan does;
 * destinations outside the bandit keep weight 0 in them.
 */
export function limitRoutes(plan: string, target: HttpRoute, limits: readonly Limit[], weights: Record<string, number>, fallback: string, armOf: (d: NonNullable<HttpRoute['route']>[number]) => string): HttpRoute[] {
  return limits.map((l, i) => {
    const capped = cappedWeights(weights, fallback, l.hold ? 0 : (l.maxPercent ?? 100));
    const { name: _name, match, route, ...rest } = target;
    return {
      ...structuredClone(rest),
      name: `${limitRoutePrefix(plan)}${i}`,
      match: (match?.length ? match : [{}]).map((m) => narrowed(m, l)),
      route: (route ?? []).map((d) => ({ ...structuredClone(d), weight: capped[armOf(d)] ?? 0 })),
    };
  });
}
