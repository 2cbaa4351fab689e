// Streams an upstream body into the client response. stream.pipeline would
// do, but it creates (and aborts) an AbortController per call, and building
// the abort's DOMException was a tenth of the gateway's CPU under load.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** Resolves when the response is finished; rejects (and destroys the source) if either side fails first. */
export function streamTo(src: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      src.destroy();
      reject(err);
    };
    src.once('error', fail);
    res.once('error', fail);
    res.once('close', () => {
      if (!res.writableFinished) fail(new Error('the client closed the connection'));
    });
    res.once('finish', resolve);
    src.pipe(res);
  });
}
