// Field selectors (`metadata.name=x,involvedObject.kind!=Pod`): kubectl wait
// and describe use them. Any dotted path is allowed; a missing field reads "".
import { syError } from '../../core/errors.ts';

export interface FieldRequirement {
  path: string[];
  equals: boolean;
  value: string;
}

export function parseFieldSelector(selector: string | null): FieldRequirement[] {
  if (!selector) return [];
  return selector.split(',').filter((s) => s.trim() !== '').map((term) => {
    const m = /^\s*([A-Za-z0-9_.\-]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(term);
    if (!m) throw syError('SY_ERR_BAD_REQUEST', `invalid field selector "${term}": expected field=value or field!=value`);
    return { path: m[1]!.split('.'), equals: m[2] !== '!=', value: m[3]! };
  });
}

function read(obj: unknown, path: string[]): string {
  let cur: unknown = obj;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (read(obj, r.path) === r.value) === r.equals);
}

/** metadata.name=X can be pushed down to the store; the rest is filtered in memory. */
export function nameFromFields(reqs: FieldRequirement[]): string | undefined {
  return reqs.find((r) => r.equals && r.path.join('.') === 'metadata.name')?.value;
}
