// Istio's retryOn conditions: which upstream answers and failures a retry
// follows. Numeric entries are retriable status codes, as Istio writes them;
// the HTTP/2-only conditions (refused-stream, cancelled, ...) never match here.

export type Failure = 'connect-failure' | 'reset' | 'per-try-timeout';

/** Whether retryOn covers an upstream status (0 = no status) or a failure. */
export function retriable(retryOn: readonly string[], status: number, failure?: Failure): boolean {
  for (const cond of retryOn) {
    switch (cond) {
      case '5xx':
        if (failure !== undefined || status >= 500) return true;
        break;
      case 'gateway-error':
        if (failure !== undefined || status === 502 || status === 503 || status === 504) return true;
        break;
      case 'connect-failure':
        if (failure === 'connect-failure') return true;
        break;
      case 'reset':
        if (failure === 'reset' || failure === 'per-try-timeout') return true;
        break;
      default:
        if (status > 0 && Number(cond) === status) return true;
    }
  }
  return false;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

/** What went wrong with an exchange that got no status: a refused connection or a reset. */
export function failureOf(err: unknown): Failure {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  return CONNECT_CODES.has(code) ? 'connect-failure' : 'reset';
}
