// The one catalogue of Switchyard error codes. Codes are stable: clients and
// scripts match on them, so a code is never renamed or reused. Every code is
// documented in docs/errors.md (a test keeps the two in step).

export interface ErrorSpec {
  /** HTTP status the API server answers with. */
  status: number;
  /** Kubernetes StatusReason (metav1.StatusReason) for the Status object. */
  reason: string;
  /** One line for docs/errors.md: what it means. */
  summary: string;
}

export const ERRORS = {
  SY_ERR_BAD_REQUEST: { status: 400, reason: 'BadRequest', summary: 'The request is malformed (a parameter or header has an invalid value, or the body a field its kind does not have).' },
  SY_ERR_MALFORMED_BODY: { status: 400, reason: 'BadRequest', summary: 'The body is not valid JSON or YAML, or uses forbidden constructs (aliases beyond the limit, __proto__/constructor keys).' },
  SY_ERR_INVALID: { status: 422, reason: 'Invalid', summary: 'The object fails schema validation; each cause names the field path.' },
  SY_ERR_INVALID_NAME: { status: 422, reason: 'Invalid', summary: 'metadata.name (or namespace) is not a valid RFC 1123 name.' },
  SY_ERR_NAMESPACE_MISMATCH: { status: 400, reason: 'BadRequest', summary: 'The namespace in the body differs from the namespace in the URL.' },
  SY_ERR_BODY_TOO_LARGE: { status: 413, reason: 'RequestEntityTooLarge', summary: 'The request body exceeds the server limit (refused before it is read; the connection is closed).' },
  SY_ERR_HEADER_TOO_LARGE: { status: 431, reason: 'RequestHeaderFieldsTooLarge', summary: 'The request head (request line and headers) exceeds the server limit.' },
  SY_ERR_REQUEST_TIMEOUT: { status: 408, reason: 'Timeout', summary: "The request's head or body did not arrive within the server's deadline; the connection is closed." },
  SY_ERR_TOO_MANY_REQUESTS: { status: 429, reason: 'TooManyRequests', summary: 'The server holds as many watches as it allows; retry after the Retry-After seconds.' },
  SY_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, reason: 'UnsupportedMediaType', summary: 'The Content-Type is not one the endpoint accepts (for PATCH: merge or JSON patch).' },
  SY_ERR_NOT_ACCEPTABLE: { status: 406, reason: 'NotAcceptable', summary: 'None of the media types in Accept can be produced.' },
  SY_ERR_UNKNOWN_KIND: { status: 404, reason: 'NotFound', summary: 'The group, version, resource or kind is not served by this server.' },
  SY_ERR_NOT_FOUND: { status: 404, reason: 'NotFound', summary: 'The named object does not exist.' },
  SY_ERR_ALREADY_EXISTS: { status: 409, reason: 'AlreadyExists', summary: 'An object with this name already exists.' },
  SY_ERR_CONFLICT: { status: 409, reason: 'Conflict', summary: 'The resourceVersion is stale: the object changed since it was read. Re-read and retry.' },
  SY_ERR_METHOD_NOT_ALLOWED: { status: 405, reason: 'MethodNotAllowed', summary: 'The verb is not supported on this resource (e.g. writing a read-only Pod view).' },
  SY_ERR_GONE: { status: 410, reason: 'Expired', summary: 'The watch resourceVersion is older than the retained history; list again.' },
  SY_ERR_UNAUTHORIZED: { status: 401, reason: 'Unauthorized', summary: 'No bearer token, or the token is unknown or revoked.' },
  SY_ERR_FORBIDDEN: { status: 403, reason: 'Forbidden', summary: "The token's role does not allow this verb, or the TrafficPlan's `spec.owner` does not let its groups make this write (only the owner team changes, deletes, promotes or resumes a plan; canHalt groups may also halt it)." },
  SY_ERR_NAMESPACE_NOT_FOUND: { status: 404, reason: 'NotFound', summary: 'The namespace named by the request does not exist.' },
  SY_ERR_NAMESPACE_TERMINATING: { status: 409, reason: 'Conflict', summary: "Retired: no request gets it (deleting a namespace deletes what it holds, as Kubernetes' namespace controller does); kept so that the code is never reused." },
  SY_ERR_AUDIT_CHAIN_BROKEN: { status: 500, reason: 'InternalError', summary: 'The audit log hash chain does not verify: a row was edited, deleted or the log truncated.' },
  SY_ERR_STORE_FULL: { status: 507, reason: 'InsufficientStorage', summary: "The data dir's disk is full: the write was not made (nothing half-applied); reads and serving go on, and writes succeed again once space is freed, without a restart." },
  SY_ERR_STORE: { status: 500, reason: 'InternalError', summary: 'The store failed to read or write (disk, lock or corruption).' },
  SY_ERR_INTERNAL: { status: 500, reason: 'InternalError', summary: 'An unexpected server error; the message carries the cause.' },
  SY_ERR_TIMEOUT: { status: 504, reason: 'Timeout', summary: 'The operation did not finish within its timeout.' },
  SY_ERR_UNAVAILABLE: { status: 503, reason: 'ServiceUnavailable', summary: 'The component is not ready yet (starting or shutting down).' },
  SY_ERR_CONFIG: { status: 400, reason: 'BadRequest', summary: 'A CLI flag, kubeconfig or config file is missing or invalid.' },
  SY_ERR_CONNECT: { status: 503, reason: 'ServiceUnavailable', summary: 'The CLI could not reach the API server at the address in the kubeconfig.' },
  // Storage initializer (storageUri)
  SY_ERR_STORAGE_URI: { status: 400, reason: 'BadRequest', summary: 'storageUri has an unsupported scheme or is malformed.' },
  SY_ERR_STORAGE_PATH_ESCAPE: { status: 400, reason: 'BadRequest', summary: 'storageUri path uses `..` or a symlink that leaves its root.' },
  SY_ERR_STORAGE_NOT_FOUND: { status: 404, reason: 'NotFound', summary: 'The model artifact named by storageUri does not exist.' },
  SY_ERR_STORAGE_TOO_LARGE: { status: 413, reason: 'RequestEntityTooLarge', summary: 'The downloaded artifact exceeds the size limit.' },
  SY_ERR_STORAGE_DIGEST: { status: 400, reason: 'BadRequest', summary: 'The downloaded artifact does not match its expected sha256.' },
  SY_ERR_STORAGE_DOWNLOAD: { status: 502, reason: 'BadGateway', summary: 'The artifact download failed (HTTP status, network error or timeout).' },
  SY_ERR_STORAGE_ACCESS: { status: 403, reason: 'Forbidden', summary: 'The object store refused the credentials (unknown key, wrong secret, or no permission on the bucket).' },
  // Runtimes
  SY_ERR_RUNTIME_UNAVAILABLE: { status: 503, reason: 'ServiceUnavailable', summary: "A runtime's Python environment is not installed and could not be installed (Python missing, a package unavailable); the message says what to run." },
  // Model server
  SY_ERR_MODEL_LOAD: { status: 500, reason: 'InternalError', summary: 'The model file could not be loaded by the runtime.' },
  SY_ERR_MODEL_INPUT: { status: 400, reason: 'BadRequest', summary: 'An inference request has an invalid input (shape, datatype, missing tensor).' },
  SY_ERR_MODEL_NOT_FOUND: { status: 404, reason: 'NotFound', summary: 'The model named in the inference path is not served here.' },
  SY_ERR_MODEL_NOT_READY: { status: 503, reason: 'ServiceUnavailable', summary: 'The model is loading or has failed and cannot serve yet.' },
  // Feedback API
  SY_ERR_INVALID_FEEDBACK: { status: 400, reason: 'BadRequest', summary: 'A feedback event is invalid; each cause names the event and field (events[3].value). Nothing of the batch was stored.' },
  SY_ERR_TOO_MANY_EVENTS: { status: 413, reason: 'RequestEntityTooLarge', summary: 'A feedback batch holds more events than the limit (1000); send it in several batches. Nothing of it was stored.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A field-level cause, shaped like metav1.StatusCause. */
export interface Cause {
  field?: string;
  message: string;
  reason?: string;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly causes: Cause[];
  /** Extra fields for Status.details (name, group, kind). */
  readonly details: Record<string, string>;

  constructor(code: ErrorCode, message: string, opts: { causes?: Cause[]; details?: Record<string, string>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.causes = opts.causes ?? [];
    this.details = opts.details ?? {};
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get reason(): string {
    return ERRORS[this.code].reason;
  }
}

export function syError(code: ErrorCode, message: string, opts?: ConstructorParameters<typeof SwitchyardError>[2]): SwitchyardError {
  return new SwitchyardError(code, message, opts);
}

export function isSwitchyardError(err: unknown): err is SwitchyardError {
  return err instanceof SwitchyardError;
}

/** Seconds a client is told to wait before retrying a 429, as kube-apiserver tells it (header and Status details). */
export const RETRY_AFTER_SECONDS = 1;

/** The error as kube-apiserver words a failure: a metav1.Status carrying the Switchyard code and the causes. */
export function statusOf(err: SwitchyardError): Record<string, unknown> {
  const details: Record<string, unknown> = { ...err.details };
  if (err.causes.length > 0) details.causes = err.causes;
  if (err.code === 'SY_ERR_TOO_MANY_REQUESTS') details.retryAfterSeconds = RETRY_AFTER_SECONDS;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: err.reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code: err.status,
    errorCode: err.code,
  };
}
