// Decoding API request bodies by Content-Type (read by src/core/http-body.ts).
import type { IncomingMessage } from 'node:http';
import { syError } from '../../core/errors.ts';
import { parseJson, parseYaml } from '../../core/parse.ts';
import { decodeKubeProtobuf } from './kubeproto.ts';

export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024; // kube-apiserver's own limit for a request body

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
