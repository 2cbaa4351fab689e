// Host names as Istio reads them: short names are relative to the namespace
// of the resource that wrote them, wildcards are `*.suffix` or `*`, and
// KServe's service names map back to an InferenceService.

const CLUSTER_SUFFIX = '.svc.cluster.local';

/** Istio: a name without dots is NAME.<namespace of the rule>.svc.cluster.local. */
export function qualifyHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h === '*' || h.includes('.')) return h;
  return `${h}.${namespace}${CLUSTER_SUFFIX}`;
}

/** Gateway references: `mesh`, `ns/name`, or `name` in the rule's namespace. */
export function qualifyGateway(gateway: string, namespace: string): string {
  if (gateway === 'mesh' || gateway.includes('/')) return gateway;
  return `${namespace}/${gateway}`;
}

/** Whether a host pattern (`*`, `*.suffix` or exact) covers a concrete host. */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

export interface IsvcRef {
  namespace: string;
  name: string;
  tag: string | null;
}

/**
 * The InferenceService a destination host names, if it has KServe's shape:
 * NAME[-predictor[-default]].NS.svc.cluster.local, or the external forms
 * NAME[-predictor[-default]].NS.<domain> and TAG-NAME-predictor[-default].NS.<domain>.
 * `known` says whether NS/NAME exists, to split TAG- from NAME.
 */
export function isvcFromHost(host: string, domain: string, known: (ns: string, name: string) => boolean): IsvcRef | undefined {
  let rest: string;
  let external = false;
  if (host.endsWith(CLUSTER_SUFFIX)) rest = host.slice(0, -CLUSTER_SUFFIX.length);
  else if (host.endsWith(`.${domain}`)) {
    rest = host.slice(0, -(domain.length + 1));
    external = true;
  } else return undefined;
  const dot = rest.indexOf('.');
  if (dot <= 0 || rest.indexOf('.', dot + 1) !== -1) return undefined;
  const namespace = rest.slice(dot + 1);
  const service = rest.slice(0, dot);
  const candidates = [service.replace(/-predictor-default$/, ''), service.replace(/-predictor$/, '')];
  if (service.endsWith('-predictor') || service.endsWith('-predictor-default')) {
    for (const name of candidates) if (name !== service && known(namespace, name)) return { namespace, name, tag: null };
  } else if (known(namespace, service)) return { namespace, name: service, tag: null };
  if (external) {
    // Tag hosts: TAG-NAME-predictor[-default]; the tag is the part before a known name.
    for (const base of candidates) {
      for (let i = base.indexOf('-'); i > 0; i = base.indexOf('-', i + 1)) {
        const name = base.slice(i + 1);
        if (base !== service && known(namespace, name)) return { namespace, name, tag: base.slice(0, i) };
      }
    }
  }
  return undefined;
}

/** Host header → table key: lower case, port removed. Allocates only when it must. */
export function normalizeRequestHost(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  for (let i = 0; i < end; i++) {
    const c = host.charCodeAt(i);
    if (c >= 65 && c <= 90) return host.slice(0, end).toLowerCase();
  }
  return end === host.length ? host : host.slice(0, end);
}
