// Errors of the upstream client. Their codes are undici's where undici has
// the same failure, so callers classify both clients' errors alike
// (retry-on.ts failureOf: connect failures against resets, mirror.ts timeouts).

export class UpstreamError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

export const socketClosed = (): UpstreamError => new UpstreamError('other side closed', 'UND_ERR_SOCKET');
export const headersTimeout = (ms: number): UpstreamError => new UpstreamError(`no response headers within ${ms} ms`, 'UND_ERR_HEADERS_TIMEOUT');
export const bodyTimeout = (ms: number): UpstreamError => new UpstreamError(`no response body bytes for ${ms} ms`, 'UND_ERR_BODY_TIMEOUT');
export const connectTimeout = (ms: number): UpstreamError => new UpstreamError(`connect timed out after ${ms} ms`, 'UND_ERR_CONNECT_TIMEOUT');
export const aborted = (): UpstreamError => new UpstreamError('the request was aborted', 'UND_ERR_ABORTED');
export const poolClosed = (): UpstreamError => new UpstreamError('the upstream pool is closed', 'UND_ERR_DESTROYED');
export const invalidHeader = (name: string): UpstreamError => new UpstreamError(`invalid request header ${JSON.stringify(name)}: names must be tokens and values visible characters, spaces or tabs`, 'UND_ERR_INVALID_ARG');
export const invalidTarget = (path: string): UpstreamError => new UpstreamError(`invalid request target ${JSON.stringify(path.slice(0, 64))}: it must be visible characters without spaces`, 'UND_ERR_INVALID_ARG');
