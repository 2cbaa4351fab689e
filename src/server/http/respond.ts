// Writing responses the way kube-apiserver does: JSON bodies, and failures as
// metav1.Status objects carrying the Switchyard error code.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lingerBeforeClose } from '../../core/http-limits.ts';
import { isSwitchyardError, RETRY_AFTER_SECONDS, statusOf, syError, type SwitchyardError } from '../../core/errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Headers some failures need: a 429 says when to retry. */
function headersFor(err: SwitchyardError): Record<string, string> {
  if (err.code === 'SY_ERR_TOO_MANY_REQUESTS') return { 'retry-after': String(RETRY_AFTER_SECONDS) };
  return {};
}

/** The metav1.Status of an error (src/core/errors.ts words it, so listeners below the server answer the same). */
export const statusFor = statusOf;

/** Any thrown value becomes a Status; unknown errors are 500 with their message. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = isSwitchyardError(err) ? err : syError('SY_ERR_INTERNAL', (err as Error)?.message ?? String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body left unread makes the connection unusable: answered with Connection: close, without a reset.
  if (e.code === 'SY_ERR_BODY_TOO_LARGE') lingerBeforeClose(res);
  sendJson(res, e.status, statusFor(e), 'application/json', headersFor(e));
}

export function sendStatusSuccess(res: ServerResponse, details: Record<string, unknown>): void {
  sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
}

export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://localhost');
}
