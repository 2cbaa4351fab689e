// Feeds the gateway: the ingress table compiled from InferenceService
// status (traffic split per revision), and the ready replica addresses of
// each revision from the supervisor. The table is swapped in one assignment.
// InferenceGraphs compile into the same snapshot (served at GRAPH.NS.<domain>),
// and their status (url, Ready) is written here: the graph has no pods of its
// own, so it is ready when every InferenceService it names is.
// VirtualServices, ServiceEntries and DestinationRules compile (with the
// InferenceServices they name) into the routing table the same snapshot carries.
import { ALLOCATION_ANNOTATION, DEFAULT_DEPLOYMENT_MODE, DEPLOYMENT_MODE_ANNOTATION, SHADOW_ANNOTATION, parseAllocationVersion, parseDeploymentMode, parseShadowPercent } from '../../api/kinds/inferenceservice.ts';
import { TERMINAL_PLAN_PHASES } from '../../api/kinds/trafficplan.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { compileGraph, type CompiledGraph, type GraphSpecInput } from '../../gateway/graph/compile.ts';
import { compileIngress, type IngressService, type IngressTable, type TrafficTarget } from '../../gateway/ingress.ts';
import { compileCohorts, type CohortSpec, type ServiceCohorts } from '../../gateway/cohorts.ts';
import { EndpointRegistry } from '../../gateway/endpoints.ts';
import { compileRoutingTable, type VirtualServiceInput } from '../../gateway/routing/compile.ts';
import type { DestinationRuleInput, ServiceEntryInput } from '../../gateway/routing/destinations.ts';
import type { InferenceServiceInfo, RoutingProblem } from '../../gateway/routing/types.ts';
import type { GatewaySnapshot } from '../../gateway/server.ts';
import { vsLookup } from '../../gateway/vs-route.ts';
import type { LoggerMode } from '../../gateway/payload-logger.ts';
import type { Supervisor } from '../../runtime/supervisor/index.ts';
import type { KubeObject, Store } from '../../store/types.ts';

const ISVCS = { group: 'serving.kserve.io', resource: 'inferenceservices' };
const GRAPHS = { group: 'serving.kserve.io', resource: 'inferencegraphs' };
const VIRTUAL_SERVICES = { group: 'networking.istio.io', resource: 'virtualservices' };
const SERVICE_ENTRIES = { group: 'networking.istio.io', resource: 'serviceentries' };
const DESTINATION_RULES = { group: 'networking.istio.io', resource: 'destinationrules' };
const ACTOR = { name: 'controller:inferencegraph' };
const DEFAULT_ACTIVATOR_TIMEOUT_MS = 60_000;

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

/** The gateway's view of one InferenceService, from its spec and status. */
export function ingressServiceOf(isvc: KubeObject): IngressService {
  const predictor = rec(rec(isvc.spec).predictor);
  const components = rec(rec(isvc.status).components);
  const trafficOf = (c: string) => (rec(components[c]).traffic ?? []) as TrafficTarget[];
  const traffic = trafficOf('predictor');
  const spec = rec(isvc.spec);
  const knative = (parseDeploymentMode(isvc.metadata.annotations?.[DEPLOYMENT_MODE_ANNOTATION]) ?? DEFAULT_DEPLOYMENT_MODE) === 'Knative';
  const timeout = typeof predictor.timeout === 'number' ? predictor.timeout * 1000 : DEFAULT_ACTIVATOR_TIMEOUT_MS;
  const logger = rec(predictor.logger);
  const digests = digestsOf(components);
  const shadow = shadowOf(isvc, rec(components.predictor));
  const allocation = parseAllocationVersion(isvc.metadata.annotations?.[ALLOCATION_ANNOTATION]);
  return {
    namespace: isvc.metadata.namespace ?? 'default',
    name: isvc.metadata.name,
    traffic,
    scaleFromZero: knative && predictor.minReplicas === 0,
    activatorTimeoutMs: timeout,
    ...(typeof predictor.timeout === 'number' ? { requestTimeoutMs: predictor.timeout * 1000 } : {}),
    ...(typeof logger.url === 'string' && logger.url !== '' ? { logger: { mode: (logger.mode ?? 'all') as LoggerMode, url: logger.url } } : {}),
    ...(spec.transformer ? { transformer: trafficOf('transformer') } : {}),
    ...(spec.explainer ? { explainer: trafficOf('explainer') } : {}),
    ...(digests ? { digests } : {}),
    ...(shadow ? { shadow } : {}),
    ...(allocation !== undefined ? { allocation } : {}),
  };
}

/**
 * The shadow annotation's copy target: the latest created revision once it has been ready (as
 * KServe moves traffic only to a ready revision), unless it already answers all traffic. A
 * candidate that was ready and then lost its replicas stays the target: its copies fail, visibly.
 */
function shadowOf(isvc: KubeObject, predictor: Obj): IngressService['shadow'] {
  const percent = parseShadowPercent(isvc.metadata.annotations?.[SHADOW_ANNOTATION]);
  const revision = predictor.latestCreatedRevision;
  if (typeof percent !== 'number' || typeof revision !== 'string' || revision === '' || revision === predictor.latestRolledoutRevision) return undefined;
  if (predictor.latestReadyRevision !== revision) return undefined;
  return { revision, percent };
}

/** Artifact digests the reconciler recorded per revision (status.components.*.revisions.*.digest). */
function digestsOf(components: Obj): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const c of Object.values(components)) {
    for (const [revision, r] of Object.entries(rec(rec(c).revisions))) {
      const digest = rec(r).digest;
      if (typeof digest === 'string' && digest !== '') (out ??= {})[revision] = digest;
    }
  }
  return out;
}

/**
 * The protocol the predictor speaks: its serving revision's (the runtime may have chosen it, as
 * MLServer's v2), else the spec's (model: or a framework shorthand); v1 when unset.
 */
function protocolOf(isvc: KubeObject | undefined): string | undefined {
  const status = rec(rec(rec(isvc?.status).components).predictor);
  const serving = status.latestReadyRevision ?? status.latestCreatedRevision;
  const running = typeof serving === 'string' ? rec(rec(rec(rec(status.revisions)[serving]).template)).protocolVersion : undefined;
  if (typeof running === 'string') return running;
  const predictor = rec(rec(isvc?.spec).predictor);
  for (const v of Object.values(predictor)) {
    const p = rec(v).protocolVersion;
    if (typeof p === 'string') return p;
  }
  return undefined;
}

/** What the routing compiler needs of an InferenceService: its live predictor revisions and their labels. */
export function routingServiceOf(isvc: KubeObject): InferenceServiceInfo {
  const predictor = rec(rec(rec(isvc.status).components).predictor);
  const names = new Set<string>();
  for (const t of (predictor.traffic ?? []) as TrafficTarget[]) names.add(t.revisionName);
  for (const k of ['latestCreatedRevision', 'latestReadyRevision']) if (typeof predictor[k] === 'string') names.add(predictor[k] as string);
  const labels = { ...(isvc.metadata.labels ?? {}) };
  return { namespace: isvc.metadata.namespace ?? 'default', name: isvc.metadata.name, revisions: [...names].map((name) => ({ name, labels })) };
}

const isReady = (obj: KubeObject | undefined): boolean =>
  ((rec(obj?.status).conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');

interface GraphCompiled {
  graph: CompiledGraph | undefined;
  status: Obj;
}

/** Compiles one graph and works out its status; a graph that cannot compile is left out of the table. */
export function compileGraphObject(ig: KubeObject, isvcs: Map<string, KubeObject>, domain: string, now: Date): GraphCompiled {
  const ns = ig.metadata.namespace ?? 'default';
  const spec = rec(ig.spec) as unknown as GraphSpecInput;
  const names = new Set(Object.values(spec.nodes ?? {}).flatMap((n) => n.steps.flatMap((s) => (s.serviceName ? [s.serviceName] : []))));
  const missing = [...names].filter((n) => !isvcs.has(`${ns}/${n}`));
  const notReady = [...names].filter((n) => isvcs.has(`${ns}/${n}`) && !isReady(isvcs.get(`${ns}/${n}`)));
  let graph: CompiledGraph | undefined;
  let problem = '';
  try {
    graph = compileGraph(ns, ig.metadata.name, spec, { domain, protocolOf: (n, name) => protocolOf(isvcs.get(`${n}/${name}`)) });
  } catch (err) {
    problem = `the graph does not compile: ${(err as Error).message}`;
  }
  if (missing.length) problem = `InferenceService ${missing.join(', ')} not found in namespace ${ns}`;
  else if (!problem && notReady.length) problem = `InferenceService ${notReady.join(', ')} is not ready`;
  const old = ((rec(ig.status).conditions ?? []) as Obj[]).find((c) => c.type === 'Ready');
  const ready = problem === '' ? 'True' : 'False';
  const reason = problem === '' ? undefined : missing.length ? 'ServiceNotFound' : graph ? 'ServiceNotReady' : 'InvalidGraph';
  const condition: Obj = {
    type: 'Ready', status: ready,
    lastTransitionTime: old && old.status === ready && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(reason ? { reason, message: problem } : {}),
  };
  return {
    graph,
    status: { url: `http://${ig.metadata.name}.${ns}.${domain}`, conditions: [condition], observedGeneration: ig.metadata.generation },
  };
}

const TRAFFIC_PLANS = { group: 'switchyard.dev', resource: 'trafficplans' };

/** Cohort specs of running plans (with a bandit's cohort limits), by the InferenceService they target (NAMESPACE/NAME → [salt, spec]). */
function planCohortSpecs(plans: KubeObject[]): Map<string, [string, CohortSpec]> {
  const out = new Map<string, [string, CohortSpec]>();
  for (const p of plans) {
    const spec = p.spec as { target?: { inferenceService?: string }; cohorts?: CohortSpec; phases?: Array<{ bandit?: { cohortLimits?: CohortSpec['limits'] } }> } | undefined;
    const phase = (p.status as { phase?: string } | undefined)?.phase;
    const limits = spec?.phases?.find((ph) => ph.bandit?.cohortLimits)?.bandit?.cohortLimits;
    if (!spec?.target?.inferenceService || !(spec.cohorts || limits) || (phase && TERMINAL_PLAN_PHASES.has(phase))) continue;
    const ns = p.metadata.namespace ?? 'default';
    out.set(`${ns}/${spec.target.inferenceService}`, [`${ns}/${p.metadata.name}`, { ...spec.cohorts, ...(limits ? { limits } : {}) }]);
  }
  return out;
}

function planCohorts(plans: KubeObject[]): Map<string, ServiceCohorts> {
  return new Map([...planCohortSpecs(plans)].map(([k, [salt, spec]]) => [k, compileCohorts(salt, spec)]));
}

export class LocalIngress {
  readonly endpoints = new EndpointRegistry();
  private table: GatewaySnapshot;
  /** Problems of the last VirtualService compile (unknown hosts, refused regexes, ...). */
  problems: readonly RoutingProblem[] = [];
  private unwatchRouting: Array<() => void> = [];
  private version = 0;
  private unwatch: (() => void) | undefined;
  private unwatchGraphs: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private compiling: Promise<void> | undefined;
  private again = false;

  constructor(private readonly store: Store, private readonly supervisor: Supervisor, private readonly domain = 'example.com', private readonly now = () => new Date()) {
    this.table = compileIngress([], domain, 0);
  }

  readonly current = (): GatewaySnapshot => this.table;

  async start(): Promise<void> {
    this.unsubscribe = this.supervisor.onChange((n) => this.refreshEndpoints(n.key));
    this.unwatch = await this.store.watch(ISVCS, {}, () => this.recompile());
    this.unwatchGraphs = await this.store.watch(GRAPHS, {}, () => this.recompile());
    for (const kind of [VIRTUAL_SERVICES, SERVICE_ENTRIES, DESTINATION_RULES]) this.unwatchRouting.push(await this.store.watch(kind, {}, () => this.recompile()));
    // Plans write status every second; only a change of which cohorts apply needs a new table.
    let fingerprint = '';
    this.unwatchRouting.push(await this.store.watch(TRAFFIC_PLANS, {}, () => {
      void this.store.list(TRAFFIC_PLANS).then(({ items }) => {
        const next = JSON.stringify([...planCohortSpecs(items)]);
        if (next !== fingerprint) {
          fingerprint = next;
          void this.recompile();
        }
      });
    }));
    await this.recompile();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatchGraphs?.();
    for (const u of this.unwatchRouting) u();
    this.unwatchRouting = [];
    this.unsubscribe?.();
  }

  /** `key`: revisionKey(namespace, revision), as the gateway's routes carry it. */
  private refreshEndpoints(key: string): void {
    const origins = this.supervisor.endpoints(key).map((e) => `http://127.0.0.1:${e.port}`);
    this.endpoints.set(key, origins);
  }

  /** Coalesces bursts of status writes into one compile. */
  /** Resolves once the table reflects every change seen so far (a compile in progress has swapped in). */
  async settled(): Promise<void> {
    while (this.compiling) await this.compiling;
  }

  private recompile(): Promise<void> {
    if (this.compiling) {
      this.again = true;
      return this.compiling;
    }
    this.compiling = (async () => {
      do {
        this.again = false;
        const { items } = await this.store.list(ISVCS);
        const cohorts = planCohorts((await this.store.list(TRAFFIC_PLANS)).items);
        const services = items.map((i) => {
          const s = ingressServiceOf(i);
          const c = cohorts.get(`${s.namespace}/${s.name}`);
          return c ? { ...s, cohorts: c } : s;
        });
        const table = compileIngress(services, this.domain, ++this.version);
        const graphs = await this.compileGraphs(items);
        const withGraphs = graphs.size ? { ...table, graphs } : table;
        // Swap the InferenceService table at once (keeping the VirtualServices of the previous
        // snapshot, which resolve against whatever table is current), then again with them recompiled.
        this.table = this.table.vs ? { ...withGraphs, vs: this.table.vs } : withGraphs;
        const vs = await this.compileRouting(items, table.version);
        this.table = vs ? { ...withGraphs, vs } : withGraphs;
      } while (this.again);
    })().finally(() => {
      this.compiling = undefined;
      // A change that arrived after the loop's last check but before this point would otherwise be lost.
      if (this.again) void this.recompile();
    });
    return this.compiling;
  }

  /** The VirtualService table, or undefined when no VirtualService exists (the plain path stays one check). */
  private async compileRouting(isvcs: KubeObject[], version: number): Promise<GatewaySnapshot['vs']> {
    const virtualServices = (await this.store.list(VIRTUAL_SERVICES)).items as unknown as VirtualServiceInput[];
    if (virtualServices.length === 0) {
      this.problems = [];
      return undefined;
    }
    const routing = compileRoutingTable({
      virtualServices,
      serviceEntries: (await this.store.list(SERVICE_ENTRIES)).items as unknown as ServiceEntryInput[],
      destinationRules: (await this.store.list(DESTINATION_RULES)).items as unknown as DestinationRuleInput[],
      inferenceServices: isvcs.map(routingServiceOf),
      domain: this.domain,
      version,
    });
    this.problems = routing.problems;
    await this.writeRoutingStatus(virtualServices as unknown as KubeObject[], routing.problems);
    return vsLookup(routing);
  }

  /**
   * What compiling found goes where users look (`kubectl describe vs`): a Reconciled condition and,
   * as istioctl analyze reports them, one validation message per problem with its field.
   */
  private async writeRoutingStatus(virtualServices: KubeObject[], problems: readonly RoutingProblem[]): Promise<void> {
    for (const vs of virtualServices) {
      const ns = vs.metadata.namespace ?? 'default';
      const mine = problems.filter((p) => p.namespace === ns && p.name === vs.metadata.name);
      const previous = (vs.status as { conditions?: Array<{ status?: string; lastTransitionTime?: string }> } | undefined)?.conditions?.[0];
      const ok = mine.length === 0 ? 'True' : 'False';
      const status = {
        observedGeneration: vs.metadata.generation,
        conditions: [{
          type: 'Reconciled', status: ok, reason: ok === 'True' ? 'Compiled' : 'RoutingProblems',
          message: ok === 'True' ? 'all routes compiled into the gateway' : `${mine.length} problem(s); the affected routes answer 503 or are skipped`,
          lastTransitionTime: previous?.status === ok && previous.lastTransitionTime ? previous.lastTransitionTime : this.now().toISOString(),
        }],
        ...(mine.length > 0 ? { validationMessages: mine.map((p) => ({ level: 'ERROR', type: { name: 'RoutingProblem' }, field: p.field, message: p.message })) } : {}),
      };
      if (canonicalJson(status) === canonicalJson(vs.status)) continue;
      await this.store.update(VIRTUAL_SERVICES, { ...vs, status }, { actor: ACTOR, subresource: 'status' }).catch(() => undefined);
    }
  }

  private async compileGraphs(isvcList: KubeObject[]): Promise<Map<string, CompiledGraph>> {
    const isvcs = new Map(isvcList.map((i) => [`${i.metadata.namespace ?? 'default'}/${i.metadata.name}`, i]));
    const graphs = new Map<string, CompiledGraph>();
    for (const ig of (await this.store.list(GRAPHS)).items) {
      const { graph, status } = compileGraphObject(ig, isvcs, this.domain, this.now());
      if (graph) graphs.set(`${ig.metadata.name}.${ig.metadata.namespace ?? 'default'}.${this.domain}`.toLowerCase(), graph);
      if (canonicalJson(status) === canonicalJson(ig.status)) continue;
      // A conflict means the graph changed meanwhile; its watch event compiles again.
      await this.store.update(GRAPHS, { ...ig, status }, { actor: ACTOR, subresource: 'status' }).catch(() => undefined);
    }
    return graphs;
  }
}
