// Bounded copies of bodies for the few requests that need them (sampled for
// output telemetry, mirrored, retried): the request read into one Buffer, the
// response copied as it streams past. Everything else stays zero-copy.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

/** Reads a request body into one Buffer (see bufferBody). A class: closures would each get a `name` defined under tsx, per request. */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onData = this.data.bind(this);
  private readonly onEnd = this.end.bind(this);
  private readonly onError = this.error.bind(this);
  private readonly onClose = this.close.bind(this);

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly resolve: (b: Buffer | Readable) => void,
    private readonly reject: (e: Error) => void,
  ) {
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('error', this.onError);
    req.on('close', this.onClose);
  }

  private cleanup(): void {
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onClose);
  }

  private data(c: Buffer): void {
    this.size += c.length;
    this.chunks.push(c);
    if (this.size <= this.limit) return;
    this.cleanup();
    this.req.pause();
    const rest = new PassThrough();
    for (const ch of this.chunks) rest.write(ch);
    this.req.pipe(rest);
    this.resolve(rest);
  }

  private end(): void {
    this.cleanup();
    const c = this.chunks;
    this.resolve(c.length === 1 ? c[0]! : Buffer.concat(c, this.size));
  }

  private error(e: Error): void {
    this.cleanup();
    this.reject(e);
  }

  private close(): void {
    if (!this.req.complete) this.error(new Error('the client closed the request'));
  }
}

/** Reads the body into one Buffer up to `limit`; beyond it, a stream of what was read and the rest. */
export function bufferBody(req: IncomingMessage, limit: number): Promise<Buffer | Readable> {
  return new Promise((resolve, reject) => void new BodyReader(req, limit, resolve, reject));
}

/**
 * Copies what `src` emits, up to `cap` bytes, beside whatever else reads it
 * (attach before piping). Over the cap the copy is abandoned: `take()` is then
 * undefined, as it is when the stream did not end.
 */
export class BodyCopy {
  private chunks: Buffer[] | null = [];
  private size = 0;
  private ended = false;

  constructor(src: Readable, private readonly cap: number) {
    src.on('data', (c: Buffer) => {
      if (this.chunks === null) return;
      this.size += c.length;
      if (this.size > this.cap) this.chunks = null;
      else this.chunks.push(c);
    });
    src.once('end', () => (this.ended = true));
  }

  take(): Buffer | undefined {
    if (this.chunks === null || !this.ended) return undefined;
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}
