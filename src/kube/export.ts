// `switchyard export`: a local data directory's objects as manifests for a
// cluster. What a person wrote stays (apiVersion, kind, name, namespace,
// labels, annotations, spec); what the server or a controller owns goes
// (uid, resourceVersion, generation, timestamps, managedFields, status) and
// so does kubectl's last-applied copy, so `kubectl apply -f` on a cluster
// creates the objects fresh. The cluster tests apply the result to a real
// API server holding KServe's and Istio's CRDs.
import type { KubeObject } from '../store/types.ts';
import { INFERENCE_SERVICES, TRAFFIC_PLANS, VIRTUAL_SERVICES, type ClusterResource } from './resources.ts';

/** The kinds exported, in the order a cluster should receive them (targets before the plans that move them). */
export const EXPORTED: readonly ClusterResource[] = [INFERENCE_SERVICES, VIRTUAL_SERVICES, TRAFFIC_PLANS];

const SERVER_FIELDS = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'finalizers', 'ownerReferences'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** One object as a manifest: what its author wrote, nothing the server or a controller added. */
export function toManifest(obj: KubeObject): KubeObject {
  const { status: _, ...rest } = structuredClone(obj);
  const metadata = rest.metadata as Record<string, unknown> & { annotations?: Record<string, string> };
  for (const k of SERVER_FIELDS) delete metadata[k];
  if (metadata.annotations) {
    delete metadata.annotations[LAST_APPLIED];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  return rest as KubeObject;
}
