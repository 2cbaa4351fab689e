// Kubernetes API failures as catalogue errors: the API server answers with a
// metav1.Status whose code and reason map onto our codes one to one, so the
// controller's conflict retry (SY_ERR_CONFLICT) and "gone" handling work the
// same against a cluster as against the embedded store.
import { ApiException } from '@kubernetes/client-node';
import { syError, type Cause, type ErrorCode, type SwitchyardError } from '../core/errors.ts';

interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> };
}

function statusOf(body: unknown): KubeStatus {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as KubeStatus;
}

function codeFor(http: number, reason: string | undefined): ErrorCode {
  switch (http) {
    case 400: return 'SY_ERR_BAD_REQUEST';
    case 401: return 'SY_ERR_UNAUTHORIZED';
    case 403: return 'SY_ERR_FORBIDDEN';
    case 404: return 'SY_ERR_NOT_FOUND';
    case 405: return 'SY_ERR_METHOD_NOT_ALLOWED';
    case 409: return reason === 'AlreadyExists' ? 'SY_ERR_ALREADY_EXISTS' : 'SY_ERR_CONFLICT';
    case 410: return 'SY_ERR_GONE';
    case 413: return 'SY_ERR_BODY_TOO_LARGE';
    case 415: return 'SY_ERR_UNSUPPORTED_MEDIA_TYPE';
    case 422: return 'SY_ERR_INVALID';
    case 429: return 'SY_ERR_TOO_MANY_REQUESTS';
    case 503: return 'SY_ERR_UNAVAILABLE';
    case 504: return 'SY_ERR_TIMEOUT';
    default: return 'SY_ERR_INTERNAL';
  }
}

/** The API server's Status (from an ApiException or a watch ERROR event) as a SwitchyardError. */
export function kubeStatusError(http: number, body: unknown, what: string): SwitchyardError {
  const s = statusOf(body);
  const causes: Cause[] = (s.details?.causes ?? []).map((c) => ({ message: c.message ?? '', ...(c.field ? { field: c.field } : {}), ...(c.reason ? { reason: c.reason } : {}) }));
  return syError(codeFor(http, s.reason), s.message || `${what}: HTTP ${http}`, { causes });
}

/** Any failure of a client call: API answers by their Status, network failures as SY_ERR_CONNECT. */
export function kubeError(err: unknown, what: string): Error {
  if (err instanceof ApiException) return kubeStatusError(err.code, err.body, what);
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return syError('SY_ERR_CONNECT', `${what}: ${e?.message ?? String(err)}${e?.cause?.code ? ` (${e.cause.code})` : ''}`, { cause: err });
}
