// Server-side apply of manifest files, for `up --apply`: each document is
// created, or its spec/metadata replaced if it exists. Uses the same
// validation as the API (Resources), so nothing bypasses the rules.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { findByKind } from '../api/registry.ts';
import { isSwitchyardError, syError } from '../core/errors.ts';
import { parseYamlStream } from '../core/parse.ts';
import type { Actor, KubeObject } from '../store/types.ts';
import type { Resources, Scope } from './apiserver/resources.ts';

export interface ApplyResult {
  source: string;
  ref: string;
  outcome: 'created' | 'configured' | 'unchanged' | 'failed';
  message?: string;
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

export function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((f) => MANIFEST_EXT.has(extname(f))).sort().map((f) => join(path, f));
}

async function applyOne(resources: Resources, doc: KubeObject, actor: Actor): Promise<Omit<ApplyResult, 'source'>> {
  const info = findByKind(doc.apiVersion, doc.kind);
  if (!info) throw syError('SY_ERR_UNKNOWN_KIND', `no kind "${doc.kind}" in version "${doc.apiVersion}"`);
  const version = doc.apiVersion.split('/').pop()!;
  const namespace = info.namespaced ? (doc.metadata?.namespace ?? 'default') : '';
  const name = doc.metadata?.name ?? '';
  const scope: Scope = { info, version, namespace, name };
  const ref = `${info.plural}${info.group ? `.${info.group}` : ''}/${name}`;
  let existing: KubeObject | undefined;
  try {
    existing = await resources.get(scope);
  } catch (err) {
    if (!isSwitchyardError(err) || err.code !== 'SY_ERR_NOT_FOUND') throw err;
  }
  if (!existing) {
    const { name: _n, ...createScope } = scope;
    await resources.create(createScope, doc, actor);
    return { ref, outcome: 'created' };
  }
  const next = { ...doc, metadata: { ...doc.metadata, resourceVersion: existing.metadata.resourceVersion } };
  const updated = await resources.replace(scope, next, actor);
  return { ref, outcome: updated.metadata.resourceVersion === existing.metadata.resourceVersion ? 'unchanged' : 'configured' };
}

/** Applies every document of every manifest file; a bad document is reported and the rest still apply. */
export async function applyManifests(resources: Resources, path: string, actor: Actor): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const file of manifestFiles(path)) {
    for (const doc of parseYamlStream(readFileSync(file, 'utf8'))) {
      const source = `${file}#${doc.index + 1}`;
      try {
        if (doc.error) throw doc.error;
        results.push({ source, ...(await applyOne(resources, doc.value as KubeObject, actor)) });
      } catch (err) {
        results.push({ source, ref: '', outcome: 'failed', message: (err as Error).message });
      }
    }
  }
  return results;
}
