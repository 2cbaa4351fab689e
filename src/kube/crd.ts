// The TrafficPlan CustomResourceDefinition, generated from the same zod
// schema the local API server validates with (src/api/kinds/trafficplan.ts),
// so a cluster accepts exactly the plans `switchyard up` accepts in shape and
// shows the same columns in `kubectl get tp`. The API server requires a
// structural schema: every node typed, no $ref, metadata left to the server.
// What a schema cannot say (cross-field rules, lint) the controller checks
// when it reads a plan (src/kube/plan-admission.ts).
import type { KindInfo } from '../api/types.ts';
import { kindOpenApiSchema } from '../api/openapi.ts';
import { KINDS } from '../api/registry.ts';

type Json = Record<string, unknown>;

/** Keys a structural schema has no use for (or forbids). */
const DROP = new Set(['x-kubernetes-group-version-kind', '$schema', 'id']);

/**
 * A union of different types (a bandit's reward: a metric name or an object)
 * cannot be said structurally; such a field keeps whatever it is given, and
 * the controller checks it with the zod schema when it reads the plan.
 */
function unionOfTypes(node: Json): boolean {
  const branches = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  return Array.isArray(branches) && new Set(branches.map((b) => b.type)).size > 1;
}

function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (typeof node !== 'object' || node === null) return node;
  if (unionOfTypes(node as Json)) {
    const { description } = node as Json;
    return { ...(description ? { description } : {}), 'x-kubernetes-preserve-unknown-fields': true };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (DROP.has(k)) continue;
    out[k] = structural(v);
  }
  return out;
}

function planKind(): KindInfo {
  return KINDS.find((k) => k.group === 'switchyard.dev' && k.kind === 'TrafficPlan')!;
}

/** apiextensions.k8s.io/v1 CustomResourceDefinition of a kind, one served and stored version per KindInfo version. */
export function customResourceDefinition(info: KindInfo): Json {
  const versions = info.versions.map((version, i) => {
    const schema = structural(kindOpenApiSchema(info, version, 3)) as Json;
    // The API server owns metadata; a CRD may only constrain name/generateName.
    (schema.properties as Json).metadata = { type: 'object' };
    return {
      name: version,
      served: true,
      storage: i === 0,
      schema: { openAPIV3Schema: schema },
      ...(info.hasStatus ? { subresources: { status: {} } } : {}),
      additionalPrinterColumns: info.printerColumns.map((c) => ({
        name: c.name, type: c.type, jsonPath: c.jsonPath,
        ...(c.description ? { description: c.description } : {}), ...(c.format ? { format: c.format } : {}), ...(c.priority ? { priority: c.priority } : {}),
      })),
    };
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${info.group}`, labels: { 'app.kubernetes.io/part-of': 'switchyard' } },
    spec: {
      group: info.group,
      names: { kind: info.kind, listKind: `${info.kind}List`, plural: info.plural, singular: info.singular, shortNames: info.shortNames, categories: info.categories },
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions,
    },
  };
}

export function trafficPlanCrd(): Json {
  return customResourceDefinition(planKind());
}
