// Reading request bodies with a size limit and decoding them by Content-Type.
import type { IncomingMessage } from 'node:http';
import { syError } from '../../core/errors.ts';
import { parseJson, parseYaml } from '../../core/parse.ts';
import { decodeKubeProtobuf } from './kubeproto.ts';

export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024; // kube-apiserver's own limit for a request body

/**
 * Reads the body up to `limit` bytes. Over it the request is left paused, unread, and
 * SY_ERR_BODY_TOO_LARGE is thrown: its answer closes the connection (src/server/http/respond.ts).
 * A body declared over the limit never gets here (src/core/http-limits.ts refuses it unread).
 */
export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
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

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/** Decodes JSON or YAML bodies; PATCH media types are JSON underneath. */
export function decodeBody(buf: Buffer, type: string): unknown {
  if (type === 'application/vnd.kubernetes.protobuf') return decodeKubeProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw syError('SY_ERR_MALFORMED_BODY', 'request body is empty');
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(text);
  if (type === 'application/json' || type.endsWith('+json') || type === 'text/plain' || type === '*/*') return parseJson(text);
  throw syError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `unsupported content type "${type}"; send application/json or application/yaml`);
}
