// One keep-alive HTTP/1.1 connection to an upstream, carrying one exchange
// at a time (no pipelining). The request head is one string, written with
// the body in one corked writev; the answer is parsed as it arrives
// (response-parser.ts) and handed to the exchange's handler slice by slice.
// One socket timer serves as connect, headers, body and idle timeout.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { ResponseParser, type ResponseHead, type ResponseSink } from './response-parser.ts';
import { aborted, bodyTimeout, connectTimeout, headersTimeout, invalidHeader, invalidTarget, socketClosed } from './errors.ts';
import type { UpstreamHandler, UpstreamRequest } from './types.ts';

export interface ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** `host:port`, sent when the request names no host. */
  readonly authority: string;
  readonly connectTimeoutMs: number;
  /** The exchange is over and the connection can carry another (hint: the upstream's keep-alive timeout, 0 if none). */
  release(c: Connection, hintMs: number): void;
  /** The connection is gone (closed, failed or not reusable). */
  remove(c: Connection): void;
  /** A reused connection failed before any answer: the request goes again on a new one. */
  retry(req: UpstreamRequest, handler: UpstreamHandler): void;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values are visible latin1, space and tab (what node:http accepts): no CR, LF, NUL or other controls. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** A request target is visible ASCII (RFC 9112 §3.2); anything else would break the request line. */
const BAD_TARGET = /[^\x21-\x7e\x80-\xff]/;
/** Framing is the connection's: these request headers are never copied. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Builds the request head; throws when a header could split the message. */
export function requestHead(req: UpstreamRequest, authority: string, framing: string): string {
  if (BAD_TARGET.test(req.path) || req.path === '') throw invalidTarget(req.path);
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  let host = false;
  const h = req.headers;
  for (const name in h) {
    if (FRAMING.has(name)) continue;
    if (name === 'host') host = true;
    if (!HEADER_NAME.test(name)) throw invalidHeader(name);
    const v = h[name]!;
    if (typeof v === 'string') {
      if (BAD_VALUE.test(v)) throw invalidHeader(name);
      head += `${name}: ${v}\r\n`;
    } else {
      for (const x of v) {
        if (BAD_VALUE.test(x)) throw invalidHeader(name);
        head += `${name}: ${x}\r\n`;
      }
    }
  }
  if (!host) head += `host: ${authority}\r\n`;
  return head + framing + '\r\n';
}

export class Connection implements ResponseSink {
  private readonly socket: Socket;
  private readonly parser = new ResponseParser();
  private connected = false;
  private req: UpstreamRequest | null = null;
  private handler: UpstreamHandler | null = null;
  /** The connection has carried an exchange before this one (a stale keep-alive may fail it). */
  private reused = false;
  private answered = false;
  private sent = true;
  private completed: UpstreamHandler | null = null;
  private hintMs = 0;
  private gone = false;
  private timeoutMs = -1;
  /** When idle: the time (performance.now()) after which it must not be reused. */
  idleUntil = 0;
  private readonly abortFn = this.abort.bind(this);
  private readonly resumeFn = this.resume.bind(this);

  constructor(private readonly owner: ConnectionOwner) {
    const s = owner.tls
      ? tlsConnect({ host: owner.host, port: owner.port, ALPNProtocols: ['http/1.1'], ...(isIP(owner.host) ? {} : { servername: owner.host }) })
      : tcpConnect({ host: owner.host, port: owner.port });
    this.socket = s;
    s.setNoDelay(true);
    this.arm(owner.connectTimeoutMs);
    s.once(owner.tls ? 'secureConnect' : 'connect', this.onConnected.bind(this));
    s.on('data', this.onSocketData.bind(this));
    s.on('end', this.onSocketEnd.bind(this));
    s.on('error', this.fail.bind(this));
    s.on('close', this.onSocketClose.bind(this));
    s.on('timeout', this.onSocketTimeout.bind(this));
  }

  /** Starts an exchange on this (idle or connecting) connection. */
  start(req: UpstreamRequest, handler: UpstreamHandler, reused: boolean): void {
    this.req = req;
    this.handler = handler;
    this.reused = reused;
    this.answered = false;
    this.parser.expect(this, req.method === 'HEAD');
    handler.onConnect(this.abortFn);
    if (this.handler !== handler) return; // aborted in onConnect
    if (this.connected) this.send();
  }

  /** Closes the connection and leaves the pool at once (never to be picked from its idle list again). */
  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    this.owner.remove(this);
  }

  private onConnected(): void {
    this.connected = true;
    if (this.req !== null) this.send();
  }

  private send(): void {
    const req = this.req!;
    const body = req.body;
    let framing: string;
    if (body === null) framing = PAYLOAD_METHODS.has(req.method) ? 'content-length: 0\r\n' : '';
    else if (Buffer.isBuffer(body)) framing = `content-length: ${body.length}\r\n`;
    else {
      const given = req.headers['content-length'];
      framing = typeof given === 'string' ? `content-length: ${given}\r\n` : 'transfer-encoding: chunked\r\n';
    }
    let head: string;
    try {
      head = requestHead(req, this.owner.authority, framing);
    } catch (err) {
      return this.fail(err as Error);
    }
    const s = this.socket;
    this.arm(req.headersTimeout);
    if (body === null || Buffer.isBuffer(body)) {
      s.cork();
      s.write(head, 'latin1');
      if (body !== null && body.length > 0) s.write(body);
      s.uncork();
      this.sent = true;
    } else {
      s.write(head, 'latin1');
      this.sent = false;
      new BodyStream(body, s, framing.startsWith('t'), this).run();
    }
  }

  /** The streamed body went out completely (or failed: the exchange fails with it). */
  bodySent(err: Error | null): void {
    if (err !== null) return this.fail(err);
    this.sent = true;
  }

  onHead(head: ResponseHead): void {
    this.hintMs = head.keepAliveHintMs;
    const req = this.req!;
    this.arm(req.bodyTimeout);
    if (!this.handler!.onHeaders(head.status, head.headers, this.resumeFn)) this.socket.pause();
  }

  onBody(chunk: Buffer): void {
    if (!this.handler!.onData(chunk)) this.socket.pause();
  }

  onEnd(): void {
    // Finished after execute() returns: the next exchange must not start inside this one's parse.
    this.completed = this.handler;
    this.handler = null;
    this.req = null;
  }

  private onSocketData(data: Buffer): void {
    this.answered = true;
    try {
      this.parser.execute(data);
    } catch (err) {
      if (this.handler !== null) return this.fail(err as Error);
      this.destroy(); // junk after a complete answer: the connection cannot be trusted again
    }
    if (this.completed !== null) this.complete();
  }

  private complete(): void {
    const h = this.completed!;
    this.completed = null;
    if (this.parser.reusable && this.sent && !this.gone) {
      this.socket.resume();
      this.owner.release(this, this.hintMs);
    } else {
      this.destroy();
    }
    h.onComplete();
  }

  /**
   * The socket's inactivity timer, re-armed only when the bound changes: per
   * request it usually does not. While idle the last bound still applies; the
   * pool's sweep enforces the (shorter) keep-alive bound through `idleUntil`.
   */
  private arm(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  private onSocketEnd(): void {
    if (this.handler === null) return this.destroy();
    try {
      this.parser.finish();
    } catch {
      return this.fail(socketClosed());
    }
    if (this.completed !== null) this.complete();
  }

  private onSocketClose(): void {
    if (this.handler !== null) this.fail(socketClosed());
    this.gone = true;
    this.owner.remove(this);
  }

  private onSocketTimeout(): void {
    if (this.handler === null) return this.destroy(); // idle too long
    const req = this.req!;
    if (!this.connected) return this.fail(connectTimeout(this.owner.connectTimeoutMs));
    this.fail(this.parser.headed ? bodyTimeout(req.bodyTimeout) : headersTimeout(req.headersTimeout));
  }

  private abort(err?: Error): void {
    if (this.handler !== null) this.fail(err ?? aborted());
  }

  private resume(): void {
    if (this.handler !== null) this.socket.resume();
  }

  /** Ends the exchange with an error; the connection is closed. */
  private fail(err: Error): void {
    const h = this.handler;
    const req = this.req;
    this.handler = null;
    this.req = null;
    this.destroy();
    if (h === null || req === null) return;
    // A kept-alive connection the upstream had already closed: nothing reached it, so sending again is safe.
    const stale = this.reused && !this.answered && this.connected && (req.body === null || Buffer.isBuffer(req.body)) && isSocketFailure(err);
    if (stale) this.owner.retry(req, h);
    else h.onError(err);
  }
}

function isSocketFailure(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** A streamed request body, chunked unless its length was given; paced by the socket. */
class BodyStream {
  private readonly onChunk = this.chunk.bind(this);
  private readonly onEnd = this.end.bind(this);
  private readonly onError = this.error.bind(this);
  private readonly onDrain = this.drain.bind(this);

  constructor(private readonly src: Readable, private readonly socket: Socket, private readonly chunked: boolean, private readonly conn: Connection) {}

  run(): void {
    this.src.on('data', this.onChunk).once('end', this.onEnd).once('error', this.onError);
    this.socket.on('drain', this.onDrain);
  }

  private chunk(c: Buffer): void {
    if (this.socket.destroyed) return this.stop();
    if (c.length === 0) return;
    if (this.chunked) this.socket.write(`${c.length.toString(16)}\r\n`, 'latin1');
    const ok = this.socket.write(c);
    if (this.chunked && !this.socket.write('\r\n', 'latin1')) this.src.pause();
    else if (!ok) this.src.pause();
  }

  private drain(): void {
    this.src.resume();
  }

  private end(): void {
    const done = !this.socket.destroyed;
    if (this.chunked && done) this.socket.write('0\r\n\r\n', 'latin1');
    this.stop();
    if (done) this.conn.bodySent(null);
  }

  private error(err: Error): void {
    this.stop();
    this.conn.bodySent(err);
  }

  /** Leaves the source as it is (its owner decides what becomes of it). */
  private stop(): void {
    this.src.off('data', this.onChunk).off('end', this.onEnd).off('error', this.onError);
    this.socket.off('drain', this.onDrain);
  }
}
