// The limits every Switchyard listener (the inference gateway, the API
// server) puts on its clients, so that slow, huge or idle clients cost the
// others nothing: a deadline for a request's head and for the whole request,
// an idle timeout for kept-alive connections, a cap on head and body size and
// on open connections. Failures are answered in the listener's own protocol
// (KServe's {"error": ...} on the gateway, a metav1.Status on the API server)
// and the connection is closed.
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface HttpLimits {
  /** Time for a request's head (request line and headers) to arrive, from the first byte or the connection; past it: 408, closed. */
  headersTimeoutMs: number;
  /** Time for a whole request (head and body) to arrive; past it: 408, closed. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in flight is closed after this long. */
  idleTimeoutMs: number;
  /** A larger request body is refused with 413 before it is read. */
  maxBodyBytes: number;
  /** A larger request head is refused with 431. */
  maxHeaderBytes: number;
  /** Connections accepted beyond this many open ones are closed at once; the open ones keep being served. */
  maxConnections: number;
}

/** How a listener words an error in its protocol. */
export type ErrorBody = (status: number, message: string) => { contentType: string; body: string };

/** How often node checks the head and request deadlines of open connections. */
const DEADLINE_CHECK_MS = 1000;

const CLIENT_ERRORS: Record<string, { status: number; message: (l: HttpLimits) => string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: (l) => `the request did not arrive in time (head within ${l.headersTimeoutMs / 1000}s, whole request within ${l.requestTimeoutMs / 1000}s)` },
  HPE_HEADER_OVERFLOW: { status: 431, message: (l) => `the request head exceeds the limit of ${l.maxHeaderBytes} bytes` },
};

/** How long a connection answered with its request body unread stays half-closed before it is closed (Go's net/http waits as long: its rstAvoidanceDelay). */
export const LINGER_MS = 500;

/** Answers a request whose body is over the limit, and closes the connection: the rest of the body is never read. */
export function refuseBody(res: ServerResponse, limits: HttpLimits, errorBody: ErrorBody, declared?: number): void {
  const message = declared === undefined
    ? `the request body exceeds the limit of ${limits.maxBodyBytes} bytes`
    : `the request body of ${declared} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`;
  const { contentType, body } = errorBody(413, message);
  lingerBeforeClose(res);
  res.writeHead(413, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Call before answering a request whose body is left unread: the answer says `Connection: close`.
 * Closing a socket that holds unread bytes makes the kernel reset the connection at once, and the reset
 * can erase the answer before the client, still sending, has read it (RFC 9112 §9.6). So the connection
 * stops reading, sends the answer and a FIN (node ends such a connection by `destroySoon()`), and is
 * closed LINGER_MS later.
 */
export function lingerBeforeClose(res: ServerResponse): void {
  res.setHeader('connection', 'close');
  const socket = res.socket as (Socket & { _paused?: boolean }) | null;
  if (!socket) return;
  socket.pause();
  socket._paused = true; // node's http server resumes a socket it has not paused itself when the request is dumped
  socket.destroySoon = function (this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS).unref();
    this.once('close', () => clearTimeout(timer));
  };
}

/** The body size a request declares, when it declares one over the limit. */
function declaredOver(req: IncomingMessage, limits: HttpLimits): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const n = Number(header);
  return n > limits.maxBodyBytes ? n : undefined;
}

/** A malformed, oversized or too slow request head: answered on the raw socket (there is no response object yet). */
function answerClientError(err: Error & { code?: string }, socket: Duplex, limits: HttpLimits, errorBody: ErrorBody): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[err.code ?? ''];
  const status = known?.status ?? 400;
  const { contentType, body } = errorBody(status, known?.message(limits) ?? `malformed request: ${err.message}`);
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}

export interface LimitedServerOptions {
  limits: HttpLimits;
  errorBody: ErrorBody;
  /** Serve HTTPS with this certificate; plain HTTP without it. */
  tls?: { cert: string; key: string };
  /** A subclass of IncomingMessage for requests (node's `IncomingMessage` server option). */
  IncomingMessage?: typeof IncomingMessage;
}

/**
 * An HTTP(S) server with the limits applied. A body declared over the limit
 * is refused before the handler runs, and before `100 Continue` is sent to a
 * client that waits for it; a body of undeclared length (chunked) is the
 * handler's to count as it reads.
 */
export function createLimitedServer(opts: LimitedServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const { limits, errorBody } = opts;
  const options: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    // node refuses a request deadline shorter than the head's.
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.idleTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.min(DEADLINE_CHECK_MS, limits.headersTimeoutMs),
    ...(opts.IncomingMessage ? { IncomingMessage: opts.IncomingMessage } : {}),
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const declared = declaredOver(req, limits);
    if (declared !== undefined) return refuseBody(res, limits, errorBody, declared);
    handler(req, res);
  };
  const server: Server = opts.tls ? createHttpsServer({ ...options, cert: opts.tls.cert, key: opts.tls.key }, listener) : createHttpServer(options, listener);
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => answerClientError(err, socket, limits, errorBody));
  // With a listener node no longer sends `100 Continue` by itself: a body too large is refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = declaredOver(req, limits);
    if (declared !== undefined) return refuseBody(res, limits, errorBody, declared);
    res.writeContinue();
    handler(req, res);
  });
  return server;
}
