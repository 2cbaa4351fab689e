import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { findByKind } from '../../src/api/registry.ts';
import { validateObject } from '../../src/api/validate.ts';
import type { KindInfo, ValidationCause } from '../../src/api/types.ts';

export type Obj = Record<string, any>;

export function loadManifest(name: string): Obj {
  return parse(readFileSync(new URL(`../../examples/manifests/${name}`, import.meta.url), 'utf8')) as Obj;
}

export function kindOf(o: Obj): KindInfo {
  const info = findByKind(o.apiVersion, o.kind);
  if (!info) throw new Error(`no kind for ${o.apiVersion} ${o.kind}`);
  return info;
}

export function validate(o: Obj) {
  return validateObject<Obj>(kindOf(o), o);
}

/** The causes of a rejection; throws when the object was accepted. */
export function causesOf(o: Obj): ValidationCause[] {
  const r = validate(o);
  if (r.ok) throw new Error('expected the object to be rejected');
  return r.causes;
}
