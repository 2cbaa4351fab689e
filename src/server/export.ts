// `switchyard export`: reads a data directory's store (a running `switchyard
// up` may hold it: SQLite lets a reader in beside it) and prints its
// InferenceServices, VirtualServices and TrafficPlans as one YAML stream.
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { syError } from '../core/errors.ts';
import { EXPORTED, toManifest } from '../kube/export.ts';
import { openSqliteStore } from '../store/sqlite/store.ts';
import { dataDirPaths } from './datadir.ts';

export async function exportManifests(dataDir: string, namespace?: string): Promise<string> {
  const { database } = dataDirPaths(dataDir);
  if (!existsSync(database)) throw syError('SY_ERR_CONFIG', `no Switchyard data directory at ${dataDir} (${database} does not exist)`);
  const store = await openSqliteStore({ path: database });
  try {
    const docs: string[] = [];
    for (const r of EXPORTED) {
      const { items } = await store.list(r, namespace !== undefined ? { namespace } : {});
      for (const o of items) docs.push(stringify(toManifest(o), { lineWidth: 0 }));
    }
    return docs.map((d) => `---\n${d}`).join('');
  } finally {
    await store.close();
  }
}
