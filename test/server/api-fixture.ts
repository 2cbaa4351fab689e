// An API server over a fresh SQLite store in a temp dir, with an admin token
// (and any other roles asked for) and the namespace "ml": what the API tests
// that send requests over HTTP start from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/server/apiserver/index.ts';
import { TokenRegistry, type Role } from '../../src/server/auth.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

export interface ApiFixture {
  api: ApiServer;
  store: Store;
  /** Bearer tokens by role; admin always. */
  tokens: Partial<Record<Role, string>> & { admin: string };
  close(): Promise<void>;
}

export async function startApiFixture(roles: Role[] = []): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-api-'));
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite') });
  const registry = new TokenRegistry(join(dir, 'tokens.json'));
  const tokens: ApiFixture['tokens'] = { admin: registry.create('admin', 'admin') };
  for (const role of roles) tokens[role] = registry.create(role, role);
  const api = await startApiServer({ store, tokens: registry, port: 0, limits: { maxBodyBytes: 64 * 1024 } });
  const res = await fetch(`${api.url}/api/v1/namespaces`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml' } }),
  });
  if (res.status !== 201) throw new Error(`creating namespace ml: ${res.status}`);
  return {
    api, store, tokens,
    async close() {
      await api.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
