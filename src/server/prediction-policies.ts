// Keeps the prediction log's policies equal to the PredictionLogPolicy
// objects in the store: read at start, then again after every change (bursts
// coalesce into one read). Admission has checked each object; one the log
// still refuses is reported and leaves the policies in force unchanged.
import type { PredictionLog } from '../store/predictions.ts';
import type { PolicySource } from '../store/predictions-policy.ts';
import type { PredictionLogPolicySpec } from '../api/kinds/predictionlogpolicy.ts';
import type { KubeObject, Store } from '../store/types.ts';

export const PREDICTION_LOG_POLICIES = { group: 'switchyard.dev', resource: 'predictionlogpolicies' };

export function policySourceOf(o: KubeObject): PolicySource {
  return {
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name,
    ...(o.metadata.creationTimestamp ? { creationTimestamp: o.metadata.creationTimestamp } : {}),
    spec: (o.spec ?? {}) as PredictionLogPolicySpec,
  };
}

/** Applies the store's policies to the log now and on every change; resolves once the first set is in force. Returns the unwatch. */
export async function followPredictionPolicies(store: Store, log: PredictionLog, report: (line: string) => void): Promise<() => void> {
  let running: Promise<void> | undefined;
  let again = false;
  const sync = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const { items } = await store.list(PREDICTION_LOG_POLICIES);
        try {
          await log.setPolicies(items.map(policySourceOf));
        } catch (err) {
          report(`prediction log policies not applied, the previous ones stay in force: ${(err as Error).message}`);
        }
      } while (again);
    })().finally(() => {
      running = undefined;
      // A change seen after the loop's last check but before this point would otherwise be lost.
      if (again) void sync();
    });
    return running;
  };
  const unwatch = await store.watch(PREDICTION_LOG_POLICIES, {}, () => void sync());
  await sync();
  return unwatch;
}
