// Runs an InferenceGraph the way KServe's router (cmd/router) does:
//  Sequence  steps in order; a step gets the original request unless it says
//            `data: $response` (then the previous step's response). A Hard step
//            that answers non-2xx ends the graph with its answer; a Soft one
//            does not. A step `condition` is tested on the previous response:
//            no match ends the sequence with that response.
//  Splitter  one step, picked by weight.
//  Switch    the first step whose condition matches the request; none → 404.
//  Ensemble  every step in parallel on the request; `{key: response}` where
//            key is the step name (else its index). A Hard step that fails
//            decides the answer; a Soft one's error body sits under its key.
// A step that cannot be called at all (connection refused, not JSON where JSON
// is needed) fails the graph with 500 and KServe's {error, cause} body.
import type { CompiledGraph, GraphNode, GraphStep, StepTarget } from './compile.ts';

export interface StepResult {
  status: number;
  body: Buffer;
  contentType?: string;
}

/** Calls a service or URL step; rejects only when no HTTP answer was obtained. */
export type CallStep = (target: Exclude<StepTarget, { kind: 'node' }>, body: Buffer, signal: AbortSignal | undefined) => Promise<StepResult>;

export interface GraphContext {
  call: CallStep;
  rng: () => number;
  signal?: AbortSignal;
}

export class GraphFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Guards graphs stored before admission checked for cycles. */
const MAX_DEPTH = 32;
const ok = (status: number): boolean => status >= 200 && status <= 299;

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

async function runStep(graph: CompiledGraph, step: GraphStep, input: Buffer, ctx: GraphContext, depth: number): Promise<StepResult> {
  if (step.target.kind === 'node') return runNode(graph, step.target.node, input, ctx, depth + 1);
  try {
    return await ctx.call(step.target, input, ctx.signal);
  } catch (err) {
    if (err instanceof GraphFailure) throw err;
    const where = step.target.kind === 'service' ? `InferenceService ${step.target.name}` : step.target.url;
    throw new GraphFailure(ctx.signal?.aborted ? 504 : 500, `calling ${where} failed: ${(err as Error).message}`);
  }
}

/** KServe picks a point in [0, 100) and walks the cumulative weights. */
export function pickByWeight(steps: GraphStep[], rng: () => number): GraphStep {
  const point = rng() * 100;
  let end = 0;
  for (const s of steps) {
    end += s.weight;
    if (point < end) return s;
  }
  return steps[steps.length - 1]!;
}

async function sequence(graph: CompiledGraph, node: GraphNode, input: Buffer, ctx: GraphContext, depth: number): Promise<StepResult> {
  let last: StepResult | undefined;
  for (const [i, step] of node.steps.entries()) {
    const request = step.data === '$response' && i > 0 && last ? last.body : input;
    if (step.condition) {
      const prev = last ? parseJson(last.body) : { ok: false as const };
      if (!prev.ok) throw new GraphFailure(500, 'invalid response');
      // As KServe's router: an unmet condition ends the sequence with what we have.
      if (!step.condition(prev.value)) return { ...last!, status: 200 };
    }
    last = await runStep(graph, step, request, ctx, depth);
    if (step.hard && !ok(last.status)) return last;
  }
  return last!;
}

async function ensemble(graph: CompiledGraph, node: GraphNode, input: Buffer, ctx: GraphContext, depth: number): Promise<StepResult> {
  const results = await Promise.all(node.steps.map((s) => runStep(graph, s, input, ctx, depth)));
  const merged: Record<string, unknown> = {};
  for (const [i, step] of node.steps.entries()) {
    const r = results[i]!;
    if (step.hard && !ok(r.status)) return r;
    const parsed = parseJson(r.body);
    if (!parsed.ok) throw new GraphFailure(500, `step ${step.key} did not answer JSON (status ${r.status})`);
    merged[step.key] = parsed.value;
  }
  return { status: 200, body: Buffer.from(JSON.stringify(merged)), contentType: 'application/json' };
}

export async function runNode(graph: CompiledGraph, nodeName: string, input: Buffer, ctx: GraphContext, depth = 0): Promise<StepResult> {
  const node = graph.nodes.get(nodeName);
  if (!node) throw new GraphFailure(500, `node ${nodeName} does not exist in InferenceGraph ${graph.name}`);
  if (depth > MAX_DEPTH) throw new GraphFailure(500, `node ${nodeName} nests deeper than ${MAX_DEPTH}: the graph has a cycle`);
  switch (node.routerType) {
    case 'Sequence':
      return sequence(graph, node, input, ctx, depth);
    case 'Ensemble':
      return ensemble(graph, node, input, ctx, depth);
    case 'Splitter':
      return runStep(graph, pickByWeight(node.steps, ctx.rng), input, ctx, depth);
    case 'Switch': {
      const body = parseJson(input);
      const step = body.ok ? node.steps.find((s) => s.condition?.(body.value)) : undefined;
      if (!step) throw new GraphFailure(404, 'None of the routes matched with the switch condition');
      return runStep(graph, step, input, ctx, depth);
    }
  }
}

/** KServe's router error body. */
export function graphErrorBody(cause: string): Buffer {
  return Buffer.from(JSON.stringify({ error: 'Failed to process request', cause }));
}

/** Runs the root node; failures become KServe's {error, cause} answer with their status. */
export async function runGraph(graph: CompiledGraph, input: Buffer, ctx: GraphContext): Promise<StepResult> {
  try {
    const r = await runNode(graph, 'root', input, ctx);
    return r.contentType || !parseJson(r.body).ok ? r : { ...r, contentType: 'application/json' };
  } catch (err) {
    const status = err instanceof GraphFailure ? err.status : 500;
    return { status, body: graphErrorBody((err as Error).message), contentType: 'application/json' };
  }
}
