// A VirtualService http route as a plan target: the plan moves the route's
// destination weights, as one would by hand with kubectl. The candidate is
// the destination whose subset or host is candidate.revision; every other
// destination is the baseline and shares the rest in the proportions it had
// when the plan started (restored exactly on rollback).
import type { Store } from '../../store/types.ts';
import type { HttpRoute as VsHttpRoute } from '../../api/kinds/virtualservice.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { isLimitRoute, limitRoutes } from './vs-limits.ts';
import { ALLOCATION_ANNOTATION } from '../../api/kinds/inferenceservice.ts';
import { setAnnotation, updateWithRetry, type Desired, type PlanTarget, type SeriesFilter, type TargetMemo, type TargetView, type TrafficPlan } from './target.ts';

const VS = { group: 'networking.istio.io', resource: 'virtualservices' };

interface Dest {
  destination: { host: string; subset?: string };
  weight?: number;
}
type HttpRoute = VsHttpRoute & { route?: Dest[] };
type VsObj = { metadata: { namespace?: string; name: string }; spec: { http?: HttpRoute[] } };

export interface VsMemo extends TargetMemo {
  /** Weights of the baseline destinations before the plan (index in route → weight). */
  baselineWeights?: Record<string, number>;
}

/** The route a plan moves: by name, else the first (routes a plan added for cohort limits do not count). */
function findRoute(spec: VsObj['spec'], name: string | undefined): { route: HttpRoute; index: number } | undefined {
  const http = spec.http ?? [];
  const index = name === undefined ? http.findIndex((r) => !isLimitRoute(r)) : http.findIndex((r) => r.name === name);
  const route = http[index];
  return route ? { route, index } : undefined;
}

const shortHost = (h: string) => h.split('.')[0] ?? h;
/** A destination's name as plans use it: its subset, else its host's first label. */
const armName = (d: Dest) => d.destination.subset ?? shortHost(d.destination.host);

/** The route's destinations that take part in a bandit (the plan's arms, else all), fallback first. */
function banditArms(plan: TrafficPlan, dests: Dest[], baseline: string): Dest[] {
  const named = plan.spec.phases.find((p) => p.bandit)?.bandit?.arms;
  const chosen = named ? dests.filter((d) => named.includes(armName(d)) || named.includes(d.destination.host)) : dests;
  return [...chosen].sort((a, b) => Number(armName(b) === baseline || b.destination.host === baseline) - Number(armName(a) === baseline || a.destination.host === baseline));
}
const isCandidate = (d: Dest, rev: string) => d.destination.subset === rev || d.destination.host === rev || shortHost(d.destination.host) === rev;

/** Telemetry identity of a destination, as the gateway records it (src/gateway/vs-serve.ts). */
function filterOf(ns: string, routeId: string, d: Dest): SeriesFilter {
  const host = d.destination.host;
  const svc = host.match(/^([^.]+?)(?:-predictor(?:-default)?)?\.([^.]+)\.svc\.cluster\.local$/);
  const base = svc ? { namespace: svc[2]!, service: svc[1]! } : { namespace: ns, service: host };
  return { ...base, route: routeId, destination: host, ...(d.destination.subset ? { variant: d.destination.subset } : {}) };
}

/** A bandit's allocation on the route: each arm's destination gets its percent; others keep 0. */
function setArmWeights(dests: Dest[], weights: Record<string, number>): boolean {
  let changed = false;
  for (const d of dests) {
    const w = weights[armName(d)] ?? weights[d.destination.host] ?? 0;
    if (d.weight !== w) {
      d.weight = w;
      changed = true;
    }
  }
  return changed;
}

/**
 * The plan's cohort-limit routes, just before the route it moves (vs-limits.ts): rebuilt from the
 * allocation while the bandit runs, removed once it ended. Changed only when they differ.
 */
function setLimitRoutes(plan: TrafficPlan, vs: VsObj, target: HttpRoute, desired: Desired): boolean {
  const http = vs.spec.http ?? [];
  const name = plan.metadata.name;
  const b = plan.spec.phases.find((p) => p.bandit)?.bandit;
  const old = http.filter((r) => isLimitRoute(r, name));
  const want = desired.limitCohorts && b?.cohortLimits ? limitRoutes(name, target, b.cohortLimits, desired.armWeights ?? {}, desired.fallbackArm ?? '', armName) : [];
  if (canonicalJson(old) === canonicalJson(want)) return false;
  const rest = http.filter((r) => !isLimitRoute(r, name));
  const at = rest.indexOf(target);
  vs.spec.http = [...rest.slice(0, at), ...want, ...rest.slice(at)];
  return true;
}

export class VsTarget implements PlanTarget {
  constructor(private readonly store: Store) {}

  private key(plan: TrafficPlan) {
    return { ...VS, namespace: plan.metadata.namespace ?? 'default', name: plan.spec.target.virtualService!.name };
  }

  /** The route a plan moves, named the same whether the plan names it or takes the first: `vs/NAME:ROUTE` (`:#INDEX` when unnamed). */
  async routeKey(plan: TrafficPlan): Promise<string> {
    const key = this.key(plan);
    const named = plan.spec.target.virtualService!.route;
    const vs = (await this.store.get(key)) as unknown as VsObj | undefined;
    const found = vs ? findRoute(vs.spec, named) : undefined;
    return `vs/${key.name}:${found ? (found.route.name ?? `#${found.index}`) : (named ?? '#first')}`;
  }

  async observe(plan: TrafficPlan, memo: VsMemo): Promise<TargetView> {
    const key = this.key(plan);
    const vs = (await this.store.get(key)) as unknown as VsObj | undefined;
    if (!vs) return { memo, blocked: `VirtualService ${key.namespace}/${key.name} not found`, missing: true, split: {} };
    const routeName = plan.spec.target.virtualService!.route;
    const found = findRoute(vs.spec, routeName);
    if (!found) return { memo, blocked: `VirtualService ${key.name} has no http route ${routeName ?? '(first)'}`, split: {} };
    const dests = found.route.route ?? [];
    const rev = plan.spec.candidate.revision;
    if (!rev) return { memo, blocked: 'a VirtualService target needs candidate.revision: the subset or host of the candidate destination', split: {} };
    const cand = dests.find((d) => isCandidate(d, rev));
    const base = dests.find((d) => !isCandidate(d, rev));
    if (!cand || !base) return { memo, blocked: `route ${routeName ?? '(first)'} of VirtualService ${key.name} needs a destination for the candidate ${rev} and one for the baseline`, split: {} };
    // Both sides are named as arms are (subset, else the host's first label), however the plan names the candidate.
    const next: VsMemo = { ...memo, candidateRevision: armName(cand), baselineRevision: armName(base) };
    next.baselineWeights ??= Object.fromEntries(dests.flatMap((d, i) => (isCandidate(d, rev) ? [] : [[String(i), d.weight ?? (dests.length === 1 ? 100 : 0)]])));
    const total = dests.reduce((a, d) => a + (d.weight ?? 0), 0) || 1;
    const split = Object.fromEntries(dests.map((d) => [d.destination.subset ?? d.destination.host, Math.round(((d.weight ?? 0) / total) * 100)]));
    const routeId = `${key.namespace}/${key.name}/${found.route.name ?? found.index}`;
    const view = { memo: next, split, candidate: filterOf(key.namespace, routeId, cand), baseline: filterOf(key.namespace, routeId, base) };
    const bandit = plan.spec.phases.find((p) => p.bandit)?.bandit;
    if (!bandit) return view;
    const arms = banditArms(plan, dests, next.baselineRevision!).map((d) => ({ name: armName(d), filter: filterOf(key.namespace, routeId, d), fallback: false }));
    // The fallback arm is named as arms are (subset, else the host's first label) or by its host.
    const fallback = bandit.fallback ?? armName(base);
    for (const a of arms) a.fallback = a.name === fallback || a.filter.destination === fallback;
    if (!arms.some((a) => a.fallback)) {
      return { ...view, blocked: `bandit fallback ${fallback} is not one of the arms on route ${routeName ?? '(first)'} of VirtualService ${key.name} (${arms.map((a) => a.name).join(', ')})` };
    }
    return { ...view, arms };
  }

  async apply(plan: TrafficPlan, memo: VsMemo, desired: Desired): Promise<TargetMemo> {
    if (!memo.applied && desired.percent === 0) return memo;
    const rev = plan.spec.candidate.revision!;
    await updateWithRetry(this.store, this.key(plan), (obj) => {
      const found = findRoute((obj as unknown as VsObj).spec, plan.spec.target.virtualService!.route);
      if (!found?.route.route) throw new Error('the VirtualService route the plan moves is gone');
      const dests = found.route.route;
      if (desired.armWeights) {
        const weights = setArmWeights(dests, desired.armWeights);
        const version = setAnnotation(obj, ALLOCATION_ANNOTATION, desired.allocationVersion !== undefined ? String(desired.allocationVersion) : undefined);
        return setLimitRoutes(plan, obj as unknown as VsObj, found.route, desired) || weights || version;
      }
      const percent = desired.promoted ? 100 : desired.percent;
      const weights = memo.baselineWeights ?? {};
      const baseTotal = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
      let changed = false;
      let given = 0;
      const baseIdx = dests.map((d, i) => (isCandidate(d, rev) ? -1 : i)).filter((i) => i >= 0);
      dests.forEach((d, i) => {
        let w: number;
        if (isCandidate(d, rev)) w = percent;
        else if (i === baseIdx.at(-1)) w = 100 - percent - given; // the last baseline destination takes the rounding remainder
        else {
          w = Math.floor(((100 - percent) * (weights[String(i)] ?? 0)) / baseTotal);
          given += w;
        }
        if (d.weight !== w) {
          d.weight = w;
          changed = true;
        }
      });
      return changed;
    }, 'patch');
    return { ...memo, applied: true };
  }
}
