// Turns what a user types (kind, plural, singular, short name, plural.group)
// into the API coordinates of a resource, from the server's discovery documents.
import { z } from 'zod';
import { syError } from '../core/errors.ts';

export interface ResourceInfo {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
}

export const APIResourceListSchema = z.looseObject({
  groupVersion: z.string(),
  resources: z.array(
    z.looseObject({
      name: z.string(),
      singularName: z.string().optional(),
      namespaced: z.boolean(),
      kind: z.string(),
      verbs: z.array(z.string()).default([]),
      shortNames: z.array(z.string()).optional(),
    }),
  ),
});
export type APIResourceList = z.infer<typeof APIResourceListSchema>;

export const APIGroupListSchema = z.looseObject({
  groups: z.array(
    z.looseObject({
      name: z.string(),
      versions: z.array(z.looseObject({ groupVersion: z.string(), version: z.string() })),
      preferredVersion: z.looseObject({ groupVersion: z.string(), version: z.string() }).optional(),
    }),
  ),
});
export type APIGroupList = z.infer<typeof APIGroupListSchema>;

export function splitGroupVersion(groupVersion: string): { group: string; version: string } {
  const slash = groupVersion.indexOf('/');
  return slash < 0 ? { group: '', version: groupVersion } : { group: groupVersion.slice(0, slash), version: groupVersion.slice(slash + 1) };
}

/**
 * The group/versions to search, in kubectl's priority: the core group, then
 * each group's preferred version, then the other versions of every group
 * (so a kind served only at v1alpha1 of a v1beta1-preferring group is found).
 */
export function groupVersionsInPriority(groups: APIGroupList): string[] {
  const preferred = groups.groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions[0]?.groupVersion).filter((gv): gv is string => !!gv);
  const others = groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)).filter((gv) => !preferred.includes(gv));
  return ['v1', ...preferred, ...others];
}

/** Resources of one group/version; subresources (`x/status`) are left out. */
export function resourcesOf(list: APIResourceList): ResourceInfo[] {
  const { group, version } = splitGroupVersion(list.groupVersion);
  return list.resources
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      plural: r.name,
      singular: r.singularName || r.kind.toLowerCase(),
      kind: r.kind,
      namespaced: r.namespaced,
      shortNames: r.shortNames ?? [],
      verbs: r.verbs,
    }));
}

function matchesName(r: ResourceInfo, name: string): boolean {
  const n = name.toLowerCase();
  return r.plural === n || r.singular === n || r.kind.toLowerCase() === n || r.shortNames.includes(n);
}

/**
 * Finds the resource a user means. `resources` is ordered by
 * groupVersionsInPriority, so the first match is the one kubectl would pick.
 * Accepts `name`, `name.group` and `name.version.group`.
 */
export function resolveResource(resources: ResourceInfo[], typed: string): ResourceInfo {
  const candidates: Array<(r: ResourceInfo) => boolean> = [(r) => matchesName(r, typed)];
  const dot = typed.indexOf('.');
  if (dot > 0) {
    const head = typed.slice(0, dot);
    const rest = typed.slice(dot + 1).toLowerCase();
    candidates.push((r) => matchesName(r, head) && r.group === rest);
    const dot2 = rest.indexOf('.');
    if (dot2 > 0) {
      const version = rest.slice(0, dot2);
      const group = rest.slice(dot2 + 1);
      candidates.push((r) => matchesName(r, head) && r.version === version && r.group === group);
    }
  }
  for (const test of candidates) {
    const found = resources.find(test);
    if (found) return found;
  }
  throw syError('SY_ERR_UNKNOWN_KIND', `the server doesn't have a resource type "${typed}"`);
}

/** `inferenceservice.serving.kserve.io` — how kubectl names a resource in its output. */
export function qualifiedSingular(r: Pick<ResourceInfo, 'singular' | 'group'>): string {
  return r.group ? `${r.singular}.${r.group}` : r.singular;
}

/** `inferenceservices.serving.kserve.io` — the group-resource in server messages. */
export function qualifiedPlural(r: Pick<ResourceInfo, 'plural' | 'group'>): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** URL path of a collection or object. `namespace` undefined on a namespaced kind = all namespaces. */
export function resourcePath(r: ResourceInfo, namespace: string | undefined, name?: string, subresource?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  let path = base;
  if (r.namespaced && namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}
