// An InferenceService as a plan target, moved with KServe's own fields so
// `kubectl get isvc` stays true: the candidate's storageUri becomes the
// predictor's, canaryTrafficPercent carries the step, promotion removes the
// field (KServe's documented promotion) and rollback writes 0, which pins
// all traffic to the previously rolled-out revision — no request reaches
// the candidate, dead or alive.
import { ALLOCATION_ANNOTATION, DEPLOYMENT_MODE_ANNOTATION, KEEP_WARM_ANNOTATION, parseDeploymentMode, parseKeepWarm, PREDICTOR_FRAMEWORKS as FRAMEWORKS, SHADOW_ANNOTATION, TAG_ROUTING_ANNOTATION } from '../../api/kinds/inferenceservice.ts';
import type { Store } from '../../store/types.ts';
import { setAnnotation, updateWithRetry, type Desired, type TrafficPlan, type PlanTarget, type TargetMemo, type TargetView } from './target.ts';

const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };

interface PredictorStatus {
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  latestRolledoutRevision?: string;
  previousRolledoutRevision?: string;
  traffic?: Array<{ revisionName?: string; percent?: number; tag?: string; url?: string }>;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The name of the predictor block that holds storageUri: `model`, else the first framework block KServe knows. */
function modelBlockName(spec: Obj): string | undefined {
  const p = spec?.predictor as Obj | undefined;
  if (!p) return undefined;
  if (p.model) return 'model';
  return FRAMEWORKS.find((fw) => p[fw]);
}

function modelBlock(spec: Obj): Obj | undefined {
  const name = modelBlockName(spec);
  return name === undefined ? undefined : (spec.predictor[name] as Obj);
}

/** Whole seconds, as Kubernetes writes times. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** KServe's modelStatus when the candidate's revision failed to load: BlockedByFailedLoad, its lastFailureInfo naming that revision. */
function candidateFailure(obj: Obj, revision: string | undefined): string | undefined {
  const ms = obj.status?.modelStatus as { transitionStatus?: string; lastFailureInfo?: { modelRevisionName?: string; reason?: string; message?: string } } | undefined;
  const info = ms?.lastFailureInfo;
  if (!revision || ms?.transitionStatus !== 'BlockedByFailedLoad' || info?.modelRevisionName !== revision) return undefined;
  return `revision ${revision}: ${info.reason ?? 'failed'}${info.message ? `: ${info.message}` : ''}`;
}

/**
 * Why there is no baseline revision: not ready yet, or none will ever come — KServe's Standard
 * (RawDeployment) mode runs one Deployment without revisions and ignores canaryTrafficPercent
 * (its canary rollout is Serverless only), which a cluster's status shows by having none.
 */
function noRevisions(obj: Obj, name: string): string {
  const mode = parseDeploymentMode(obj.status?.deploymentMode ?? obj.metadata?.annotations?.[DEPLOYMENT_MODE_ANNOTATION]);
  if (mode !== 'Standard') return `InferenceService ${name} has no ready revision to compare against yet`;
  return `InferenceService ${name} runs in Standard (RawDeployment) mode, which has no revisions to split: KServe moves canaryTrafficPercent only in Serverless mode. `
    + 'Run it in Serverless mode, or target a VirtualService that routes between two InferenceServices';
}

function predictorStatus(obj: Obj): PredictorStatus {
  return (obj.status?.components?.predictor ?? {}) as PredictorStatus;
}

export class IsvcTarget implements PlanTarget {
  constructor(private readonly store: Store) {}

  private key(plan: TrafficPlan) {
    return { ...ISVC, namespace: plan.metadata.namespace ?? 'default', name: plan.spec.target.inferenceService! };
  }

  async observe(plan: TrafficPlan, memo: TargetMemo): Promise<TargetView> {
    const key = this.key(plan);
    const obj = (await this.store.get(key)) as Obj | undefined;
    if (!obj) return { memo, blocked: `InferenceService ${key.namespace}/${key.name} not found`, missing: true, split: {} };
    const ps = predictorStatus(obj);
    const { storageUri, revision } = plan.spec.candidate;
    const model = modelBlock(obj.spec);
    if (storageUri !== undefined) {
      if (!model) return { memo, blocked: `InferenceService ${key.name} has no predictor model with a storageUri to replace`, split: {} };
      // After a rollback KServe's spec still names the rolled-back candidate, pinned at 0 %: its revision
      // exists and serves nothing, so the same storageUri tried again is that revision, not the baseline.
      const parked = obj.spec?.predictor?.canaryTrafficPercent === 0 && ps.latestCreatedRevision !== undefined && ps.latestCreatedRevision !== ps.latestRolledoutRevision;
      if (!memo.applied && model.storageUri === storageUri && !parked) {
        return { memo, blocked: `candidate.storageUri ${storageUri} is what InferenceService ${key.name} already serves: there is nothing to compare`, split: {} };
      }
    } else if (revision !== undefined && !memo.candidateRevision) {
      // Deployed but not exposed: the candidate must be the latest revision, ready, with no traffic yet moved by hand.
      if (ps.latestCreatedRevision !== revision) {
        return { memo, blocked: `candidate.revision ${revision} is not the latest revision of InferenceService ${key.name} (${ps.latestCreatedRevision || 'none'}); KServe can only split between the latest revision and the previously rolled-out one`, split: {} };
      }
      if (ps.latestRolledoutRevision === revision) return { memo, blocked: `candidate.revision ${revision} already serves all traffic: there is nothing to compare`, split: {} };
    }
    const next: TargetMemo = { ...memo };
    if (storageUri !== undefined && !next.applied && ps.latestCreatedRevision) {
      // The revision made from this storageUri before (parked at 0 % by a rollback) is the candidate again.
      if (model?.storageUri === storageUri) next.candidateRevision = ps.latestCreatedRevision;
      else next.latestBeforeApply = ps.latestCreatedRevision;
    }
    if (revision !== undefined && !next.candidateRevision && ps.latestCreatedRevision === revision) next.candidateRevision = revision;
    // The baseline is what serves before the plan touches anything.
    if (!next.baselineRevision) {
      const base = revision !== undefined ? (ps.latestRolledoutRevision || ps.previousRolledoutRevision) : (ps.latestRolledoutRevision || ps.latestReadyRevision);
      if (!base) return { memo, blocked: noRevisions(obj, key.name), split: {} };
      next.baselineRevision = base;
    }
    // The candidate is the revision created from the candidate's storageUri: one KServe created after it was written.
    const created = ps.latestCreatedRevision;
    if (next.applied && !next.candidateRevision && created && created !== next.baselineRevision && created !== next.latestBeforeApply) {
      next.candidateRevision = created;
    }
    const split: Record<string, number> = {};
    for (const t of ps.traffic ?? []) if (t.revisionName) split[t.revisionName] = (split[t.revisionName] ?? 0) + (t.percent ?? 0);
    const ns = key.namespace;
    const baseline = { namespace: ns, service: key.name, revision: next.baselineRevision };
    const candidate = next.candidateRevision ? { namespace: ns, service: key.name, revision: next.candidateRevision } : undefined;
    const failed = candidateFailure(obj, next.candidateRevision);
    // A blue/green preview: where people send the requests that judge the candidate (KServe's tag host).
    const tag = plan.spec.phases.find((p) => p.blueGreen)?.blueGreen?.preview?.tag;
    const previewURL = tag === undefined ? undefined : ps.traffic?.find((t) => t.tag === tag && t.revisionName === next.candidateRevision)?.url;
    return {
      ...(failed ? { candidateFailed: failed } : {}),
      ...(previewURL ? { previewURL } : {}),
      memo: next, split, baseline,
      ...(candidate ? { candidate } : {}),
      // A bandit on an InferenceService has two arms, as KServe splits between two revisions.
      ...(candidate ? { arms: [{ name: baseline.revision, filter: baseline, fallback: true }, { name: candidate.revision, filter: candidate, fallback: false }] } : {}),
      replicas: { baseline: Math.max(1, Number(obj.spec?.predictor?.minReplicas ?? 1)), candidate: Math.max(1, Number(obj.spec?.predictor?.minReplicas ?? 1)) },
    };
  }

  async apply(plan: TrafficPlan, memo: TargetMemo, desired: Desired): Promise<TargetMemo> {
    // Nothing was ever written and nothing should be: a plan stopped before it started leaves the target alone.
    if (!memo.applied && desired.percent === 0 && !desired.running) return memo;
    const uri = plan.spec.candidate.storageUri;
    let replaced = memo.replaced;
    await updateWithRetry(this.store, this.key(plan), (obj) => {
      const spec = obj.spec as Obj;
      let changed = false;
      if (uri !== undefined) {
        const block = modelBlockName(spec);
        const model = modelBlock(spec);
        if (!model || block === undefined) throw new Error('the InferenceService lost its predictor model');
        if (model.storageUri !== uri) {
          // Not a spec an earlier rollback parked at 0 %: that storageUri is a rolled-back candidate's, not what serves.
          const parked = !memo.applied && (spec.predictor as Obj).canaryTrafficPercent === 0;
          if (!replaced && !parked && typeof model.storageUri === 'string') replaced = { block, storageUri: model.storageUri };
          model.storageUri = uri;
          changed = true;
        }
      }
      const predictor = spec.predictor as Obj;
      if (desired.promoted) {
        if (predictor.canaryTrafficPercent !== undefined) {
          delete predictor.canaryTrafficPercent;
          changed = true;
        }
      } else if (predictor.canaryTrafficPercent !== desired.percent) {
        predictor.canaryTrafficPercent = desired.percent;
        changed = true;
      }
      if (desired.previewTag && obj.metadata.annotations?.[TAG_ROUTING_ANNOTATION] !== 'true') {
        obj.metadata.annotations = { ...obj.metadata.annotations, [TAG_ROUTING_ANNOTATION]: 'true' };
        changed = true;
      }
      // The shadow's copies are the InferenceService's own setting, so `kubectl get isvc -o yaml` shows them.
      if (setAnnotation(obj, SHADOW_ANNOTATION, desired.shadowPercent !== undefined ? String(desired.shadowPercent) : undefined)) changed = true;
      // A bandit's allocation version: the gateway logs it with each request's propensity.
      if (setAnnotation(obj, ALLOCATION_ANNOTATION, desired.allocationVersion !== undefined ? String(desired.allocationVersion) : undefined)) changed = true;
      const warmRevision = desired.keepWarm && (desired.keepWarm.role === 'candidate' ? memo.candidateRevision : memo.baselineRevision);
      if (warmRevision) {
        const until = rfc3339(desired.keepWarm!.untilMs);
        const known = parseKeepWarm(obj.metadata.annotations?.[KEEP_WARM_ANNOTATION]);
        const next = Object.fromEntries(Object.entries(known.ok ? known.until : {}).map(([r, ms]) => [r, rfc3339(ms)]));
        if (next[warmRevision] !== until) {
          next[warmRevision] = until;
          obj.metadata.annotations = { ...obj.metadata.annotations, [KEEP_WARM_ANNOTATION]: JSON.stringify(next) };
          changed = true;
        }
      }
      return changed;
    }, 'patch');
    return { ...memo, applied: true, ...(replaced ? { replaced } : {}) };
  }
}
