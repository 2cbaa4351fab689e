// HTTP glue for InferenceGraph requests: read the body (the router needs it
// whole: $request is replayed to several steps), run the graph, answer with
// the final step's status and body, as KServe's router does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledGraph } from './compile.ts';
import { graphErrorBody, runGraph, type CallStep } from './execute.ts';

/** Larger bodies are refused: the router holds the request and every step's answer in memory. */
export const MAX_GRAPH_BODY = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_GRAPH_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error(`request body exceeds ${limit} bytes`), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function serveGraph(
  req: IncomingMessage,
  res: ServerResponse,
  graph: CompiledGraph,
  requestId: string,
  deps: { call: CallStep; rng: () => number },
): Promise<void> {
  let status = 500;
  let body: Buffer;
  let contentType: string | undefined = 'application/json';
  try {
    const input = await readBody(req);
    const signal = graph.timeoutMs === undefined ? undefined : AbortSignal.timeout(graph.timeoutMs);
    const out = await runGraph(graph, input, { call: deps.call, rng: deps.rng, ...(signal ? { signal } : {}) });
    ({ status, body, contentType } = out);
  } catch (err) {
    status = (err as { status?: number }).status ?? 500;
    body = graphErrorBody((err as Error).message);
  }
  const headers: Record<string, string | number> = { 'content-length': body.length, 'x-request-id': requestId, 'x-switchyard-graph': graph.name };
  if (contentType) headers['content-type'] = contentType;
  res.writeHead(status, headers);
  res.end(body);
}
