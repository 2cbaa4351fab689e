// Reading request bodies with a size limit and decoding them by Content-Type.
import type { IncomingMessage } from 'node:http';
import { syError } from '../../core/errors.ts';
import { parseJson, parseYaml } from '../../core/parse.ts';
import { decodeKubeProtobuf } from './kubeproto.ts';

export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024; // kube-apiserver's own limit for a request body

export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw syError('SY_ERR_BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw syError('SY_ERR_BODY_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
