// Bounded copies of bodies for the few requests that need them (sampled for
// output telemetry, mirrored, retried): the request read into one Buffer, the
// response copied as it streams past. Everything else stays zero-copy.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

/** Reads the body into one Buffer up to `limit`; beyond it, a stream of what was read and the rest. */
export function bufferBody(req: IncomingMessage, limit: number): Promise<Buffer | Readable> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      chunks.push(c);
      if (size <= limit) return;
      cleanup();
      req.pause();
      const rest = new PassThrough();
      for (const ch of chunks) rest.write(ch);
      req.pipe(rest);
      resolve(rest);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => {
      if (!req.complete) onError(new Error('the client closed the request'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
