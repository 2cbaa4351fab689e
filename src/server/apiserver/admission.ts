// Admission checks that need the store (the schema checks one object alone):
// an InferenceGraph may only name InferenceServices that exist in its
// namespace, nodes that exist, and conditions we can evaluate, and its nodes
// must not call each other in a cycle. Returns causes; the caller turns them
// into SY_ERR_INVALID.
import type { Cause } from '../../core/errors.ts';
import type { KindInfo } from '../../api/types.ts';
import { compileCondition } from '../../gateway/graph/condition.ts';
import { PROMETHEUS_URL_ENV } from '../../kube/prometheus.ts';
import { checkQueryTemplate } from '../../kube/promql.ts';
import type { KubeObject, Store } from '../../store/types.ts';
import { LINT_OVERRIDE_ANNOTATION, blockingFindings, lintPlan } from '../../analysis/lint.ts';
import { COMMAND_ANNOTATION, PLAN_COMMANDS, TERMINAL_PLAN_PHASES, trafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import { planShape, shapeChanges, type ShapedSpec } from '../../api/kinds/plan-shape.ts';

const ISVCS = { group: 'serving.kserve.io', resource: 'inferenceservices' };

interface StepLike {
  serviceName?: unknown;
  nodeName?: unknown;
  condition?: unknown;
}
type Nodes = Record<string, { steps?: StepLike[] }>;

const stepField = (node: string, i: number, field: string): string => `spec.nodes.${node}.steps[${i}].${field}`;

/** Every cycle among nodes (one report per cycle), as paths like ["root", "a", "root"], with the edge that closes it. */
export function findCycles(nodes: Nodes): { path: string[]; field: string }[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: { path: string[]; field: string }[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    (nodes[name]?.steps ?? []).forEach((s, i) => {
      if (typeof s.nodeName !== 'string' || nodes[s.nodeName] === undefined) return;
      const seen = state.get(s.nodeName);
      if (seen === 'visiting') cycles.push({ path: [...stack.slice(stack.indexOf(s.nodeName)), s.nodeName], field: stepField(name, i, 'nodeName') });
      else if (seen === undefined) visit(s.nodeName);
    });
    stack.pop();
    state.set(name, 'done');
  };
  // Root first, so reported paths start where requests do.
  for (const name of ['root', ...Object.keys(nodes).filter((n) => n !== 'root')]) {
    if (nodes[name] !== undefined && !state.has(name)) visit(name);
  }
  return cycles;
}

async function admitGraph(obj: KubeObject, store: Store): Promise<Cause[]> {
  const causes: Cause[] = [];
  const nodes = ((obj.spec as { nodes?: Nodes } | undefined)?.nodes ?? {}) as Nodes;
  const namespace = obj.metadata.namespace ?? 'default';
  if (nodes.root === undefined) causes.push({ field: 'spec.nodes.root', reason: 'FieldValueRequired', message: 'Required value: the graph must have a node named "root"' });
  const existing = new Map<string, boolean>();
  for (const [node, n] of Object.entries(nodes)) {
    for (const [i, s] of (n.steps ?? []).entries()) {
      if (typeof s.serviceName === 'string') {
        if (!existing.has(s.serviceName)) existing.set(s.serviceName, (await store.get({ ...ISVCS, namespace, name: s.serviceName })) !== undefined);
        if (!existing.get(s.serviceName)) {
          causes.push({ field: stepField(node, i, 'serviceName'), reason: 'FieldValueNotFound', message: `Not found: InferenceService "${s.serviceName}" does not exist in namespace ${namespace}` });
        }
      }
      if (typeof s.nodeName === 'string' && nodes[s.nodeName] === undefined) {
        causes.push({ field: stepField(node, i, 'nodeName'), reason: 'FieldValueNotFound', message: `Not found: node "${s.nodeName}" is not in spec.nodes` });
      }
      if (typeof s.condition === 'string' && s.condition !== '') {
        try {
          compileCondition(s.condition);
        } catch (err) {
          causes.push({ field: stepField(node, i, 'condition'), reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(s.condition)}: ${(err as Error).message}` });
        }
      }
    }
  }
  for (const c of findCycles(nodes)) {
    causes.push({ field: c.field, reason: 'FieldValueInvalid', message: `Invalid value: the graph has a cycle: ${c.path.join(' -> ')}` });
  }
  return causes;
}

/**
 * A TrafficPlan with blocking lint findings (the seeds' anti-patterns: no end,
 * health-only gates, no request budget, ...) is refused unless the
 * switchyard.dev/lint-override annotation names them.
 */
function admitPlan(obj: KubeObject): Cause[] {
  const causes: Cause[] = blockingFindings(lintPlan(obj as Parameters<typeof lintPlan>[0])).map((f) => ({
    field: f.field, reason: 'FieldValueInvalid', message: `${f.message} (lint ${f.id}; to accept it, list it in the ${LINT_OVERRIDE_ANNOTATION} annotation)`,
  }));
  const gates = ((obj.spec as { gates?: Array<{ provider?: { prometheus?: Record<string, unknown> } }> } | undefined)?.gates ?? []);
  gates.forEach((g, i) => {
    for (const field of ['query', 'events', 'total']) {
      const q = g.provider?.prometheus?.[field];
      const problem = typeof q === 'string' ? checkQueryTemplate(q) : undefined;
      if (problem) causes.push({ field: `spec.gates[${i}].provider.prometheus.${field}`, reason: 'FieldValueInvalid', message: `Invalid value: ${problem}` });
    }
    // This server's plan controller asks the gate's address, else $SWITCHYARD_PROMETHEUS_URL: with neither,
    // the gate errors every window until the plan rolls back, so it is refused as a reward gate is.
    if (g.provider?.prometheus && g.provider.prometheus.address === undefined && !process.env[PROMETHEUS_URL_ENV]) {
      causes.push({
        field: `spec.gates[${i}].provider.prometheus.address`, reason: 'FieldValueRequired',
        message: `Required value: this gate could never be evaluated: there is no Prometheus to ask; set the address, or start switchyard up with ${PROMETHEUS_URL_ENV}`,
      });
    }
  });
  const command = obj.metadata.annotations?.[COMMAND_ANNOTATION];
  if (command !== undefined && !(PLAN_COMMANDS as readonly string[]).includes(command)) {
    causes.push({ field: `metadata.annotations[${COMMAND_ANNOTATION}]`, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(command)}: supported values: ${PLAN_COMMANDS.map((c) => `"${c}"`).join(', ')}` });
  }
  return causes;
}

type PlanLike = {
  spec?: ShapedSpec & { cohorts?: { unit?: unknown } };
  status?: { phase?: string; phaseIndex?: number; currentStep?: number; state?: { plan?: { startedAt?: number } } };
};

/**
 * A plan that has started and not ended runs on what its spec said when it started: a change to its
 * shape (planShape) would leave its step, evidence and split pointing at something else — a shortened
 * step list promoting on the evidence of a 5 % step — so it is refused, naming each field. A running
 * A/B test also keeps its unit key (seed 000: weak assignment breaks an A/B test).
 */
async function admitRunningPlan(obj: KubeObject, store: Store): Promise<Cause[]> {
  const stored = (await store.get({ group: 'switchyard.dev', resource: 'trafficplans', namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name })) as PlanLike | undefined;
  const phase = stored?.status?.phase;
  if (stored && phase && TERMINAL_PLAN_PHASES.has(phase)) return admitEndedPlan(stored, obj as PlanLike, phase);
  if (!stored || !phase || stored.status?.state?.plan?.startedAt === undefined) return [];
  const index = stored.status?.phaseIndex ?? 0;
  const where = `${phase} in phase ${index + 1}${stored.spec?.phases?.[index]?.canary ? ` step ${(stored.status?.currentStep ?? 0) + 1}` : ''}`;
  const why = `the plan is running (${where}) and its step, evidence and split refer to this field; abort it and apply a new plan to change it (gates, holds, exits, durations, budgets and the window may change)`;
  const causes: Cause[] = shapeChanges(planShape(stored.spec), planShape((obj as PlanLike).spec))
    .map((field) => ({ field, reason: 'FieldValueForbidden', message: `Forbidden: ${why}` }));
  if (stored.spec?.phases?.[index]?.abTest && JSON.stringify((obj as PlanLike).spec?.cohorts?.unit) !== JSON.stringify(stored.spec?.cohorts?.unit)) {
    causes.push({ field: 'spec.cohorts.unit', reason: 'FieldValueForbidden', message: 'Forbidden: the abTest is running: this would reassign units to arms and invalidate the experiment; abort the plan and start a new one to change it' });
  }
  return causes;
}

/**
 * An ended plan is the record of what ran, and the controller acts on running plans only: a changed
 * spec would do nothing while rewriting the record, so it is refused, naming each field that
 * differs (as Kubernetes refuses a change to a Job's template). Metadata may change.
 */
function admitEndedPlan(stored: PlanLike, obj: PlanLike, phase: string): Cause[] {
  const before = trafficPlanSpec.safeParse(stored.spec);
  const after = trafficPlanSpec.safeParse(obj.spec);
  if (!before.success || !after.success) return [];
  const a = before.data as Record<string, unknown>;
  const b = after.data as Record<string, unknown>;
  const changed = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return changed.map((k) => ({
    field: `spec.${k}`, reason: 'FieldValueForbidden',
    message: `Forbidden: the plan has ended (${phase}) and its spec is the record of what ran; apply the change as a new plan (another metadata.name)`,
  }));
}

/** Lint findings an object's override annotation silenced: the API server audits them with the write. */
export function overriddenFindings(kindInfo: KindInfo, obj: KubeObject): string[] {
  if (kindInfo.group !== 'switchyard.dev' || kindInfo.kind !== 'TrafficPlan') return [];
  return lintPlan(obj as Parameters<typeof lintPlan>[0]).filter((f) => f.overridden && f.severity === 'blocking').map((f) => f.id);
}

/** Store-dependent validation of an object about to be created or replaced; [] when it may be stored. */
export async function admit(kindInfo: KindInfo, obj: KubeObject, store: Store): Promise<Cause[]> {
  if (kindInfo.group === 'serving.kserve.io' && kindInfo.kind === 'InferenceGraph') return admitGraph(obj, store);
  if (kindInfo.group === 'switchyard.dev' && kindInfo.kind === 'TrafficPlan') return [...admitPlan(obj), ...(await admitRunningPlan(obj, store))];
  return [];
}
