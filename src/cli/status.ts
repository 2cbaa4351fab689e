// Kubernetes Status objects from the server, turned into errors the CLI
// prints the way kubectl does, plus the stable SY_ERR code.
import { z } from 'zod';
import { ERRORS, SwitchyardError, isSwitchyardError, type Cause, type ErrorCode } from '../core/errors.ts';

const StatusSchema = z.looseObject({
  kind: z.literal('Status'),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  errorCode: z.string().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      kind: z.string().optional(),
      causes: z.array(z.looseObject({ field: z.string().optional(), message: z.string().optional(), reason: z.string().optional() })).optional(),
    })
    .optional(),
});

/** An error the server reported; `reason` is the Kubernetes StatusReason. */
export class ServerError extends SwitchyardError {
  readonly serverReason: string;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, serverReason: string, httpStatus: number, causes: Cause[]) {
    super(code, message, { causes });
    this.serverReason = serverReason;
    this.httpStatus = httpStatus;
  }
}

const CODE_BY_HTTP: Record<number, ErrorCode> = {
  400: 'SY_ERR_BAD_REQUEST',
  401: 'SY_ERR_UNAUTHORIZED',
  403: 'SY_ERR_FORBIDDEN',
  404: 'SY_ERR_NOT_FOUND',
  405: 'SY_ERR_METHOD_NOT_ALLOWED',
  406: 'SY_ERR_NOT_ACCEPTABLE',
  408: 'SY_ERR_REQUEST_TIMEOUT',
  409: 'SY_ERR_CONFLICT',
  410: 'SY_ERR_GONE',
  413: 'SY_ERR_BODY_TOO_LARGE',
  415: 'SY_ERR_UNSUPPORTED_MEDIA_TYPE',
  422: 'SY_ERR_INVALID',
  429: 'SY_ERR_TOO_MANY_REQUESTS',
  431: 'SY_ERR_HEADER_TOO_LARGE',
  503: 'SY_ERR_UNAVAILABLE',
  504: 'SY_ERR_TIMEOUT',
};

function isKnownCode(code: string | undefined): code is ErrorCode {
  return code !== undefined && Object.hasOwn(ERRORS, code);
}

/** Builds the error for a non-2xx response from its body (a Status, or anything else). */
export function errorFromResponse(httpStatus: number, bodyText: string): ServerError {
  let parsed: z.infer<typeof StatusSchema> | undefined;
  try {
    const result = StatusSchema.safeParse(JSON.parse(bodyText));
    if (result.success) parsed = result.data;
  } catch {
    // not JSON: fall through to a generic message
  }
  const code = isKnownCode(parsed?.errorCode) ? parsed.errorCode : (CODE_BY_HTTP[httpStatus] ?? 'SY_ERR_INTERNAL');
  const reason = parsed?.reason || ERRORS[code].reason;
  const message = parsed?.message || bodyText.trim().slice(0, 500) || `the server responded with HTTP ${httpStatus}`;
  const causes = (parsed?.details?.causes ?? []).map((c) => ({
    message: c.message ?? '',
    ...(c.field ? { field: c.field } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  }));
  return new ServerError(code, message, reason, httpStatus, causes);
}

/** The lines printed to stderr for a failed command. */
export function formatError(err: unknown): string {
  if (err instanceof ServerError) {
    const lines = [`Error from server (${err.serverReason}): ${err.message} (${err.code})`];
    for (const cause of err.causes) {
      // kubectl's messages for Invalid already list each cause; repeat only what is missing.
      const text = cause.field ? `${cause.field}: ${cause.message}` : cause.message;
      if (!err.message.includes(cause.message)) lines.push(`  * ${text}`);
    }
    return lines.join('\n');
  }
  if (isSwitchyardError(err)) {
    const lines = [`error: ${err.message} (${err.code})`];
    for (const cause of err.causes) {
      if (!err.message.includes(cause.message)) lines.push(`  * ${cause.field ? `${cause.field}: ` : ''}${cause.message}`);
    }
    return lines.join('\n');
  }
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}
