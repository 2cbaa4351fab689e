// An incremental HTTP/1.1 response parser for the gateway's upstream client
// (RFC 9112): status line, header fields, and the body framed as §6.3 says —
// none for HEAD/1xx/204/304, chunked when Transfer-Encoding ends in chunked,
// Content-Length, or up to the close of the connection. Interim 1xx answers
// are skipped. Body chunks are slices of the socket's buffers, never copies.
// It exists because the upstream client is the gateway's largest CPU cost per
// request after the kernel (see docs/benchmarks.md).

export interface ResponseHead {
  status: number;
  /** Field names and values as received, flat: name, value, name, value… */
  headers: string[];
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** The upstream's `Keep-Alive: timeout=N`, in ms; 0 when it gave none. */
  keepAliveHintMs: number;
}

export interface ResponseSink {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** The response is complete (a close-delimited body completes at `finish()`). */
  onEnd(): void;
}

/** A response that is not HTTP/1.1 as the RFC frames it: the connection cannot be reused. */
export class ResponseParseError extends Error {
  readonly code = 'SY_UPSTREAM_PROTOCOL';
}

const enum State { Head, Length, ChunkSize, ChunkData, ChunkDataEnd, Trailers, UntilClose, Done }

const CRLF = 0x0a0d; // little-endian "\r\n" as readUInt16LE sees it
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_HEAD = 65_536;
const MAX_CHUNK_LINE = 4_096;

/** `HTTP/1.0 ` or `HTTP/1.1 `, three digits, then the end or a space (the reason may be empty). */
function isStatusLine(text: string, eol: number): boolean {
  if (eol < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return false;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return false;
  for (let i = 9; i < 12; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return eol === 12 || text.charCodeAt(12) === 32;
}

/** A Content-Length value (a list of equal values counts as one) against what an earlier field said (-1: none). */
function contentLength(value: string, earlier: number): number {
  const comma = value.indexOf(',');
  if (comma >= 0) return contentLength(value.slice(comma + 1).trim(), contentLength(value.slice(0, comma).trim(), earlier));
  let n = 0;
  let ok = value.length > 0 && value.length <= 15;
  for (let i = 0; ok && i < value.length; i++) {
    const c = value.charCodeAt(i);
    ok = c >= 48 && c <= 57;
    n = n * 10 + (c - 48);
  }
  if (!ok || (earlier >= 0 && n !== earlier)) throw new ResponseParseError(`the upstream sent an invalid Content-Length: ${JSON.stringify(value)}`);
  return n;
}

export class ResponseParser {
  private state = State.Done;
  private pending: Buffer | null = null;
  private remaining = 0;
  private noBody = false;
  private keepAlive = false;
  private sink: ResponseSink | null = null;
  private gotHead = false;

  /** Ready for the response to one request; `head` when the request was HEAD (no body follows). */
  expect(sink: ResponseSink, head: boolean): void {
    this.sink = sink;
    this.noBody = head;
    this.state = State.Head;
    this.pending = null;
    this.gotHead = false;
  }

  /** Whether the final status and headers of the current response were received. */
  get headed(): boolean {
    return this.gotHead;
  }

  /** Whether a response is under way (a close now would cut it short). */
  get busy(): boolean {
    return this.state !== State.Done;
  }

  /** Whether the last complete response allows the connection's reuse. */
  get reusable(): boolean {
    return this.state === State.Done && this.keepAlive;
  }

  /** Feeds bytes from the connection; throws ResponseParseError. Bytes after a complete response are an error. */
  execute(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case State.Head: at = this.head(data, at); break;
        case State.Length:
          at = this.counted(data, at);
          if (this.remaining === 0) this.end();
          break;
        case State.ChunkSize: at = this.chunkSize(data, at); break;
        case State.ChunkData:
          at = this.counted(data, at);
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        case State.ChunkDataEnd: at = this.chunkDataEnd(data, at); break;
        case State.Trailers: at = this.trailers(data, at); break;
        case State.UntilClose:
          this.sink!.onBody(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case State.Done:
          throw new ResponseParseError('the upstream sent bytes after a complete response');
      }
    }
  }

  /** Hands on up to `remaining` body bytes from `at` (a Content-Length body or one chunk's data). */
  private counted(data: Buffer, at: number): number {
    const n = Math.min(this.remaining, data.length - at);
    this.remaining -= n;
    this.sink!.onBody(data.subarray(at, at + n));
    return at + n;
  }

  /** The connection closed: completes a close-delimited body; throws when a response was cut short. */
  finish(): void {
    if (this.state === State.UntilClose) return this.end();
    if (this.state !== State.Done) throw new ResponseParseError(this.state === State.Head ? 'the upstream closed the connection before the response headers' : 'the upstream closed the connection before the end of the response');
  }

  /** Bytes kept across calls (a head or a chunk-size line split between reads). */
  private take(data: Buffer, at: number): Buffer {
    const rest = at === 0 ? data : data.subarray(at);
    return this.pending === null ? rest : Buffer.concat([this.pending, rest]);
  }

  private head(data: Buffer, at: number): number {
    const buf = this.take(data, at);
    const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (buf.length > MAX_HEAD) throw new ResponseParseError(`the upstream's response headers exceed ${MAX_HEAD} bytes`);
      this.pending = Buffer.from(buf); // the socket may reuse its read buffer
      return data.length;
    }
    if (end > MAX_HEAD) throw new ResponseParseError(`the upstream's response headers exceed ${MAX_HEAD} bytes`);
    const consumed = end + 4 - (this.pending?.length ?? 0); // bytes of `data` (from `at`) this head used
    this.pending = null;
    this.parseHead(buf.toString('latin1', 0, end));
    return at + consumed;
  }

  private parseHead(text: string): void {
    // Walked with indexOf over one string: no array of lines, no match objects (this runs per response).
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    if (!isStatusLine(text, eol)) throw new ResponseParseError(`the upstream's status line is not HTTP/1.x: ${JSON.stringify(text.slice(0, Math.min(eol, 64)))}`);
    const http10 = text.charCodeAt(7) === 48;
    const status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    let coded = false;
    let close = http10;
    let hintMs = 0;
    for (let at = eol + 2; at < text.length; at = eol + 2) {
      eol = text.indexOf('\r\n', at);
      if (eol < 0) eol = text.length;
      const first = text.charCodeAt(at);
      if (first === 32 || first === 9) {
        // obs-fold: a user agent replaces it with a space (RFC 9112 §5.2).
        if (headers.length === 0) throw new ResponseParseError('the upstream sent a folded line before any header field');
        headers[headers.length - 1] += ' ' + text.slice(at, eol).trim();
        continue;
      }
      const colon = text.indexOf(':', at);
      const name = colon > at && colon < eol ? text.slice(at, colon) : '';
      if (!TOKEN.test(name)) throw new ResponseParseError(`the upstream sent a malformed header line: ${JSON.stringify(text.slice(at, Math.min(eol, at + 64)))}`);
      const value = text.slice(colon + 1, eol).trim();
      headers.push(name, value);
      switch (name.length) {
        case 14:
          if (name.toLowerCase() !== 'content-length') break;
          length = contentLength(value, length);
          break;
        case 17:
          if (name.toLowerCase() !== 'transfer-encoding') break;
          coded = true;
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          break;
        case 10: {
          // "connection" and "keep-alive" are both 10 characters.
          const lower = name.toLowerCase();
          if (lower === 'connection') {
            if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
            else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(value)) close = false;
          } else if (lower === 'keep-alive') {
            const t = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value);
            if (t) hintMs = Number(t[1]) * 1000;
          }
          break;
        }
      }
    }
    if (status < 200) {
      if (status === 101) throw new ResponseParseError('the upstream switched protocols, which the gateway does not proxy');
      return; // interim (100 Continue, 103 Early Hints): the final response follows
    }
    this.keepAlive = !close;
    this.gotHead = true;
    this.sink!.onHead({ status, headers, keepAlive: !close, keepAliveHintMs: hintMs });
    if (this.noBody || status === 204 || status === 304) return this.end();
    if (coded) {
      // Transfer-Encoding overrides Content-Length; sent together they leave the connection unusable (RFC 9112 §6.3).
      if (length >= 0) this.keepAlive = false;
      if (chunked) {
        this.state = State.ChunkSize;
      } else {
        this.keepAlive = false;
        this.state = State.UntilClose;
      }
      return;
    }
    if (length === 0) return this.end();
    if (length > 0) {
      this.remaining = length;
      this.state = State.Length;
      return;
    }
    this.keepAlive = false;
    this.state = State.UntilClose;
  }

  /** `size[;ext]\r\n` */
  private chunkSize(data: Buffer, at: number): number {
    const line = this.line(data, at);
    if (line === null) return data.length;
    const semi = line.text.indexOf(';');
    const hex = (semi < 0 ? line.text : line.text.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseParseError(`the upstream sent an invalid chunk size: ${JSON.stringify(line.text.slice(0, 32))}`);
    const size = parseInt(hex, 16);
    if (size === 0) this.state = State.Trailers;
    else {
      this.remaining = size;
      this.state = State.ChunkData;
    }
    return line.next;
  }

  private chunkDataEnd(data: Buffer, at: number): number {
    const line = this.line(data, at);
    if (line === null) return data.length;
    if (line.text !== '') throw new ResponseParseError('the upstream sent a chunk longer than its size');
    this.state = State.ChunkSize;
    return line.next;
  }

  /** Trailer fields are read and dropped; an empty line ends the message. */
  private trailers(data: Buffer, at: number): number {
    const line = this.line(data, at);
    if (line === null) return data.length;
    if (line.text === '') this.end();
    return line.next;
  }

  /** One CRLF-terminated line starting at `at` (with what was kept from before), or null when it is not complete yet. */
  private line(data: Buffer, at: number): { text: string; next: number } | null {
    if (this.pending === null && at + 1 < data.length && data.readUInt16LE(at) === CRLF) return { text: '', next: at + 2 };
    const buf = this.take(data, at);
    const end = buf.indexOf('\r\n', 0, 'latin1');
    if (end < 0) {
      if (buf.length > MAX_CHUNK_LINE) throw new ResponseParseError('the upstream sent a chunk-size or trailer line that is too long');
      this.pending = Buffer.from(buf);
      return null;
    }
    const used = end + 2 - (this.pending?.length ?? 0);
    this.pending = null;
    return { text: buf.toString('latin1', 0, end), next: at + used };
  }

  private end(): void {
    this.state = State.Done;
    this.sink!.onEnd();
  }
}
