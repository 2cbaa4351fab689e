// The resolver: which route a request takes, from the current snapshot. An
// InferenceGraph host runs the graph router; when any VirtualService exists,
// its first matching route wins (a claimed host with no matching route is a
// 404, as Envoy answers); otherwise the InferenceService ingress. Pure: the
// stages that serve each kind of route do the I/O.
import type { IncomingMessage } from 'node:http';
import { requestKeyReader } from './cohorts.ts';
import { errorFormat, type ErrorFormat } from './error-reply.ts';
import type { CompiledGraph } from './graph/compile.ts';
import { routeIngress, type IngressRoute } from './ingress.ts';
import type { GatewaySnapshot } from './pipeline.ts';
import type { CompiledMatch, RequestView } from './routing/types.ts';
import { matchVirtualService, requestView } from './vs-route.ts';

export type Resolved =
  | { kind: 'graph'; graph: CompiledGraph }
  | { kind: 'virtualService'; match: CompiledMatch; view: RequestView }
  | { kind: 'ingress'; route: IngressRoute }
  | { kind: 'error'; format: ErrorFormat; status: number; message: string };

export const hostOf = (header: string | undefined): string => (header ?? '').replace(/:\d+$/, '').toLowerCase();

export function resolveRoute(table: GatewaySnapshot, req: IncomingMessage, rng: () => number): Resolved {
  // One map lookup, and only when graphs exist: plain service requests pay nothing more.
  const graph = table.graphs?.size ? table.graphs.get(hostOf(req.headers.host)) : undefined;
  if (graph) return { kind: 'graph', graph };
  const url = req.url ?? '/';
  if (table.vs !== undefined) {
    const view = requestView(req);
    const match = matchVirtualService(table.vs, view);
    if (match) return { kind: 'virtualService', match, view };
    if (match === null) {
      return { kind: 'error', format: errorFormat('virtualService', view.path), status: 404, message: `no route of the VirtualServices for host "${hostOf(req.headers.host)}" matches ${req.method} ${view.path}` };
    }
  }
  // Only tables with a plan's cohorts pay for a key reader (exclusions, sticky units, strata).
  const result = routeIngress(table, req.headers.host, url, rng, table.hasCohorts ? requestKeyReader(req.headers, url) : undefined);
  if (result.kind === 'route') return { kind: 'ingress', route: result.route };
  if (result.kind === 'notFound') return { kind: 'error', format: errorFormat('ingress', url), status: 404, message: result.message };
  return { kind: 'error', format: errorFormat('ingress', url), status: 503, message: `InferenceService ${result.service.namespace}/${result.service.name} has no ready revision to route to` };
}
