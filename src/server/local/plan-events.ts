// TrafficPlan transitions as core/v1 Events in `switchyard up`, as the cluster
// controller writes them (src/kube/audit-events.ts): `kubectl describe
// trafficplan` and `kubectl get events` tell the plan's story beside its
// pods'. The audit log stays the record (hash-chained, with the evidence);
// an Event is the notice a kubectl user looks for first.
import { transitionEventReason } from '../../kube/audit-events.ts';
import { eventObject } from '../../runtime/supervisor/pod-view.ts';
import type { Transition } from '../../controllers/plan/state.ts';
import type { TrafficPlan } from '../../controllers/plan/target.ts';
import type { KubeObject, Store } from '../../store/types.ts';

const EVENTS = { group: '', resource: 'events' };
export const PLAN_EVENT_SOURCE = 'switchyard-plan-controller';
/** Kubernetes caps an Event's message at 1 KiB. */
const MAX_MESSAGE = 1024;

export function planEvent(plan: TrafficPlan, t: Transition): KubeObject {
  const { reason, type } = transitionEventReason(t.cause);
  const text = `${t.from} → ${t.to}: ${t.reason}`;
  return eventObject({
    involvedObject: {
      apiVersion: 'switchyard.dev/v1alpha1', kind: 'TrafficPlan', name: plan.metadata.name, namespace: plan.metadata.namespace ?? 'default',
      ...(plan.metadata.uid ? { uid: plan.metadata.uid } : {}),
    },
    reason, type, message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text,
    time: new Date(t.at).toISOString(), component: PLAN_EVENT_SOURCE,
  });
}

/** Writes a transition's Event; the caller does not wait on it (the decision is already stored and audited). */
export function recordPlanEvent(store: Store, plan: TrafficPlan, t: Transition, log?: (line: string) => void): void {
  store.create(EVENTS, planEvent(plan, t), { actor: { name: PLAN_EVENT_SOURCE } })
    .catch((err: Error) => log?.(`trafficplan ${plan.metadata.namespace}/${plan.metadata.name}: event not written: ${err.message}`));
}
