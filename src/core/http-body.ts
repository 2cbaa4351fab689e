// Reading a whole request body with a size limit: the one reader for the
// listeners that need the body at once (API server, model server, payload-logger
// sink; the graph router still has its own). A body declared over the limit never gets here
// (src/core/http-limits.ts refuses it unread); one that grows past it while
// chunked is left paused, unread, and SY_ERR_BODY_TOO_LARGE (413) is thrown:
// its answer closes the connection.
import type { IncomingMessage } from 'node:http';
import { syError } from './errors.ts';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      req.pause();
      reject(syError('SY_ERR_BODY_TOO_LARGE', `the request body exceeds the limit of ${limit} bytes`));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
