// The CLI's only way to the control plane: HTTP to the API server, with a
// per-run discovery cache so type names resolve like kubectl's.
import { Agent, fetch, type Dispatcher, type Response } from 'undici';
import { syError } from '../core/errors.ts';
import type { ConnectionSettings } from './kubeconfig.ts';
import {
  APIGroupListSchema,
  APIResourceListSchema,
  groupVersionsInPriority,
  resolveResource,
  resourcesOf,
  splitGroupVersion,
  type ResourceInfo,
} from './resources.ts';
import { errorFromResponse } from './status.ts';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly dispatcher: Dispatcher | undefined;
  private all: Promise<ResourceInfo[]> | undefined;
  private readonly byGroupVersion = new Map<string, Promise<ResourceInfo[]>>();

  constructor(conn: ConnectionSettings) {
    this.server = conn.server;
    this.token = conn.token;
    // The server's CA comes from the kubeconfig (switchyard up signs its own certificate).
    if (conn.ca || conn.insecureSkipTlsVerify) {
      this.dispatcher = new Agent({ connect: { ...(conn.ca ? { ca: conn.ca } : {}), rejectUnauthorized: !conn.insecureSkipTlsVerify } });
    }
  }

  /** Sends a request; non-2xx answers become ServerErrors, network failures SY_ERR_CONNECT. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, this.server + '/');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw connectError(this.server, err);
    }
    if (!res.ok) throw errorFromResponse(res.status, await res.text());
    return res;
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw syError('SY_ERR_INTERNAL', `the server at ${this.server} answered ${method} ${path} with a body that is not JSON`);
    }
  }

  get<T = any>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  /** Every served resource, in the order names resolve (see groupVersionsInPriority). */
  discover(): Promise<ResourceInfo[]> {
    this.all ??= (async () => {
      const groups = APIGroupListSchema.parse(await this.get('/apis'));
      const lists = await Promise.all(groupVersionsInPriority(groups).map((gv) => this.resourcesIn(gv)));
      return lists.flat();
    })();
    return this.all;
  }

  /** Resources of one group/version, e.g. for an apiVersion named in a manifest. */
  resourcesIn(groupVersion: string): Promise<ResourceInfo[]> {
    let found = this.byGroupVersion.get(groupVersion);
    if (!found) {
      const { group } = splitGroupVersion(groupVersion);
      const path = group ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
      found = this.get(path).then((body) => resourcesOf(APIResourceListSchema.parse(body)));
      this.byGroupVersion.set(groupVersion, found);
    }
    return found;
  }

  async resolve(typed: string): Promise<ResourceInfo> {
    return resolveResource(await this.discover(), typed);
  }

  /** The resource serving `kind` at `apiVersion`, as written in a manifest. */
  async resourceForKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let resources: ResourceInfo[];
    try {
      resources = await this.resourcesIn(apiVersion);
    } catch (err) {
      if ((err as { httpStatus?: number }).httpStatus === 404) {
        throw syError('SY_ERR_UNKNOWN_KIND', `no matches for kind "${kind}" in version "${apiVersion}"`);
      }
      throw err;
    }
    const found = resources.find((r) => r.kind === kind);
    if (!found) throw syError('SY_ERR_UNKNOWN_KIND', `no matches for kind "${kind}" in version "${apiVersion}"`);
    return found;
  }

  /** Streams newline-delimited watch events until the server closes or `signal` aborts. */
  async *watch(path: string, query: Record<string, string | undefined>, signal: AbortSignal, accept?: string): AsyncGenerator<WatchEvent> {
    const res = await this.send('GET', path, { query: { ...query, watch: 'true' }, signal, ...(accept ? { accept } : {}) });
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line) as WatchEvent;
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }
}

function connectError(server: string, err: unknown) {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return syError(
      'SY_ERR_CONNECT',
      `cannot verify the TLS certificate of the API server at ${server} (${code}); use the kubeconfig written by \`switchyard up\` (its certificate-authority-data), or --insecure-skip-tls-verify`,
      { cause: err },
    );
  }
  const why = code === 'ECONNREFUSED' ? 'connection refused' : code || cause?.message || (err as Error).message;
  return syError(
    'SY_ERR_CONNECT',
    `cannot reach the Switchyard API server at ${server} (${why}); is it running? Start it with \`switchyard up\` or point --kubeconfig/--server at a running server`,
    { cause: err },
  );
}
