// Header handling shared by the proxy paths: hop-by-hop headers stay on
// their own connection, and the request id always travels upstream.
import type { IncomingHttpHeaders } from 'node:http';

// `expect` too: the gateway answers 100-continue itself and sends the body on, as Envoy does by
// default (proxy_100_continue off) — and undici refuses a request that carries it.
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'host', 'expect']);

export function forwardHeaders(headers: IncomingHttpHeaders, requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  out['x-request-id'] = requestId;
  return out;
}

/** Upstream response headers minus hop-by-hop ones. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  return out;
}
