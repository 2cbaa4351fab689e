// Legacy (non-aggregated) discovery documents. kubectl asks for aggregated
// discovery first but falls back to these when the response is plain JSON.
import type { KindInfo } from '../../api/types.ts';

const VERBS_RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const VERBS_RO = ['get', 'list', 'watch'];

function resourceEntries(kinds: KindInfo[]): unknown[] {
  return kinds.flatMap((k) => {
    const main = {
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.readOnly ? VERBS_RO : VERBS_RW,
      ...(k.shortNames.length > 0 ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length > 0 ? { categories: k.categories } : {}),
    };
    const extra: unknown[] = [];
    if (k.hasStatus && !k.readOnly) extra.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
    if (k.group === '' && k.kind === 'Pod') extra.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    return [main, ...extra];
  });
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function resourceList(kinds: KindInfo[], group: string, version: string): unknown {
  const served = kinds.filter((k) => k.group === group && k.versions.includes(version));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources: resourceEntries(served) };
}

export function groupsOf(kinds: KindInfo[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const k of kinds) {
    if (k.group === '') continue;
    const versions = groups.get(k.group) ?? [];
    for (const v of k.versions) if (!versions.includes(v)) versions.push(v);
    groups.set(k.group, versions);
  }
  return groups;
}

function apiGroup(name: string, versions: string[]): unknown {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function groupList(kinds: KindInfo[]): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupsOf(kinds)].map(([name, versions]) => apiGroup(name, versions)) };
}

export function group(kinds: KindInfo[], name: string): unknown | undefined {
  const versions = groupsOf(kinds).get(name);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(name, versions) as object) } : undefined;
}
