// The dashboard's only way to the system: HTTPS to the API server it was
// served from, with the signed-in bearer token. Failures carry the server's
// Status message (and its SY_ERR code), so the page can show what the CLI would.
import { session } from './session.ts';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

/** The message of a failed response: the metav1.Status message when the body is one, else the status line. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; errorCode?: unknown };
    if (typeof body.message === 'string') return new ApiError(res.status, body.message, typeof body.errorCode === 'string' ? body.errorCode : undefined);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Another token than the session's (the login form checks one before keeping it). */
  token?: string;
}

export function urlOf(path: string, query: RequestOptions['query'] = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/** One request; resolves with the response when it is 2xx. A 401 signs the user out (the token was revoked or is unknown). */
export async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const token = opts.token ?? session.token();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  let res: Response;
  try {
    res = await fetch(urlOf(path, opts.query), {
      method: opts.method ?? 'GET', headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}), cache: 'no-store',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'cannot reach the API server (is `switchyard up` running?)');
  }
  if (res.ok) return res;
  const error = await errorOf(res);
  if (res.status === 401 && opts.token === undefined) session.expire(error.message);
  throw error;
}

export async function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await (await send(path, opts)).json()) as T;
}

/** Paths of the kinds the dashboard reads. */
export const PATHS = {
  isvc: (ns?: string, name?: string) => kindPath('/apis/serving.kserve.io/v1beta1', 'inferenceservices', ns, name),
  vs: (ns?: string, name?: string) => kindPath('/apis/networking.istio.io/v1', 'virtualservices', ns, name),
  plan: (ns?: string, name?: string) => kindPath('/apis/switchyard.dev/v1alpha1', 'trafficplans', ns, name),
  pod: (ns?: string, name?: string) => kindPath('/api/v1', 'pods', ns, name),
};

function kindPath(base: string, plural: string, ns?: string, name?: string): string {
  const scoped = ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${plural}` : `${base}/${plural}`;
  return name ? `${scoped}/${encodeURIComponent(name)}` : scoped;
}
