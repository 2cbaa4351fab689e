// The kinds cluster mode reads and writes on a real API server, by the
// Store's (group, resource) key: the version each is served at and whether it
// lives in a namespace. Only these: the controller's RBAC (deploy/rbac.yaml)
// grants exactly what it touches, so a kind missing here is one it may not use.
import { syError } from '../core/errors.ts';
import type { LabelRequirement, ResourceType } from '../store/types.ts';

export interface ClusterResource extends ResourceType {
  version: string;
  kind: string;
  namespaced: boolean;
}

export const TRAFFIC_PLANS: ClusterResource = { group: 'switchyard.dev', resource: 'trafficplans', version: 'v1alpha1', kind: 'TrafficPlan', namespaced: true };
export const INFERENCE_SERVICES: ClusterResource = { group: 'serving.kserve.io', resource: 'inferenceservices', version: 'v1beta1', kind: 'InferenceService', namespaced: true };
/** networking.istio.io/v1: GA since Istio 1.22; older meshes serve the same schema as v1beta1. */
export const VIRTUAL_SERVICES: ClusterResource = { group: 'networking.istio.io', resource: 'virtualservices', version: 'v1', kind: 'VirtualService', namespaced: true };
export const LEASES: ClusterResource = { group: 'coordination.k8s.io', resource: 'leases', version: 'v1', kind: 'Lease', namespaced: true };
export const EVENTS: ClusterResource = { group: 'events.k8s.io', resource: 'events', version: 'v1', kind: 'Event', namespaced: true };
export const NAMESPACES: ClusterResource = { group: '', resource: 'namespaces', version: 'v1', kind: 'Namespace', namespaced: false };

export const CLUSTER_RESOURCES: readonly ClusterResource[] = [TRAFFIC_PLANS, INFERENCE_SERVICES, VIRTUAL_SERVICES, LEASES, EVENTS, NAMESPACES];

export function clusterResource(type: ResourceType): ClusterResource {
  const found = CLUSTER_RESOURCES.find((r) => r.group === type.group && r.resource === type.resource);
  if (!found) throw syError('SY_ERR_UNKNOWN_KIND', `cluster mode does not use ${type.resource}${type.group ? `.${type.group}` : ''}`);
  return found;
}

/** The REST path of a collection or one object, e.g. /apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/name. */
export function resourcePath(r: ClusterResource, namespace?: string, name?: string): string {
  const root = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${r.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** A label selector in the API's query syntax. */
export function formatLabelSelector(reqs: readonly LabelRequirement[] | undefined): string | undefined {
  if (!reqs || reqs.length === 0) return undefined;
  return reqs.map((r) => {
    switch (r.operator) {
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
      case 'In': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
      case 'NotIn': return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
    }
  }).join(',');
}
