// KServe's canary semantics in Knative mode, as one pure function: the
// traffic targets KServe writes into the Knative Service from
// canaryTrafficPercent, Knative's resolution of `latestRevision: true` to
// the latest *ready* revision, and KServe's PropagateStatus bookkeeping of
// latestRolledoutRevision / previousRolledoutRevision (including the
// rollback-after-promotion case, which takes a second pass to settle).

export interface TrafficEntry {
  tag?: string;
  revisionName: string;
  latestRevision: boolean;
  percent: number;
  url?: string;
}

export interface RolloutInput {
  namespace: string;
  name: string;
  domain: string;
  component: 'predictor' | 'transformer' | 'explainer';
  canaryTrafficPercent?: number;
  tagRouting: boolean;
  latestCreatedRevision: string;
  /** '' while no revision has ever become ready. */
  latestReadyRevision: string;
  latestRolledoutRevision: string;
  previousRolledoutRevision: string;
}

export interface RolloutStatus {
  traffic: TrafficEntry[];
  latestRolledoutRevision: string;
  previousRolledoutRevision: string;
}

interface SpecTarget {
  latestRevision: boolean;
  revisionName?: string;
  percent: number;
  tag?: string;
}

/** What KServe's ksvc reconciler puts in the Knative route (createKnativeService). */
function specTargets(input: RolloutInput, lastRolledout: string): SpecTarget[] {
  const latestTag = input.tagRouting ? { tag: 'latest' } : {};
  const canary = input.canaryTrafficPercent;
  // First deploy: nothing has been rolled out before the only revision, so a
  // split would put both shares on that one revision. KServe documents the
  // field as ignored here, and so the status shows it.
  const firstDeploy = lastRolledout === '' || (input.previousRolledoutRevision === '' && input.latestCreatedRevision === lastRolledout);
  if (canary === undefined || firstDeploy) return [{ latestRevision: true, percent: 100, ...latestTag }];
  const targets: SpecTarget[] = [{ latestRevision: true, percent: canary, ...latestTag }];
  if (canary < 100) targets.push({ revisionName: lastRolledout, latestRevision: false, percent: 100 - canary, tag: 'prev' });
  return targets;
}

function tagUrl(input: RolloutInput, tag: string): string {
  return `http://${tag}-${input.name}-${input.component}.${input.namespace}.${input.domain}`;
}

/** Knative resolves latestRevision targets to the latest ready revision; nothing routes before one is ready. */
function resolve(input: RolloutInput, targets: SpecTarget[]): TrafficEntry[] {
  if (input.latestReadyRevision === '') return [];
  return targets.map((t) => ({
    ...(t.tag ? { tag: t.tag } : {}),
    revisionName: t.latestRevision ? input.latestReadyRevision : t.revisionName!,
    latestRevision: t.latestRevision,
    percent: t.percent,
    ...(t.tag ? { url: tagUrl(input, t.tag) } : {}),
  }));
}

/** KServe's PropagateStatus for the rolled-out revision fields. */
function propagate(input: RolloutInput, traffic: TrafficEntry[], latest: string, previous: string): { latest: string; previous: string } {
  const perRevision = new Map<string, number>();
  for (const t of traffic) perRevision.set(t.revisionName, (perRevision.get(t.revisionName) ?? 0) + t.percent);
  for (const t of traffic) {
    if (t.revisionName !== input.latestReadyRevision || !t.latestRevision) continue;
    if (latest !== input.latestReadyRevision) {
      if (t.percent === 100) {
        previous = latest;
        latest = input.latestReadyRevision;
      }
    } else if (input.latestReadyRevision === input.latestCreatedRevision && t.percent < 100) {
      // Rolled out at 100 %, then canary set below 100 on the same revision: roll back to the previous one.
      if (perRevision.get(t.revisionName) === 100 && previous !== '') latest = previous;
    }
  }
  return { latest, previous };
}

/** Runs reconcile and status propagation until they agree (at most a few passes). */
export function rollout(input: RolloutInput): RolloutStatus {
  let latest = input.latestRolledoutRevision;
  let previous = input.previousRolledoutRevision;
  let traffic: TrafficEntry[] = [];
  for (let pass = 0; pass < 4; pass++) {
    traffic = resolve(input, specTargets(input, latest));
    const next = propagate(input, traffic, latest, previous);
    if (next.latest === latest && next.previous === previous) break;
    latest = next.latest;
    previous = next.previous;
  }
  return { traffic, latestRolledoutRevision: latest, previousRolledoutRevision: previous };
}
