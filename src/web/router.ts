// Views are addressed by the URL's fragment (#/plans/NS/NAME), so every view
// has a link that can be shared or reloaded and the server serves one page.
export type Route =
  | { view: 'overview' }
  | { view: 'plan'; namespace: string; name: string }
  | { view: 'service'; namespace: string; name: string }
  | { view: 'predictions'; namespace?: string; service?: string };

const seg = (s: string) => encodeURIComponent(s);

export function hrefOf(r: Route): string {
  switch (r.view) {
    case 'overview': return '#/';
    case 'plan': return `#/plans/${seg(r.namespace)}/${seg(r.name)}`;
    case 'service': return `#/services/${seg(r.namespace)}/${seg(r.name)}`;
    case 'predictions': {
      const q = new URLSearchParams();
      if (r.namespace) q.set('namespace', r.namespace);
      if (r.service) q.set('service', r.service);
      const s = q.toString();
      return `#/predictions${s ? `?${s}` : ''}`;
    }
  }
}

/** The route a fragment names; anything unknown is the overview. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 'plans' && parts.length === 3) return { view: 'plan', namespace: parts[1]!, name: parts[2]! };
  if (parts[0] === 'services' && parts.length === 3) return { view: 'service', namespace: parts[1]!, name: parts[2]! };
  if (parts[0] === 'predictions') {
    const q = new URLSearchParams(query);
    return { view: 'predictions', ...(q.get('namespace') ? { namespace: q.get('namespace')! } : {}), ...(q.get('service') ? { service: q.get('service')! } : {}) };
  }
  return { view: 'overview' };
}
