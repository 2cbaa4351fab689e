// A data directory holding the example InferenceService, VirtualService and
// TrafficPlan (examples/manifests/) as `switchyard up` stores them: validated
// and defaulted by their kind's schema, with the server's fields, a status
// and kubectl's last-applied copy — everything `switchyard export` must drop.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KINDS } from '../../src/api/registry.ts';
import { validateObject } from '../../src/api/validate.ts';
import { dataDirPaths } from '../../src/server/datadir.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { KubeObject } from '../../src/store/types.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
export const EXAMPLES = ['isvc-iris.yaml', 'virtualservice.yaml', 'trafficplan.yaml'].map((f) => join(ROOT, 'examples/manifests', f));

export async function exampleDataDir(): Promise<{ dir: string; stored: KubeObject[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-export-'));
  const store = await openSqliteStore({ path: dataDirPaths(dir).database });
  const stored: KubeObject[] = [];
  try {
    for (const file of EXAMPLES) {
      const raw = parse(readFileSync(file, 'utf8')) as KubeObject;
      const [group] = raw.apiVersion.split('/');
      const info = KINDS.find((k) => k.group === group && k.kind === raw.kind)!;
      const v = validateObject<KubeObject>(info, raw);
      if (!v.ok) throw new Error(`${file}: ${JSON.stringify(v.causes)}`);
      const annotated = { ...v.value, metadata: { ...v.value.metadata, annotations: { ...v.value.metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(raw) } } };
      const created = await store.create({ group: info.group, resource: info.plural }, annotated, { actor: { name: 'admin' } });
      stored.push(await store.update({ group: info.group, resource: info.plural }, { ...created, status: { observedGeneration: 1 } }, { actor: { name: 'admin' }, subresource: 'status' }));
    }
  } finally {
    await store.close();
  }
  return { dir, stored };
}
