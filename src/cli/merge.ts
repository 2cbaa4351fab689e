// Client-side apply's three-way JSON merge patch, as kubectl computes it for
// kinds without strategic-merge metadata: lists are replaced whole, maps are
// merged key by key, and fields the user removed since the last apply are
// deleted with null.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch that takes `current` (live) to `modified` (new config),
 * deleting what `original` (last applied) had and `modified` dropped. Fields
 * only the server or other writers set (present in live, never applied) stay.
 * An empty object means nothing to change.
 */
export function threeWayMergePatch(original: JsonMap | undefined, modified: JsonMap, current: JsonMap): JsonMap {
  const patch: JsonMap = {};
  for (const [key, want] of Object.entries(modified)) {
    const live = current[key];
    const before = original?.[key];
    if (isMap(want) && isMap(live)) {
      const sub = threeWayMergePatch(isMap(before) ? before : undefined, want, live);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!deepEqual(want, live)) {
      patch[key] = want;
    }
  }
  for (const key of Object.keys(original ?? {})) {
    if (!Object.hasOwn(modified, key) && Object.hasOwn(current, key)) patch[key] = null;
  }
  return patch;
}

/** JSON merge patch (RFC 7386) applied to a copy of `target`. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const result: JsonMap = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
