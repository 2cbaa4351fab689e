// The model server: one ONNX model per process behind node:http, speaking
// KServe V1 and V2 (Open Inference Protocol) with KServe's error bodies.
// It listens before the model is loaded so probes see 503 while loading.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSwitchyardError, syError } from '../../core/errors.ts';
import { readBody } from '../../core/http-body.ts';
import { createAccessLog, type AccessLog, type LogSink } from './access-log.ts';
import type { BatchingOptions } from './batcher.ts';
import { loadModel } from './model.ts';
import { predictV1 } from './protocol-v1.ts';
import { inferV2, modelMetadataV2 } from './protocol-v2.ts';
import { ServedModel } from './served.ts';

export interface ModelServerOptions {
  modelDir: string;
  name: string;
  port: number;
  host?: string;
  /** V1 predictions come from this output instead of the model's first. */
  outputName?: string;
  batching?: BatchingOptions | false;
  /** Receives each access-log line; default: stdout. */
  log?: LogSink;
  /** Reported as the model version in V2 metadata and responses. */
  version?: string;
  maxBodyBytes?: number;
}

export interface ModelServer {
  port: number;
  /** Settles when the model has loaded (or failed to: the server keeps answering 503). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * On by default: coalescing concurrent one-row requests into one session.run
 * took the iris model from ~0.33x to ~0.9x of a constant-JSON server
 * (docs/benchmarks.md). A 0 ms delay only waits for the current event-loop turn.
 */
export const DEFAULT_BATCHING: BatchingOptions = { maxBatchSize: 32, maxDelayMs: 0 };
const SERVER_METADATA = JSON.stringify({ name: 'switchyard-onnx', version: '0.1.0', extensions: [] });
const NOT_FOUND = '{"detail":"Not Found"}';
const METHOD_NOT_ALLOWED = '{"detail":"Method Not Allowed"}';
const TOP_LEVEL = new Set(['/', '/v1/models', '/v2', '/v2/health/live', '/v2/health/ready']);

type Answer = [status: number, body: string];
type PostHandler = (body: unknown, requestId: string) => Promise<string>;

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'x-request-id', requestId]);
  res.end(body);
}

function errorAnswer(err: unknown): Answer {
  if (isSwitchyardError(err)) return [err.status, JSON.stringify({ error: err.message })];
  return [500, JSON.stringify({ error: err instanceof Error ? err.message : String(err) })];
}

function decodeName(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const served = new ServedModel(opts.name, opts.version ?? '1', opts.batching ?? DEFAULT_BATCHING, opts.outputName);
  const log: AccessLog = createAccessLog(opts.log);
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;

  const checkVersion = (name: string, version: string | undefined): void => {
    served.checkName(name);
    if (version !== undefined && version !== served.version) {
      throw syError('SY_ERR_MODEL_NOT_FOUND', `Model with name ${name} version ${version} does not exist.`);
    }
  };

  /** GET routes answer at once; POST routes return the handler that takes the parsed body. */
  const route = (method: string, path: string): Answer | PostHandler => {
    if (path.startsWith('/v1/models/')) {
      const rest = path.slice(11);
      if (rest.endsWith(':predict')) {
        if (method !== 'POST') return [405, METHOD_NOT_ALLOWED];
        const name = decodeName(rest.slice(0, -8));
        served.readyModel(name);
        return (body) => predictV1(served, name, body);
      }
      if (rest.includes('/') || rest.includes(':')) return [404, NOT_FOUND];
      if (method !== 'GET') return [405, METHOD_NOT_ALLOWED];
      const name = decodeName(rest);
      served.readyModel(name);
      return [200, JSON.stringify({ name, ready: true })];
    }
    if (path.startsWith('/v2/models/')) {
      const parts = path.slice(11).split('/');
      const name = decodeName(parts[0]!);
      let version: string | undefined;
      let verb = parts[1];
      if (verb === 'versions' && parts.length >= 3) {
        version = decodeName(parts[2]!);
        verb = parts[3];
        if (parts.length > 4) return [404, NOT_FOUND];
      } else if (parts.length > 2) return [404, NOT_FOUND];
      if (verb === 'infer') {
        if (method !== 'POST') return [405, METHOD_NOT_ALLOWED];
        checkVersion(name, version);
        served.readyModel(name);
        return (body, requestId) => inferV2(served, name, body, requestId);
      }
      if (method !== 'GET') return [405, METHOD_NOT_ALLOWED];
      if (verb === 'ready') {
        checkVersion(name, version);
        served.readyModel(name);
        return [200, JSON.stringify({ name, ready: true })];
      }
      if (verb !== undefined && verb !== '') return [404, NOT_FOUND];
      checkVersion(name, version);
      return [200, JSON.stringify(modelMetadataV2(served, name))];
    }
    if (method !== 'GET') return TOP_LEVEL.has(path) ? [405, METHOD_NOT_ALLOWED] : [404, NOT_FOUND];
    switch (path) {
      case '/': return [200, '{"status":"alive"}'];
      case '/v1/models': return [200, JSON.stringify({ models: [served.name] })];
      case '/v2': return [200, SERVER_METADATA];
      case '/v2/health/live': return [200, '{"live":true}'];
      case '/v2/health/ready':
        if (served.state.phase !== 'ready') throw syError('SY_ERR_MODEL_NOT_READY', 'Server is not ready.');
        return [200, '{"ready":true}'];
      default: return [404, NOT_FOUND];
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header !== '' ? header : randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const finish = ([status, body]: Answer): void => {
      send(res, status, body, requestId);
      // Successful readiness/liveness probes (kubelet's User-Agent) would drown the log twice a second.
      const probe = status === 200 && req.headers['user-agent']?.startsWith('kube-probe/') === true;
      if (!probe) log.request(requestId, method, path, status, performance.now() - start);
    };

    let target: Answer | PostHandler;
    try {
      target = route(method, path);
    } catch (err) {
      target = errorAnswer(err);
    }
    if (typeof target !== 'function') {
      req.resume();
      finish(target);
      return;
    }
    const handler = target;
    readBody(req, maxBody).then(
      (buf) => {
        let body: unknown;
        try {
          body = JSON.parse(buf.toString('utf8'));
        } catch (err) {
          return finish(errorAnswer(syError('SY_ERR_MALFORMED_BODY', `Unrecognized request format: ${(err as Error).message}`)));
        }
        handler(body, requestId).then((text) => finish([200, text]), (err: unknown) => finish(errorAnswer(err)));
      },
      (err: unknown) => {
        // The rest of an oversized body is left unread: the connection cannot carry another request.
        res.shouldKeepAlive = false;
        finish(errorAnswer(err));
      },
    );
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const ready = loadModel(opts.modelDir).then(
    (model) => {
      try {
        served.setReady(model);
      } catch (err) {
        void model.close();
        throw err;
      }
    },
  ).catch((err: unknown) => {
    served.setFailed(err instanceof Error ? err.message : String(err));
    throw err;
  });
  // The caller may never await `ready`; the failure is visible as 503 and through `ready`.
  ready.catch(() => {});

  return {
    port: (server.address() as AddressInfo).port,
    ready,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      log.flush();
      if (served.state.phase === 'ready') await served.state.model.close();
    },
  };
}
