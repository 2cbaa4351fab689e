// One reconcile pass of an InferenceService's predictor, as a pure function:
// from the object (spec + the status this controller wrote before), the
// runtimes and what the deployer observes, to the next status and the
// revisions to run or stop. See docs/serving.md.
//
// Revisions live in status (the controller's memory across restarts):
// status.components.predictor.revisions maps each live revision to its
// template, fingerprint and artifact digest; revisionCounter numbers them.
import { z } from 'zod';
import { inferenceServiceSpec } from '../../api/kinds/inferenceservice.ts';
import type { KubeObject } from '../../store/types.ts';
import { mergeConditions, readyFrom, type ConditionInput } from './conditions.ts';
import { revisionState, type RevisionState } from './revision-state.ts';
import { buildTemplate, desiredReplicas, predictorModel, revisionName, selectFor, templateFingerprint } from './template.ts';
import type { Deployer, RevisionTemplate, RuntimeCandidate } from './types.ts';
import { rollout } from '../traffic/kserve.ts';

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

const predictorMemory = z.looseObject({
  latestCreatedRevision: z.string().optional(),
  latestReadyRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  revisionCounter: z.number().int().min(0).default(0),
  revisions: z.record(z.string(), revisionRecord).default({}),
  lastFailureInfo: z.looseObject({ reason: z.string(), message: z.string(), time: z.string().optional() }).optional(),
});

export interface ReconcileInput {
  isvc: KubeObject;
  runtimes: RuntimeCandidate[];
  deployer: Pick<Deployer, 'observe' | 'running'>;
  now: Date;
  /** Ingress domain (KServe's default: example.com). */
  domain?: string;
  /** Replicas a revision should run now (the autoscaler's answer); defaults to its minimum, at least one. */
  replicas?: (template: RevisionTemplate) => number;
}

export interface ReconcileOutput {
  status: Record<string, unknown>;
  ensure: { template: RevisionTemplate; replicas: number }[];
  stop: string[];
  /** The revision that became the latest ready one in this pass. */
  becameReady?: string;
}

interface Problem {
  /** Condition reason and KServe FailureInfo reason. */
  reason: string;
  message: string;
  transition: 'InvalidSpec' | 'BlockedByFailedLoad';
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function memoryOf(status: unknown) {
  const predictor = (status as { components?: { predictor?: unknown } } | undefined)?.components?.predictor;
  const parsed = predictorMemory.safeParse(predictor ?? {});
  return parsed.success ? parsed.data : predictorMemory.parse({});
}

export function reconcile(input: ReconcileInput): ReconcileOutput {
  const { isvc, now } = input;
  const name = isvc.metadata.name;
  const ns = isvc.metadata.namespace ?? 'default';
  const domain = input.domain ?? 'example.com';
  const mem = memoryOf(isvc.status);
  const revisions: Record<string, RevisionRecord> = { ...mem.revisions };
  let counter = mem.revisionCounter;
  let latestCreated = mem.latestCreatedRevision !== undefined && revisions[mem.latestCreatedRevision] ? mem.latestCreatedRevision : undefined;
  let latestReady = mem.latestReadyRevision !== undefined && revisions[mem.latestReadyRevision] ? mem.latestReadyRevision : undefined;
  let problem: Problem | undefined;

  // 1. What the spec asks for, and whether that is a new revision.
  const spec = inferenceServiceSpec.safeParse(isvc.spec);
  if (!spec.success) {
    problem = { reason: 'InvalidPredictorSpec', message: spec.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; '), transition: 'InvalidSpec' };
  } else {
    const model = predictorModel(spec.data.predictor);
    const selection = selectFor(model, input.runtimes);
    if (selection && !selection.ok) {
      problem = { reason: selection.reason, message: selection.message, transition: 'InvalidSpec' };
    } else {
      const t = buildTemplate({ namespace: ns, isvc: name, predictor: spec.data.predictor, model, ...(selection?.ok ? { runtime: selection.runtime } : {}) });
      if ('error' in t) {
        problem = { reason: 'InvalidPredictorSpec', message: t.error, transition: 'InvalidSpec' };
      } else {
        const fingerprint = templateFingerprint(t);
        if (latestCreated === undefined || revisions[latestCreated]!.fingerprint !== fingerprint) {
          counter += 1;
          latestCreated = revisionName(name, 'predictor', counter);
          revisions[latestCreated] = { fingerprint, generation: isvc.metadata.generation ?? 1, createdAt: seconds(now), template: { ...t, revision: latestCreated } };
        }
      }
    }
  }

  // 2. Observe; the latest created revision becomes the latest ready one once all its replicas are ready.
  const replicasOf = (rev: string): number => (input.replicas ?? desiredReplicas)(revisions[rev]!.template);
  const stateOf = (rev: string): RevisionState => revisionState(input.deployer.observe(rev), replicasOf(rev));
  const created = latestCreated === undefined ? undefined : stateOf(latestCreated);
  let becameReady: string | undefined;
  if (latestCreated !== undefined && created?.state === 'Loaded' && latestReady !== latestCreated) {
    latestReady = latestCreated;
    becameReady = latestCreated;
    revisions[latestCreated] = { ...revisions[latestCreated]!, readyAt: seconds(now) };
  }
  const serving = latestReady === undefined ? undefined : latestReady === latestCreated ? created! : stateOf(latestReady);

  // 3. Traffic, as KServe splits it (canaryTrafficPercent, tags, rolled-out bookkeeping).
  const annotations = isvc.metadata.annotations ?? {};
  const canary = spec.success ? spec.data.predictor.canaryTrafficPercent : undefined;
  const routed = rollout({
    namespace: ns, name, domain, component: 'predictor',
    ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
    tagRouting: annotations['serving.kserve.io/enable-tag-routing'] === 'true',
    latestCreatedRevision: latestCreated ?? '',
    latestReadyRevision: latestReady ?? '',
    latestRolledoutRevision: mem.latestRolledoutRevision ?? '',
    previousRolledoutRevision: mem.previousRolledoutRevision ?? '',
  });

  // 4. Run what takes or may take traffic: the latest created and ready revisions, whatever the
  //    split names, and the rolled-out pair (the rollback target stays warm). Stop the rest.
  const wanted = [latestCreated, latestReady, routed.latestRolledoutRevision, routed.previousRolledoutRevision, ...routed.traffic.map((t) => t.revisionName)];
  const keep = [...new Set(wanted.filter((r): r is string => !!r && revisions[r] !== undefined))];
  for (const rev of Object.keys(revisions)) if (!keep.includes(rev)) delete revisions[rev];
  for (const rev of keep) {
    const obs = input.deployer.observe(rev);
    if (obs?.digest && revisions[rev]!.digest !== obs.digest) revisions[rev] = { ...revisions[rev]!, digest: obs.digest, ...(obs.bytes !== undefined ? { bytes: obs.bytes } : {}) };
  }
  const stop = input.deployer.running(ns, name).filter((r) => !keep.includes(r));
  const ensure = keep.map((rev) => ({ template: revisions[rev]!.template, replicas: replicasOf(rev) }));

  // 5. Failure of the latest created revision blocks the rollout.
  if (!problem && created?.state === 'FailedToLoad') {
    const everReady = revisions[latestCreated!]!.readyAt !== undefined;
    problem = { reason: everReady ? 'RuntimeUnhealthy' : 'ModelLoadFailed', message: `Revision "${latestCreated}" failed: ${created.detail}`, transition: 'BlockedByFailedLoad' };
  }

  const predictorReady = predictorCondition(problem, latestCreated, latestReady, created, serving);
  const ingressReady: ConditionInput = { type: 'IngressReady', status: 'True' };
  const routesReady: ConditionInput = routed.traffic.length > 0
    ? { type: 'RoutesReady', status: 'True' }
    : { type: 'RoutesReady', status: 'Unknown', reason: 'NoReadyRevision', message: 'No revision is ready yet, so the gateway has nothing to route to.' };
  const latestDeploymentReady: ConditionInput = !created
    ? { type: 'LatestDeploymentReady', status: 'Unknown', reason: 'RevisionMissing', message: 'No revision has been created yet.' }
    : created.state === 'Loaded' ? { type: 'LatestDeploymentReady', status: 'True' }
    : created.state === 'FailedToLoad' ? { type: 'LatestDeploymentReady', status: 'False', reason: 'RevisionFailed', message: `Revision "${latestCreated}" failed: ${created.detail}` }
    : { type: 'LatestDeploymentReady', status: 'Unknown', reason: 'Deploying', message: `Revision "${latestCreated}": ${created.detail}` };
  const conditions = mergeConditions((isvc.status as { conditions?: unknown } | undefined)?.conditions,
    [predictorReady, ingressReady, latestDeploymentReady, routesReady, readyFrom([predictorReady, ingressReady])], now);

  const prevFailure = mem.lastFailureInfo;
  const failure = problem && created?.failure && problem.transition === 'BlockedByFailedLoad'
    ? { reason: problem.reason, location: created.failure.pod, message: created.failure.message, modelRevisionName: latestCreated, ...(created.failure.exitCode !== undefined ? { exitCode: created.failure.exitCode } : {}) }
    : problem ? { reason: problem.reason, message: problem.message } : undefined;
  const lastFailureInfo = failure ? { ...failure, time: prevFailure && prevFailure.reason === failure.reason && prevFailure.message === failure.message && prevFailure.time ? prevFailure.time : seconds(now) } : undefined;

  const upToDate = !problem && latestCreated !== undefined && latestCreated === latestReady && created?.state === 'Loaded';
  const modelStatus = {
    transitionStatus: problem ? problem.transition : upToDate ? 'UpToDate' : 'InProgress',
    states: {
      activeModelState: serving ? (serving.ready > 0 ? 'Loaded' : serving.state) : '',
      targetModelState: created?.state ?? (problem ? 'FailedToLoad' : 'Pending'),
    },
    ...(created ? { copies: { failedCopies: created.failed, totalCopies: created.desired } } : {}),
    ...(lastFailureInfo ? { lastFailureInfo } : {}),
  };

  const predictorStatus = {
    url: `http://${name}-predictor.${ns}.${domain}`,
    ...(latestCreated ? { latestCreatedRevision: latestCreated } : {}),
    ...(latestReady ? { latestReadyRevision: latestReady } : {}),
    ...(routed.latestRolledoutRevision ? { latestRolledoutRevision: routed.latestRolledoutRevision } : {}),
    ...(routed.previousRolledoutRevision ? { previousRolledoutRevision: routed.previousRolledoutRevision } : {}),
    ...(routed.traffic.length > 0 ? { traffic: routed.traffic } : {}),
    revisionCounter: counter,
    revisions,
    ...(lastFailureInfo ? { lastFailureInfo } : {}),
  };

  return {
    status: {
      observedGeneration: isvc.metadata.generation ?? 1,
      url: `http://${name}.${ns}.${domain}`,
      address: { url: `http://${name}.${ns}.svc.cluster.local` },
      conditions,
      components: { predictor: predictorStatus },
      modelStatus,
      deploymentMode: 'Serverless',
    },
    ensure, stop,
    ...(becameReady ? { becameReady } : {}),
  };
}

function predictorCondition(problem: Problem | undefined, latestCreated: string | undefined, latestReady: string | undefined, created: RevisionState | undefined, serving: RevisionState | undefined): ConditionInput {
  const stillServing = latestReady !== undefined && latestReady !== latestCreated && (serving?.ready ?? 0) > 0 ? ` Revision "${latestReady}" keeps serving.` : '';
  if (problem) return { type: 'PredictorReady', status: 'False', reason: problem.reason, message: `${problem.message}${stillServing}` };
  if (latestCreated === undefined || !created) return { type: 'PredictorReady', status: 'Unknown', reason: 'RevisionMissing', message: 'No revision has been created yet.' };
  // Scaled to zero is ready too: the gateway's activator starts a replica on the first request.
  if (latestCreated === latestReady && (created.ready > 0 || created.desired === 0)) return { type: 'PredictorReady', status: 'True' };
  return { type: 'PredictorReady', status: 'Unknown', reason: latestReady === undefined ? 'RevisionMissing' : 'RevisionNotReady', message: `Revision "${latestCreated}" is not ready yet: ${created.detail}.${stillServing}` };
}
