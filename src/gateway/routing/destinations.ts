// Resolve a VirtualService destination {host, subset, port} to a target the
// proxy can send to: an InferenceService predictor (optionally narrowed to
// revisions by a DestinationRule subset) or a ServiceEntry's endpoints.
// Anything else is reported and becomes an `unresolved` target (503 later).
import type { z } from 'zod';
import type { destinationRuleSpec } from '../../api/kinds/destinationrule.ts';
import type { serviceEntrySpec } from '../../api/kinds/serviceentry.ts';
import { hostCovers, isvcFromHost, qualifyHost } from './hosts.ts';
import type { Endpoint, InferenceServiceInfo, Target } from './types.ts';

export const REVISION_LABEL = 'serving.knative.dev/revision';
export const ISVC_LABEL = 'serving.kserve.io/inferenceservice';

interface Named<S> {
  metadata: { namespace?: string | null; name: string };
  spec: S;
}
export type ServiceEntryInput = Named<z.input<typeof serviceEntrySpec>>;
export type DestinationRuleInput = Named<z.infer<typeof destinationRuleSpec>>;

export interface DestinationContext {
  domain: string;
  inferenceServices: InferenceServiceInfo[];
  serviceEntries: ServiceEntryInput[];
  destinationRules: DestinationRuleInput[];
}

interface Resolver {
  resolve(dest: { host: string; subset?: string; port?: { number: number } }, vsNamespace: string, report: (field: string, message: string) => void): Target;
}

const nsOf = (o: Named<unknown>): string => o.metadata.namespace ?? 'default';

function labelsMatch(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(selector)) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Pick the DestinationRule for a host: the client's namespace first, then the service's, exact host before wildcard. */
function ruleFor(rules: DestinationRuleInput[], host: string, vsNamespace: string, serviceNamespace: string): DestinationRuleInput | undefined {
  let best: DestinationRuleInput | undefined;
  let bestScore = -1;
  for (const r of rules) {
    const pattern = qualifyHost(r.spec.host, nsOf(r));
    if (!hostCovers(pattern, host)) continue;
    const nsScore = nsOf(r) === vsNamespace ? 2 : nsOf(r) === serviceNamespace ? 1 : 0;
    const score = nsScore * 10_000 + (pattern === host ? 5_000 : pattern.length);
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

function serviceEntryFor(entries: ServiceEntryInput[], host: string): ServiceEntryInput | undefined {
  let best: ServiceEntryInput | undefined;
  let bestLen = -1;
  for (const se of entries) {
    for (const h of se.spec.hosts) {
      const pattern = qualifyHost(h, nsOf(se));
      if (!hostCovers(pattern, host)) continue;
      const len = pattern === host ? Number.MAX_SAFE_INTEGER : pattern.length;
      if (len > bestLen) {
        best = se;
        bestLen = len;
      }
    }
  }
  return best;
}

export function destinationResolver(ctx: DestinationContext): Resolver {
  const isvcs = new Map(ctx.inferenceServices.map((s) => [`${s.namespace}/${s.name}`, s]));
  const known = (ns: string, name: string) => isvcs.has(`${ns}/${name}`);

  function subsetOf(host: string, subset: string | undefined, vsNs: string, svcNs: string, report: (f: string, m: string) => void) {
    if (subset === undefined) return { ok: true as const, selector: null, tls: false };
    const rule = ruleFor(ctx.destinationRules, host, vsNs, svcNs);
    const found = rule?.spec.subsets?.find((s) => s.name === subset);
    if (!rule || !found) {
      report('subset', `subset "${subset}" of host ${host} is not defined in any DestinationRule`);
      return { ok: false as const };
    }
    const mode = (rule.spec.trafficPolicy?.tls as { mode?: string } | undefined)?.mode;
    return { ok: true as const, selector: Object.freeze({ ...(found.labels ?? {}) }), tls: mode === 'SIMPLE' || mode === 'MUTUAL' };
  }

  return {
    resolve(dest, vsNamespace, report) {
      const host = qualifyHost(dest.host, vsNamespace);
      const port = dest.port?.number ?? null;
      const ref = isvcFromHost(host, ctx.domain, known);
      if (ref) {
        const sub = subsetOf(host, dest.subset, vsNamespace, ref.namespace, (f, m) => report(f, m));
        if (!sub.ok) return { kind: 'unresolved', host, reason: `unknown subset ${dest.subset}` };
        let revisions: string[] | null = null;
        if (sub.selector) {
          const info = isvcs.get(`${ref.namespace}/${ref.name}`)!;
          revisions = (info.revisions ?? [])
            .filter((r) => labelsMatch(sub.selector!, { component: 'predictor', [ISVC_LABEL]: ref.name, ...r.labels, [REVISION_LABEL]: r.name }))
            .map((r) => r.name);
          if (revisions.length === 0) report('subset', `subset "${dest.subset}" selects no live revision of InferenceService ${ref.namespace}/${ref.name}`);
        }
        return Object.freeze({ kind: 'inferenceService', host, namespace: ref.namespace, name: ref.name, port, subset: dest.subset ?? null, selector: sub.selector, revisions: revisions && Object.freeze(revisions), tag: ref.tag });
      }

      const se = serviceEntryFor(ctx.serviceEntries, host);
      if (!se) {
        report('host', `unknown destination host ${host}: not an InferenceService predictor or a ServiceEntry host`);
        return { kind: 'unresolved', host, reason: 'unknown host' };
      }
      const ports = se.spec.ports ?? [];
      const sePort = port !== null ? ports.find((p) => p.number === port) : ports.length === 1 ? ports[0] : undefined;
      if (!sePort) {
        const why = port !== null ? `ServiceEntry ${nsOf(se)}/${se.metadata.name} has no port ${port}` : ports.length === 0 ? `ServiceEntry ${nsOf(se)}/${se.metadata.name} declares no ports` : `port is required: ServiceEntry ${nsOf(se)}/${se.metadata.name} has several ports`;
        report('port', why);
        return { kind: 'unresolved', host, reason: why };
      }
      const sub = subsetOf(host, dest.subset, vsNamespace, nsOf(se), report);
      if (!sub.ok) return { kind: 'unresolved', host, reason: `unknown subset ${dest.subset}` };
      const resolution = se.spec.resolution ?? 'NONE';
      const targetPort = sePort.targetPort ?? sePort.number;
      let endpoints: Endpoint[] = (se.spec.endpoints ?? []).map((e) => ({ address: e.address ?? host, port: e.ports?.[sePort.name] ?? targetPort, weight: e.weight ?? 1, labels: Object.freeze({ ...(e.labels ?? {}) }) }));
      if (sub.selector) endpoints = endpoints.filter((e) => labelsMatch(sub.selector!, e.labels));
      if (resolution !== 'STATIC' && (se.spec.endpoints ?? []).length === 0) endpoints = [{ address: host, port: targetPort, weight: 1, labels: Object.freeze({}) }];
      if (endpoints.length === 0) report('host', `ServiceEntry ${nsOf(se)}/${se.metadata.name} has no endpoints${sub.selector ? ` in subset "${dest.subset}"` : ''} for ${host}`);
      const protocol = sePort.protocol ?? 'HTTP';
      return Object.freeze({ kind: 'serviceEntry', host, port: sePort.number, protocol, tls: protocol === 'HTTPS' || sub.tls, resolution, subset: dest.subset ?? null, selector: sub.selector, endpoints: Object.freeze(endpoints.map((e) => Object.freeze(e))) });
    },
  };
}
