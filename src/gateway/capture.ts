// Bounded copies of bodies for the few requests that need them (sampled for
// output telemetry, mirrored, retried, logged): the request read into one
// Buffer, or copied as it streams past. Everything else stays zero-copy.
import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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
 * A streamed body passed through with a copy of it, up to `cap` bytes (over it
 * the copy is abandoned): `onEnd` receives the copy once the body has ended.
 * For bodies too large to buffer that a payload logger still records.
 */
export function tapStream(src: Readable, cap: number, onEnd: (copy: Buffer | undefined) => void): Readable {
  const chunks: Buffer[] = [];
  let size = 0;
  const through = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= cap) chunks.push(chunk);
      done(null, chunk);
    },
  });
  through.once('end', () => onEnd(size <= cap ? Buffer.concat(chunks) : undefined));
  pipeline(src, through).catch(() => undefined);
  return through;
}
