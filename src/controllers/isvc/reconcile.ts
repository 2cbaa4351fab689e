// One reconcile pass of an InferenceService, as a pure function: from the
// object (spec + the status this controller wrote before), the runtimes and
// what the deployer observes, to the next status and the revisions to run
// or stop. Each component (predictor, and optionally transformer and
// explainer) has its own revisions and traffic; components changed by the
// same spec change roll out together as one revision set. See docs/serving.md.
//
// Revisions live in status (the controller's memory across restarts):
// status.components.<component>.revisions maps each live revision to its
// template, fingerprint and artifact digest; revisionCounter numbers them.
import { z } from 'zod';
import {
  DEFAULT_DEPLOYMENT_MODE, DEPLOYMENT_MODE_ANNOTATION, inferenceServiceSpec, KEEP_WARM_ANNOTATION, parseDeploymentMode, parseKeepWarm, type InferenceServiceSpec,
} from '../../api/kinds/inferenceservice.ts';
import type { KubeObject } from '../../store/types.ts';
import { mergeConditions, readyFrom, type ConditionInput } from './conditions.ts';
import { revisionState, type RevisionState } from './revision-state.ts';
import { buildAuxTemplate, buildTemplate, desiredReplicas, predictorModel, revisionName, selectFor, templateFingerprint } from './template.ts';
import type { Component, Deployer, RevisionTemplate, RuntimeCandidate } from './types.ts';
import { rollout, type RolloutStatus } from '../traffic/kserve.ts';

const revisionRecord = z.looseObject({
  fingerprint: z.string(),
  generation: z.number().optional(),
  createdAt: z.string(),
  readyAt: z.string().optional(),
  digest: z.string().optional(),
  bytes: z.number().optional(),
  template: z.custom<RevisionTemplate>((v) => typeof v === 'object' && v !== null && Array.isArray((v as RevisionTemplate).command)),
});
export type RevisionRecord = z.infer<typeof revisionRecord>;

const componentMemory = z.looseObject({
  latestCreatedRevision: z.string().optional(),
  latestReadyRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  revisionCounter: z.number().int().min(0).default(0),
  revisions: z.record(z.string(), revisionRecord).default({}),
  lastFailureInfo: z.looseObject({ reason: z.string(), message: z.string(), time: z.string().optional() }).optional(),
});
type ComponentMemory = z.infer<typeof componentMemory>;

export interface ReconcileInput {
  isvc: KubeObject;
  runtimes: RuntimeCandidate[];
  deployer: Pick<Deployer, 'observe' | 'running'>;
  now: Date;
  /** Ingress domain (KServe's default: example.com). */
  domain?: string;
  /**
   * Replicas a revision should run now (the autoscaler's answer); defaults to its minimum, at least one.
   * `coldAllowed`: the revision carries no traffic and its keep-warm time has passed, so it may scale to zero.
   */
  replicas?: (template: RevisionTemplate, o?: { coldAllowed: boolean }) => number;
  /** Where a transformer or explainer reaches the predictor (KServe: NAME-predictor.NAMESPACE). */
  predictorHost?: (namespace: string, name: string) => string;
}

export interface ReconcileOutput {
  status: Record<string, unknown>;
  ensure: { template: RevisionTemplate; replicas: number }[];
  stop: string[];
  /** The revision that became the latest ready one in this pass. */
  becameReady?: string;
  /** Reconcile again after this long: a keep-warm time (KEEP_WARM_ANNOTATION) is still to come. */
  requeueAfterMs?: number;
}

interface Problem {
  /** Condition reason and KServe FailureInfo reason. */
  reason: string;
  message: string;
  transition: 'InvalidSpec' | 'BlockedByFailedLoad';
}

/** One component during a pass. */
interface Pass {
  component: Component;
  mem: ComponentMemory;
  revisions: Record<string, RevisionRecord>;
  counter: number;
  latestCreated?: string;
  latestReady?: string;
  problem?: Problem;
  created?: RevisionState;
  becameReady?: string;
  canary?: number;
  /** A revision other than the latest that carries traffic and whose pods fail. */
  failedRoute?: { revision: string; percent: number; detail: string };
}

const COMPONENTS: Component[] = ['predictor', 'transformer', 'explainer'];
const READY_CONDITION: Record<Component, string> = { predictor: 'PredictorReady', transformer: 'TransformerReady', explainer: 'ExplainerReady' };
const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function memoryOf(status: unknown, component: Component): ComponentMemory {
  const stored = (status as { components?: Record<string, unknown> } | undefined)?.components?.[component];
  const parsed = componentMemory.safeParse(stored ?? {});
  return parsed.success ? parsed.data : componentMemory.parse({});
}

function startPass(component: Component, status: unknown): Pass {
  const mem = memoryOf(status, component);
  const revisions = { ...mem.revisions };
  const known = (r: string | undefined) => (r !== undefined && revisions[r] ? r : undefined);
  return { component, mem, revisions, counter: mem.revisionCounter, latestCreated: known(mem.latestCreatedRevision), latestReady: known(mem.latestReadyRevision) };
}

/** Step 1: what the spec asks this component to run, and whether that is a new revision. */
function planRevision(pass: Pass, template: Omit<RevisionTemplate, 'revision'> | { error: string } | Problem, isvc: KubeObject, now: Date): void {
  if ('transition' in template) {
    pass.problem = template;
    return;
  }
  if ('error' in template) {
    pass.problem = { reason: `Invalid${pass.component[0]!.toUpperCase()}${pass.component.slice(1)}Spec`, message: template.error, transition: 'InvalidSpec' };
    return;
  }
  const fingerprint = templateFingerprint(template);
  if (pass.latestCreated === undefined || pass.revisions[pass.latestCreated]!.fingerprint !== fingerprint) {
    pass.counter += 1;
    const name = revisionName(isvc.metadata.name, pass.component, pass.counter);
    pass.latestCreated = name;
    pass.revisions[name] = { fingerprint, generation: isvc.metadata.generation ?? 1, createdAt: seconds(now), template: { ...template, revision: name } };
  }
}

function predictorTemplate(spec: InferenceServiceSpec, runtimes: RuntimeCandidate[], isvc: KubeObject, ns: string): Omit<RevisionTemplate, 'revision'> | { error: string } | Problem {
  const model = predictorModel(spec.predictor);
  const selection = selectFor(model, runtimes);
  if (selection && !selection.ok) return { reason: selection.reason, message: selection.message, transition: 'InvalidSpec' };
  return buildTemplate({
    namespace: ns, isvc: isvc.metadata.name, predictor: spec.predictor, model,
    labels: isvc.metadata.labels ?? {}, annotations: isvc.metadata.annotations ?? {},
    ...(selection?.ok ? { runtime: selection.runtime } : {}),
  });
}

export function reconcile(input: ReconcileInput): ReconcileOutput {
  const { isvc, now } = input;
  const name = isvc.metadata.name;
  const ns = isvc.metadata.namespace ?? 'default';
  const domain = input.domain ?? 'example.com';
  const spec = inferenceServiceSpec.safeParse(isvc.spec);
  const predictorHost = (input.predictorHost ?? ((n, i) => `${i}-predictor.${n}`))(ns, name);

  // 1. Which components exist, and what each should run.
  const passes: Pass[] = [];
  for (const component of COMPONENTS) {
    const wanted = component === 'predictor' || (spec.success && spec.data[component] !== undefined);
    const pass = startPass(component, isvc.status);
    if (!wanted && pass.latestCreated === undefined) continue;
    passes.push(pass);
    if (!spec.success) {
      pass.problem = { reason: 'InvalidSpec', message: spec.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; '), transition: 'InvalidSpec' };
      continue;
    }
    if (!wanted) continue; // removed from the spec: its revisions are stopped below
    pass.canary = spec.data[component]!.canaryTrafficPercent;
    const template = component === 'predictor'
      ? predictorTemplate(spec.data, input.runtimes, isvc, ns)
      : buildAuxTemplate(ns, name, component, spec.data[component]!, predictorHost);
    planRevision(pass, template, isvc, now);
  }

  // 2. Observe. A latest created revision becomes the latest ready one once all its replicas are
  //    ready — and, as one revision set, only when every component changed by the same spec
  //    change is ready too (a new transformer never talks to an old predictor alone).
  const replicasOf = (p: Pass, rev: string, coldAllowed = false): number =>
    input.replicas ? input.replicas(p.revisions[rev]!.template, { coldAllowed }) : desiredReplicas(p.revisions[rev]!.template);
  const stateOf = (p: Pass, rev: string): RevisionState => revisionState(input.deployer.observe(ns, rev), replicasOf(p, rev));
  for (const p of passes) if (p.latestCreated !== undefined) p.created = stateOf(p, p.latestCreated);
  const pending = passes.filter((p) => p.latestCreated !== undefined && p.latestCreated !== p.latestReady);
  const generationOf = (p: Pass) => p.revisions[p.latestCreated!]!.generation;
  for (const p of pending) {
    const set = pending.filter((q) => generationOf(q) === generationOf(p));
    if (set.every((q) => q.created?.state === 'Loaded')) {
      p.latestReady = p.latestCreated;
      p.becameReady = p.latestCreated;
      p.revisions[p.latestCreated!] = { ...p.revisions[p.latestCreated!]!, readyAt: seconds(now) };
    }
  }

  // 3. Traffic per component, as KServe splits it; 4. run what takes or may take traffic.
  const annotations = isvc.metadata.annotations ?? {};
  const tagRouting = annotations['serving.kserve.io/enable-tag-routing'] === 'true';
  const warm = parseKeepWarm(annotations[KEEP_WARM_ANNOTATION]);
  const warmUntil = warm.ok ? warm.until : {};
  let requeueAt: number | undefined;
  const ensure: ReconcileOutput['ensure'] = [];
  const stop: string[] = [];
  const components: Record<string, unknown> = {};
  const readies: ConditionInput[] = [];
  let latestDeploymentReady: ConditionInput = { type: 'LatestDeploymentReady', status: 'True' };
  let routesReady: ConditionInput = { type: 'RoutesReady', status: 'True' };
  const removedSpec = (p: Pass) => spec.success && p.component !== 'predictor' && spec.data[p.component] === undefined;

  for (const p of passes) {
    if (removedSpec(p)) {
      stop.push(...Object.keys(p.revisions));
      continue;
    }
    const routed = rollout({
      namespace: ns, name, domain, component: p.component, tagRouting,
      ...(p.canary !== undefined ? { canaryTrafficPercent: p.canary } : {}),
      latestCreatedRevision: p.latestCreated ?? '',
      latestReadyRevision: p.latestReady ?? '',
      latestRolledoutRevision: p.mem.latestRolledoutRevision ?? '',
      previousRolledoutRevision: p.mem.previousRolledoutRevision ?? '',
    });
    const wanted = [p.latestCreated, p.latestReady, routed.latestRolledoutRevision, routed.previousRolledoutRevision, ...routed.traffic.map((t) => t.revisionName)];
    const keep = [...new Set(wanted.filter((r): r is string => !!r && p.revisions[r] !== undefined))];
    for (const rev of Object.keys(p.revisions)) if (!keep.includes(rev)) delete p.revisions[rev];
    for (const rev of keep) {
      const obs = input.deployer.observe(ns, rev);
      if (obs?.digest && p.revisions[rev]!.digest !== obs.digest) p.revisions[rev] = { ...p.revisions[rev]!, digest: obs.digest, ...(obs.bytes !== undefined ? { bytes: obs.bytes } : {}) };
      // A revision with no traffic is kept warm until its keep-warm time, then treated as Knative treats unrouted revisions.
      const until = warmUntil[rev];
      const percent = routed.traffic.filter((t) => t.revisionName === rev).reduce((n, t) => n + t.percent, 0);
      const idle = until !== undefined && percent === 0;
      if (idle && until > now.getTime()) requeueAt = Math.min(requeueAt ?? Infinity, until);
      const replicas = replicasOf(p, rev, idle && until <= now.getTime());
      ensure.push({ template: p.revisions[rev]!.template, replicas });
      // A revision that carries traffic and cannot serve it (its pods fail after a restart of the
      // server, or its storage went away) makes the component not ready, as Knative's route does.
      if (percent > 0 && rev !== p.latestCreated && !p.failedRoute) {
        const state = revisionState(obs, replicas);
        if (state.state === 'FailedToLoad') p.failedRoute = { revision: rev, percent, detail: state.detail };
      }
    }

    if (!p.problem && p.created?.state === 'FailedToLoad') {
      const everReady = p.revisions[p.latestCreated!]?.readyAt !== undefined;
      p.problem = { reason: everReady ? 'RuntimeUnhealthy' : 'ModelLoadFailed', message: `Revision "${p.latestCreated}" failed: ${p.created.detail}`, transition: 'BlockedByFailedLoad' };
    }
    const serving = p.latestReady === undefined ? undefined : p.latestReady === p.latestCreated ? p.created : stateOf(p, p.latestReady);
    readies.push(componentCondition(READY_CONDITION[p.component], p, routed.traffic));
    if (latestDeploymentReady.status === 'True') latestDeploymentReady = deploymentCondition(p);
    if (p.failedRoute && routesReady.status === 'True') {
      routesReady = { type: 'RoutesReady', status: 'False', reason: 'RevisionFailed', message: failedRouteMessage(p.failedRoute) };
    }
    if (routed.traffic.length === 0 && routesReady.status === 'True') {
      routesReady = { type: 'RoutesReady', status: 'Unknown', reason: 'NoReadyRevision', message: `No ${p.component} revision is ready yet, so the gateway has nothing to route to.` };
    }
    components[p.component] = componentStatus(p, routed, ns, name, domain, now);
    if (p.component === 'predictor') components.__serving = serving;
  }
  const running = passes.flatMap((p) => Object.keys(p.revisions));
  for (const rev of input.deployer.running(ns, name)) if (!running.includes(rev) && !stop.includes(rev)) stop.push(rev);

  const predictor = passes[0]!;
  const predictorServing = components.__serving as RevisionState | undefined;
  delete components.__serving;
  const ingressReady: ConditionInput = { type: 'IngressReady', status: 'True' };
  const conditions = mergeConditions((isvc.status as { conditions?: unknown } | undefined)?.conditions,
    [...readies, ingressReady, latestDeploymentReady, routesReady, readyFrom([...readies, ingressReady])], now);
  const becameReady = passes.find((p) => p.becameReady)?.becameReady;

  return {
    status: {
      observedGeneration: isvc.metadata.generation ?? 1,
      url: `http://${name}.${ns}.${domain}`,
      address: { url: `http://${name}.${ns}.svc.cluster.local` },
      conditions,
      components,
      modelStatus: modelStatus(predictor, predictorServing, (components.predictor as { lastFailureInfo?: unknown }).lastFailureInfo),
      // KServe's names for the mode the autoscaler runs the revisions in (legacy annotation names read as the current ones).
      deploymentMode: parseDeploymentMode(annotations[DEPLOYMENT_MODE_ANNOTATION]) ?? DEFAULT_DEPLOYMENT_MODE,
    },
    ensure, stop,
    ...(becameReady ? { becameReady } : {}),
    ...(requeueAt !== undefined ? { requeueAfterMs: requeueAt - now.getTime() } : {}),
  };
}

function failureInfo(p: Pass, now: Date): Record<string, unknown> | undefined {
  const { problem, created } = p;
  if (!problem) return undefined;
  const failure = created?.failure && problem.transition === 'BlockedByFailedLoad'
    ? { reason: problem.reason, location: created.failure.pod, message: created.failure.message, modelRevisionName: p.latestCreated, ...(created.failure.exitCode !== undefined ? { exitCode: created.failure.exitCode } : {}) }
    : { reason: problem.reason, message: problem.message };
  const prev = p.mem.lastFailureInfo;
  const time = prev && prev.reason === failure.reason && prev.message === failure.message && prev.time ? prev.time : seconds(now);
  return { ...failure, time };
}

function componentStatus(p: Pass, routed: RolloutStatus, ns: string, name: string, domain: string, now: Date): Record<string, unknown> {
  const lastFailureInfo = failureInfo(p, now);
  return {
    url: `http://${name}-${p.component}.${ns}.${domain}`,
    ...(p.latestCreated ? { latestCreatedRevision: p.latestCreated } : {}),
    ...(p.latestReady ? { latestReadyRevision: p.latestReady } : {}),
    ...(routed.latestRolledoutRevision ? { latestRolledoutRevision: routed.latestRolledoutRevision } : {}),
    ...(routed.previousRolledoutRevision ? { previousRolledoutRevision: routed.previousRolledoutRevision } : {}),
    ...(routed.traffic.length > 0 ? { traffic: routed.traffic } : {}),
    revisionCounter: p.counter,
    revisions: p.revisions,
    ...(lastFailureInfo ? { lastFailureInfo } : {}),
  };
}

function modelStatus(p: Pass, serving: RevisionState | undefined, lastFailureInfo: unknown): Record<string, unknown> {
  const { problem, created } = p;
  const upToDate = !problem && p.latestCreated !== undefined && p.latestCreated === p.latestReady && created?.state === 'Loaded';
  return {
    transitionStatus: problem ? problem.transition : upToDate ? 'UpToDate' : 'InProgress',
    states: {
      activeModelState: serving ? (serving.ready > 0 ? 'Loaded' : serving.state) : '',
      targetModelState: created?.state ?? (problem ? 'FailedToLoad' : 'Pending'),
    },
    ...(created ? { copies: { failedCopies: created.failed, totalCopies: created.desired } } : {}),
    ...(lastFailureInfo ? { lastFailureInfo } : {}),
  };
}

function deploymentCondition(p: Pass): ConditionInput {
  const { created } = p;
  if (!created) return { type: 'LatestDeploymentReady', status: 'Unknown', reason: 'RevisionMissing', message: `No ${p.component} revision has been created yet.` };
  if (created.state === 'Loaded') return { type: 'LatestDeploymentReady', status: 'True' };
  if (created.state === 'FailedToLoad') return { type: 'LatestDeploymentReady', status: 'False', reason: 'RevisionFailed', message: `Revision "${p.latestCreated}" failed: ${created.detail}` };
  return { type: 'LatestDeploymentReady', status: 'Unknown', reason: 'Deploying', message: `Revision "${p.latestCreated}": ${created.detail}` };
}

function failedRouteMessage(f: NonNullable<Pass['failedRoute']>): string {
  return `Revision "${f.revision}" carries ${f.percent}% of the traffic and cannot serve it: ${f.detail}.`;
}

/** " Revision "X" keeps serving (100%)." for the routed revisions other than the latest: what users still get while it is not ready. */
function stillServingText(p: Pass, traffic: RolloutStatus['traffic']): string {
  if (p.failedRoute) return '';
  const percent = new Map<string, number>();
  for (const t of traffic) if (t.revisionName !== p.latestCreated && t.percent > 0) percent.set(t.revisionName, (percent.get(t.revisionName) ?? 0) + t.percent);
  if (percent.size === 0) return '';
  const names = [...percent].map(([rev, pct]) => `"${rev}" (${pct}%)`);
  return percent.size === 1 ? ` Revision ${names[0]} keeps serving.` : ` Revisions ${names.join(', ')} keep serving.`;
}

function componentCondition(type: string, p: Pass, traffic: RolloutStatus['traffic']): ConditionInput {
  const { problem, latestCreated, latestReady, created } = p;
  const stillServing = stillServingText(p, traffic);
  if (problem) return { type, status: 'False', reason: problem.reason, message: `${problem.message}${stillServing}` };
  if (p.failedRoute) return { type, status: 'False', reason: 'RevisionFailed', message: failedRouteMessage(p.failedRoute) };
  if (latestCreated === undefined || !created) return { type, status: 'Unknown', reason: 'RevisionMissing', message: 'No revision has been created yet.' };
  // Scaled to zero is ready too: the gateway's activator starts a replica on the first request.
  if (latestCreated === latestReady && (created.ready > 0 || created.desired === 0)) return { type, status: 'True' };
  const waiting = created.state === 'Loaded' ? 'waits for the other components changed with it (one revision set)' : `is not ready yet: ${created.detail}`;
  return { type, status: 'Unknown', reason: latestReady === undefined ? 'RevisionMissing' : 'RevisionNotReady', message: `Revision "${latestCreated}" ${waiting}.${stillServing}` };
}
