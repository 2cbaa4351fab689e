// An InferenceGraph compiled for the gateway: nodes by name, steps with their
// target resolved (an InferenceService's predict path, a URL or a node) and
// Switch conditions parsed once. Compiled with the ingress table it rides on.
import { compileCondition, type Condition } from './condition.ts';

export type RouterType = 'Sequence' | 'Splitter' | 'Ensemble' | 'Switch';

export type StepTarget =
  | {
    kind: 'service';
    namespace: string;
    name: string;
    /** The service's ingress host (NAME.NAMESPACE.<domain>): routed like a client request. */
    host: string;
    /** KServe's predictor endpoint path for the service's protocol. */
    path: string;
  }
  | { kind: 'url'; url: string }
  | { kind: 'node'; node: string };

export interface GraphStep {
  /** Key of this step's output in an Ensemble (KServe: step name, else its index). */
  key: string;
  target: StepTarget;
  data: '$request' | '$response' | undefined;
  weight: number;
  condition: Condition | undefined;
  hard: boolean;
}

export interface GraphNode {
  routerType: RouterType;
  steps: GraphStep[];
}

export interface CompiledGraph {
  namespace: string;
  name: string;
  nodes: Map<string, GraphNode>;
  /** spec.timeout in ms: the whole graph's budget. */
  timeoutMs: number | undefined;
}

/** The fields of an InferenceGraph spec the gateway reads (already schema-validated). */
export interface GraphSpecInput {
  nodes: Record<string, { routerType: RouterType; steps: StepInput[] }>;
  timeout?: number;
}

export interface StepInput {
  name?: string;
  serviceName?: string;
  serviceUrl?: string;
  nodeName?: string;
  data?: '$request' | '$response';
  weight?: number;
  condition?: string;
  dependency?: 'Soft' | 'Hard';
}

/** KServe's GetPredictorEndpoint: V1 → :predict, V2 → /infer, on the service's own model name. */
export function predictPath(name: string, protocol: string | undefined): string {
  const n = encodeURIComponent(name);
  return protocol === 'v2' ? `/v2/models/${n}/infer` : `/v1/models/${n}:predict`;
}

export interface CompileContext {
  domain: string;
  /** protocolVersion of an InferenceService's predictor (v1 when unknown). */
  protocolOf?: (namespace: string, name: string) => string | undefined;
}

function targetOf(s: StepInput, namespace: string, cc: CompileContext): StepTarget {
  if (s.nodeName !== undefined) return { kind: 'node', node: s.nodeName };
  if (s.serviceName !== undefined) {
    const name = s.serviceName;
    return { kind: 'service', namespace, name, host: `${name}.${namespace}.${cc.domain}`, path: predictPath(name, cc.protocolOf?.(namespace, name)) };
  }
  return { kind: 'url', url: s.serviceUrl ?? '' };
}

/** Throws when a condition is outside the supported GJSON subset (admission reports it first). */
export function compileGraph(
  namespace: string,
  name: string,
  spec: GraphSpecInput,
  cc: CompileContext,
): CompiledGraph {
  const nodes = new Map<string, GraphNode>();
  for (const [nodeName, n] of Object.entries(spec.nodes)) {
    nodes.set(nodeName, {
      routerType: n.routerType,
      steps: n.steps.map((s, i) => ({
        key: s.name ?? String(i),
        target: targetOf(s, namespace, cc),
        data: s.data,
        weight: s.weight ?? 0,
        condition: s.condition === undefined || s.condition === '' ? undefined : compileCondition(s.condition),
        hard: s.dependency === 'Hard',
      })),
    });
  }
  return { namespace, name, nodes, timeoutMs: spec.timeout === undefined ? undefined : spec.timeout * 1000 };
}
