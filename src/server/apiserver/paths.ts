// Kubernetes REST paths → what they address. Pure, so the URL rules are
// tested without a server.
import type { KindInfo } from '../../api/types.ts';
import { syError } from '../../core/errors.ts';

export type Target =
  | { type: 'root' }
  | { type: 'apiVersions' }
  | { type: 'groupList' }
  | { type: 'group'; group: string }
  | { type: 'resourceList'; group: string; version: string }
  | { type: 'resource'; info: KindInfo; group: string; version: string; namespace: string; name?: string; subresource?: string };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function findKind(kinds: KindInfo[], group: string, version: string, plural: string): KindInfo {
  const info = kinds.find((k) => k.group === group && k.plural === plural && k.versions.includes(version));
  if (!info) {
    const gv = group === '' ? version : `${group}/${version}`;
    throw syError('SY_ERR_UNKNOWN_KIND', `the server could not find the requested resource: ${plural} in ${gv} is not served (see \`kubectl api-resources\`)`, { details: { group, kind: plural } });
  }
  return info;
}

function resourceTarget(kinds: KindInfo[], group: string, version: string, rest: string[]): Target {
  let namespace = '';
  let parts = rest;
  if (parts[0] === 'namespaces' && parts.length >= 3 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  }
  const [plural, name, subresource, ...extra] = parts;
  if (!plural || extra.length > 0) throw syError('SY_ERR_UNKNOWN_KIND', `the server could not find the requested resource (${rest.join('/')})`);
  const info = findKind(kinds, group, version, plural);
  if (namespace && !info.namespaced) throw syError('SY_ERR_UNKNOWN_KIND', `${plural} is cluster-scoped and cannot be addressed in a namespace`);
  return {
    type: 'resource', info, group, version, namespace,
    ...(name !== undefined ? { name: decodeURIComponent(name) } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

export function parsePath(kinds: KindInfo[], pathname: string): Target | undefined {
  const segs = pathname.split('/').filter((s) => s !== '');
  if (segs.length === 0) return { type: 'root' };
  if (segs[0] === 'api') {
    if (segs.length === 1) return { type: 'apiVersions' };
    if (segs[1] !== 'v1') throw syError('SY_ERR_UNKNOWN_KIND', `the server does not serve version "${segs[1]}" of the core group`);
    if (segs.length === 2) return { type: 'resourceList', group: '', version: 'v1' };
    return resourceTarget(kinds, '', 'v1', segs.slice(2));
  }
  if (segs[0] === 'apis') {
    if (segs.length === 1) return { type: 'groupList' };
    const group = segs[1]!;
    if (!kinds.some((k) => k.group === group)) throw syError('SY_ERR_UNKNOWN_KIND', `the server does not serve the API group "${group}"`);
    if (segs.length === 2) return { type: 'group', group };
    const version = segs[2]!;
    if (!kinds.some((k) => k.group === group && k.versions.includes(version))) {
      throw syError('SY_ERR_UNKNOWN_KIND', `the server does not serve version "${version}" of the API group "${group}"`);
    }
    if (segs.length === 3) return { type: 'resourceList', group, version };
    return resourceTarget(kinds, group, version, segs.slice(3));
  }
  return undefined;
}
