// What `switchyard up`'s API server checks when a TrafficPlan is written, the
// cluster controller checks when it reads one: a CRD's schema carries the
// shape and the defaults, but not the cross-field rules, the lint findings
// that block a plan (the seeds' anti-patterns) or what cluster mode cannot
// do. A plan that fails is not run: its status says why (condition
// Accepted=False, reason Invalid or UnsupportedInCluster), written once per
// generation, and the controller never sees it.
//
// Refused in a cluster, because they need Switchyard's own gateway in the
// request path: shadow phases (KServe has no mirroring of its own and owns
// the VirtualService in front of an InferenceService), cohorts (unit
// assignment, strata, exclusions happen in the gateway), bySlice and paired
// gates, abTest and bandit phases (they assign units).
import { validateObject, formatCauses } from '../api/validate.ts';
import { KINDS } from '../api/registry.ts';
import { PAIRED_GATE_METRICS } from '../api/kinds/trafficplan.ts';
import { blockingFindings, lintPlan, LINT_OVERRIDE_ANNOTATION } from '../analysis/lint.ts';
import type { KubeObject, ListOptions, ListResult, ObjectKey, ResourceType, Store, WriteOptions } from '../store/types.ts';
import { TRAFFIC_PLANS } from './resources.ts';

const PLAN_KIND = KINDS.find((k) => k.group === TRAFFIC_PLANS.group && k.kind === TRAFFIC_PLANS.kind)!;

export type Admission = { ok: true; plan: KubeObject } | { ok: false; reason: 'Invalid' | 'UnsupportedInCluster'; message: string };

type Spec = {
  phases?: Array<Record<string, unknown>>;
  cohorts?: unknown;
  gates?: Array<{ metric: string; bySlice?: string }>;
};

/** Why cluster mode cannot run this (valid) plan, one line per reason. */
export function clusterLimits(spec: Spec): string[] {
  const out: string[] = [];
  (spec.phases ?? []).forEach((p, i) => {
    for (const kind of ['shadow', 'abTest', 'bandit']) {
      if (p[kind] !== undefined) out.push(`spec.phases[${i}].${kind}: a ${kind} phase needs Switchyard's gateway in the request path (run it with \`switchyard up\`, or use canary or blueGreen phases in a cluster)`);
    }
  });
  if (spec.cohorts !== undefined) out.push("spec.cohorts: cohort assignment, strata and exclusions happen in Switchyard's gateway, which a cluster's requests do not pass");
  (spec.gates ?? []).forEach((g, i) => {
    if (g.bySlice !== undefined) out.push(`spec.gates[${i}].bySlice: slices come from cohort strata, which need Switchyard's gateway`);
    if ((PAIRED_GATE_METRICS as readonly string[]).includes(g.metric)) out.push(`spec.gates[${i}]: ${g.metric} judges shadow pairs, which need Switchyard's gateway`);
  });
  return out;
}

/** Validates and defaults a plan read from the cluster, as the local API server would have on write. */
export function admitClusterPlan(obj: KubeObject): Admission {
  const { status: _, ...withoutStatus } = obj;
  const parsed = validateObject(PLAN_KIND, { ...withoutStatus, apiVersion: obj.apiVersion ?? `${TRAFFIC_PLANS.group}/${TRAFFIC_PLANS.version}`, kind: TRAFFIC_PLANS.kind });
  if (!parsed.ok) return { ok: false, reason: 'Invalid', message: formatCauses(parsed.causes) };
  const blocking = blockingFindings(lintPlan(parsed.value as never));
  if (blocking.length > 0) {
    return { ok: false, reason: 'Invalid', message: blocking.map((f) => `${f.field}: ${f.message} (lint ${f.id}; to accept it, list it in the ${LINT_OVERRIDE_ANNOTATION} annotation)`).join('; ') };
  }
  const limits = clusterLimits(parsed.value.spec as Spec);
  if (limits.length > 0) return { ok: false, reason: 'UnsupportedInCluster', message: limits.join('; ') };
  return { ok: true, plan: { ...(parsed.value as KubeObject), ...(obj.status !== undefined ? { status: obj.status } : {}) } };
}

const isPlan = (t: ResourceType) => t.group === TRAFFIC_PLANS.group && t.resource === TRAFFIC_PLANS.resource;

interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }

/**
 * The cluster's Store as the plan controller should see it: TrafficPlans come
 * validated and defaulted, and refused ones are hidden after their status
 * says why. Everything else passes through.
 */
export function admittingStore(store: Store, log?: (line: string) => void, now: () => Date = () => new Date()): Store {
  const refuse = async (obj: KubeObject, a: Extract<Admission, { ok: false }>): Promise<void> => {
    const status = (obj.status ?? {}) as { conditions?: Condition[]; observedGeneration?: number };
    const had = status.conditions?.find((c) => c.type === 'Accepted');
    if (had?.status === 'False' && had.message === a.message && had.observedGeneration === obj.metadata.generation) return;
    log?.(`trafficplan ${obj.metadata.namespace}/${obj.metadata.name} refused: ${a.message}`);
    const accepted: Condition = {
      type: 'Accepted', status: 'False', reason: a.reason, message: a.message,
      lastTransitionTime: now().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...(obj.metadata.generation !== undefined ? { observedGeneration: obj.metadata.generation } : {}),
    };
    const conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Accepted'), accepted];
    try {
      await store.update(TRAFFIC_PLANS, { ...obj, status: { ...status, conditions, message: `not run: ${a.message}` } }, { actor: { name: 'system:plan-controller' }, subresource: 'status' });
    } catch (err) {
      log?.(`trafficplan ${obj.metadata.namespace}/${obj.metadata.name}: writing why it is refused failed: ${(err as Error).message}`);
    }
  };
  const admitted = async (obj: KubeObject | undefined): Promise<KubeObject | undefined> => {
    if (!obj) return undefined;
    const a = admitClusterPlan(obj);
    if (a.ok) return a.plan;
    await refuse(obj, a);
    return undefined;
  };
  return {
    ...store,
    create: (t, o, w) => store.create(t, o, w),
    async update(t: ResourceType, o: KubeObject, w: WriteOptions) {
      if (!isPlan(t) || w.subresource === 'status') return store.update(t, o, w);
      // The controller changes a plan's metadata only (consuming a command): the spec goes back as the user wrote it, not as defaulted here.
      const raw = await store.get({ ...TRAFFIC_PLANS, namespace: o.metadata.namespace ?? '', name: o.metadata.name });
      return store.update(t, raw ? { ...o, spec: raw.spec } : o, w);
    },
    delete: (k, d) => store.delete(k, d),
    watch: (t, o, cb) => store.watch(t, o, cb),
    appendAudit: (e) => store.appendAudit(e),
    listAudit: (o) => store.listAudit(o),
    verifyAudit: () => store.verifyAudit(),
    close: () => store.close(),
    async get(key: ObjectKey) {
      const obj = await store.get(key);
      return isPlan(key) ? admitted(obj) : obj;
    },
    async list(type: ResourceType, opts?: ListOptions): Promise<ListResult> {
      const res = await store.list(type, opts);
      if (!isPlan(type)) return res;
      const items: KubeObject[] = [];
      for (const o of res.items) {
        const a = await admitted(o);
        if (a) items.push(a);
      }
      return { ...res, items };
    },
  };
}
