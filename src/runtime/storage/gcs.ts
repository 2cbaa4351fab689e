// Google Cloud Storage through its JSON API: anonymous (public buckets) or
// with a service-account key, exchanged for an access token at the key's own
// token endpoint (never a metadata server; see service-account.ts).
// STORAGE_EMULATOR_HOST points the same calls at an emulator.
import { Agent, request } from 'undici';
import type { GcsConfig } from './credentials.ts';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';
import { serviceAccountToken } from './service-account.ts';

const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

export function gcsStore(cfg: GcsConfig, stallMs: number): ObjectStore {
  const dispatcher = new Agent({ connections: 4, headersTimeout: stallMs, bodyTimeout: stallMs });
  const root = cfg.endpoint.replace(/\/+$/, '');
  let token: { value: string; until: number } | undefined;

  async function headers(): Promise<Record<string, string>> {
    if (!cfg.credentials) return {};
    if (!token || token.until < Date.now()) {
      try {
        const t = await serviceAccountToken(cfg.credentials, SCOPE, dispatcher);
        token = { value: t.accessToken, until: Date.now() + (t.expiresInS - 60) * 1000 };
      } catch (err) {
        throw new ObjectStoreError('access', `the service-account key from ${cfg.source} was refused (${(err as Error).message})`, { cause: err });
      }
    }
    return { authorization: `Bearer ${token.value}` };
  }

  async function call(url: string, what: string, signal: AbortSignal) {
    let res;
    try {
      res = await request(url, { method: 'GET', headers: await headers(), dispatcher, signal });
    } catch (err) {
      if (err instanceof ObjectStoreError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new ObjectStoreError('other', `${what} failed: could not reach ${root} (${e.code ?? e.name}: ${e.message})`, { cause: err });
    }
    if (res.statusCode === 200) return res;
    const body = (await res.body.text().catch(() => '')).slice(0, 300);
    const detail = `HTTP ${res.statusCode}${body ? `: ${body.replace(/\s+/g, ' ')}` : ''}`;
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new ObjectStoreError('access', `the object store refused ${what} (${detail}) with ${cfg.credentials ? `the credentials from ${cfg.source}` : 'anonymous access'}; check the key and the bucket's permissions`);
    }
    throw new ObjectStoreError(res.statusCode === 404 ? 'not-found' : 'other', `${what} failed: ${detail}`);
  }

  return {
    scheme: 'gs://',
    async list(bucket, prefix, signal) {
      const out: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ prefix, fields: 'items(name,size,generation,md5Hash),nextPageToken', ...(token ? { pageToken: token } : {}) });
        const res = await call(`${root}/storage/v1/b/${encodeURIComponent(bucket)}/o?${q}`, `listing gs://${bucket}/${prefix}`, signal);
        const page = (await res.body.json()) as { items?: { name: string; size?: string; generation?: string; md5Hash?: string }[]; nextPageToken?: string };
        for (const o of page.items ?? []) out.push({ key: o.name, size: Number(o.size ?? 0), version: `${o.generation ?? ''}/${o.md5Hash ?? ''}` });
        token = page.nextPageToken;
      } while (token);
      return out;
    },
    async get(bucket, key, signal) {
      const res = await call(`${root}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}?alt=media`, `reading gs://${bucket}/${key}`, signal);
      return res.body;
    },
  };
}
