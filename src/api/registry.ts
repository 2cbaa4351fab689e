// Every kind Switchyard serves, and the lookups the API server and CLI need:
// by URL (group, version, plural), by (apiVersion, kind), and by whatever a
// user types (`isvc`, `InferenceService`, `virtualservices.networking.istio.io`).
import type { KindInfo, PrinterColumn } from './types.ts';
import { inferenceServiceSchema } from './kinds/inferenceservice.ts';
import { clusterServingRuntimeSchema, servingRuntimeSchema } from './kinds/servingruntime.ts';
import { inferenceGraphSchema } from './kinds/inferencegraph.ts';
import { virtualServiceSchema } from './kinds/virtualservice.ts';
import { serviceEntrySchema } from './kinds/serviceentry.ts';
import { destinationRuleSchema } from './kinds/destinationrule.ts';
import { trafficPlanSchema } from './kinds/trafficplan.ts';
import { predictionLogPolicySchema } from './kinds/predictionlogpolicy.ts';
import { namespaceSchema } from './kinds/namespace.ts';
import { podSchema } from './kinds/pod.ts';
import { eventSchema } from './kinds/event.ts';
import { secretSchema } from './kinds/secret.ts';
import { serviceAccountSchema } from './kinds/serviceaccount.ts';
import { humanDuration } from './age.ts';
import { podCells } from './pod-printer.ts';

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const READY: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" };
const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec) : []);

const RUNTIME_COLUMNS: PrinterColumn[] = [
  { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
  { name: 'ModelType', type: 'string', jsonPath: '.spec.supportedModelFormats[*].name' },
  { name: 'Containers', type: 'string', jsonPath: '.spec.containers[*].name' },
  AGE,
];

export const KINDS: KindInfo[] = [
  {
    group: 'serving.kserve.io',
    versions: ['v1beta1'],
    kind: 'InferenceService',
    plural: 'inferenceservices',
    singular: 'inferenceservice',
    shortNames: ['isvc'],
    namespaced: true,
    categories: ['kserve'],
    schema: inferenceServiceSchema,
    // Exactly KServe's additionalPrinterColumns (config/crd/full/serving.kserve.io_inferenceservices.yaml).
    printerColumns: [
      { name: 'URL', type: 'string', jsonPath: '.status.url' },
      READY,
      { name: 'Prev', type: 'integer', jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].percent" },
      { name: 'Latest', type: 'integer', jsonPath: '.status.components.predictor.traffic[?(@.latestRevision==true)].percent' },
      { name: 'PrevRolledoutRevision', type: 'string', jsonPath: ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName" },
      { name: 'LatestReadyRevision', type: 'string', jsonPath: '.status.components.predictor.traffic[?(@.latestRevision==true)].revisionName' },
      AGE,
    ],
    hasStatus: true,
    readOnly: false,
    description: 'A model served by a predictor (with optional transformer and explainer), with KServe canary semantics.',
  },
  {
    group: 'serving.kserve.io',
    versions: ['v1alpha1'],
    kind: 'ServingRuntime',
    plural: 'servingruntimes',
    singular: 'servingruntime',
    shortNames: [],
    namespaced: true,
    categories: ['kserve'],
    schema: servingRuntimeSchema,
    printerColumns: RUNTIME_COLUMNS,
    hasStatus: true,
    readOnly: false,
    description: 'A namespaced model-server template for a set of model formats.',
  },
  {
    group: 'serving.kserve.io',
    versions: ['v1alpha1'],
    kind: 'ClusterServingRuntime',
    plural: 'clusterservingruntimes',
    singular: 'clusterservingruntime',
    shortNames: [],
    namespaced: false,
    categories: ['kserve'],
    schema: clusterServingRuntimeSchema,
    printerColumns: RUNTIME_COLUMNS,
    hasStatus: true,
    readOnly: false,
    description: 'A cluster-wide model-server template for a set of model formats.',
  },
  {
    group: 'serving.kserve.io',
    versions: ['v1alpha1'],
    kind: 'InferenceGraph',
    plural: 'inferencegraphs',
    singular: 'inferencegraph',
    shortNames: ['ig'],
    namespaced: true,
    categories: ['kserve'],
    schema: inferenceGraphSchema,
    printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }, READY, AGE],
    hasStatus: true,
    readOnly: false,
    description: 'A request flow (Sequence, Splitter, Ensemble, Switch) over InferenceServices.',
  },
  {
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    kind: 'VirtualService',
    plural: 'virtualservices',
    singular: 'virtualservice',
    shortNames: ['vs'],
    namespaced: true,
    categories: ['istio-io', 'networking-istio-io'],
    schema: virtualServiceSchema,
    printerColumns: [
      { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'The names of gateways and sidecars that should apply these routes' },
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The destination hosts to which traffic is being sent' },
      AGE,
    ],
    hasStatus: true,
    readOnly: false,
    description: 'Istio HTTP routing: matches, weighted destinations, mirrors, rewrites, retries and faults.',
  },
  {
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    kind: 'ServiceEntry',
    plural: 'serviceentries',
    singular: 'serviceentry',
    shortNames: ['se'],
    namespaced: true,
    categories: ['istio-io', 'networking-istio-io'],
    schema: serviceEntrySchema,
    printerColumns: [
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts associated with the ServiceEntry' },
      { name: 'Location', type: 'string', jsonPath: '.spec.location', description: 'Whether the service is external to the mesh or part of the mesh' },
      { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'Service resolution mode for the hosts' },
      AGE,
    ],
    hasStatus: true,
    readOnly: false,
    description: 'Adds hosts (and their endpoints) the mesh can route to.',
  },
  {
    group: 'networking.istio.io',
    versions: ISTIO_VERSIONS,
    kind: 'DestinationRule',
    plural: 'destinationrules',
    singular: 'destinationrule',
    shortNames: ['dr'],
    namespaced: true,
    categories: ['istio-io', 'networking-istio-io'],
    schema: destinationRuleSchema,
    printerColumns: [{ name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The name of a service from the service registry' }, AGE],
    hasStatus: true,
    readOnly: false,
    description: 'Subsets of a service and the traffic policy applied after routing.',
  },
  {
    group: 'switchyard.dev',
    versions: ['v1alpha1'],
    kind: 'TrafficPlan',
    plural: 'trafficplans',
    singular: 'trafficplan',
    shortNames: ['tp'],
    namespaced: true,
    categories: ['switchyard'],
    schema: trafficPlanSchema,
    printerColumns: [
      { name: 'Target', type: 'string', jsonPath: '.status.target', description: 'What the plan moves traffic for: an InferenceService, or vs/NAME[:ROUTE] for a VirtualService route' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Progressing, Paused, Promoted, RolledBack or Aborted' },
      { name: 'Step', type: 'string', jsonPath: '.status.step', description: 'The current phase and step, counted from 1: canary 2/3, shadow, abTest, bandit or blueGreen' },
      { name: 'Canary', type: 'integer', jsonPath: '.status.canaryPercent', description: 'Percent of traffic on the candidate' },
      { name: 'Requests', type: 'integer', jsonPath: '.status.stepRequests', description: 'Candidate requests in the current step', priority: 1 },
      { name: 'Owner', type: 'string', jsonPath: '.spec.owner.team', priority: 1 },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
      AGE,
    ],
    hasStatus: true,
    readOnly: false,
    description: 'A gated, measured, reversible traffic move to a candidate model.',
  },
  {
    group: 'switchyard.dev',
    versions: ['v1alpha1'],
    kind: 'PredictionLogPolicy',
    plural: 'predictionlogpolicies',
    singular: 'predictionlogpolicy',
    shortNames: ['plp'],
    namespaced: true,
    categories: ['switchyard'],
    schema: predictionLogPolicySchema,
    printerColumns: [
      { name: 'Services', type: 'string', jsonPath: '.spec.services', description: 'InferenceServices it applies to (all of the namespace when empty)' },
      {
        name: 'Inputs',
        type: 'string',
        jsonPath: '.spec.inputs.sampleRate',
        description: 'Share of requests whose input is kept (none without spec.inputs)',
        compute: (o) => {
          const inputs = rec(rec(o.spec).inputs);
          return rec(o.spec).inputs === undefined ? 'none' : `${Math.round((typeof inputs.sampleRate === 'number' ? inputs.sampleRate : 1) * 1000) / 10}%`;
        },
      },
      { name: 'Retention', type: 'string', jsonPath: '.spec.retention' },
      AGE,
    ],
    hasStatus: false,
    readOnly: false,
    description: 'Which parts of request bodies the prediction log keeps, and for how long its rows are kept.',
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Namespace',
    plural: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    categories: [],
    schema: namespaceSchema,
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
    hasStatus: true,
    readOnly: false,
    description: 'A scope for names.',
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Secret',
    plural: 'secrets',
    singular: 'secret',
    shortNames: [],
    namespaced: true,
    categories: [],
    schema: secretSchema,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Data', type: 'integer', jsonPath: '.data', compute: (o) => Object.keys(rec(o.data)).length },
      AGE,
    ],
    hasStatus: false,
    readOnly: false,
    description: 'Credentials, e.g. for s3:// and gs:// storage (KServe keys and annotations).',
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    shortNames: ['sa'],
    namespaced: true,
    categories: [],
    schema: serviceAccountSchema,
    printerColumns: [{ name: 'Secrets', type: 'integer', jsonPath: '.secrets', compute: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, AGE],
    hasStatus: false,
    readOnly: false,
    description: 'Names the Secrets an InferenceService may use for its storage.',
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Pod',
    plural: 'pods',
    singular: 'pod',
    shortNames: ['po'],
    namespaced: true,
    categories: ['all'],
    schema: podSchema,
    printerColumns: [
      {
        name: 'Ready',
        type: 'string',
        jsonPath: '.status.containerStatuses[*].ready',
        description: 'Ready containers / all containers',
        compute: (o) => {
          const cs = arr(rec(o.status).containerStatuses);
          const total = Math.max(cs.length, arr(rec(o.spec).containers).length);
          return `${cs.filter((c) => c.ready === true).length}/${total}`;
        },
      },
      {
        name: 'Status',
        type: 'string',
        jsonPath: '.status.phase',
        // As kubectl's pod printer: Init:CrashLoopBackOff, a container's waiting reason, Terminating.
        compute: (o) => podCells(o).status,
      },
      {
        name: 'Restarts',
        type: 'integer',
        jsonPath: '.status.containerStatuses[*].restartCount',
        compute: (o) => podCells(o).restarts,
      },
      AGE,
      { name: 'IP', type: 'string', jsonPath: '.status.podIP', priority: 1 },
    ],
    hasStatus: true,
    readOnly: true,
    description: 'A local model-server replica (read-only view).',
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Event',
    plural: 'events',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    categories: [],
    schema: eventSchema,
    printerColumns: [
      {
        name: 'Last Seen',
        type: 'string',
        jsonPath: '.lastTimestamp',
        compute: (o, now) => {
          const t = o.lastTimestamp ?? o.eventTime ?? rec(o.metadata).creationTimestamp;
          return typeof t === 'string' ? humanDuration(now.getTime() - Date.parse(t)) : '<unknown>';
        },
      },
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      {
        name: 'Object',
        type: 'string',
        jsonPath: '.involvedObject.name',
        compute: (o) => {
          const io = rec(o.involvedObject);
          return `${String(io.kind ?? '').toLowerCase()}/${String(io.name ?? '')}`;
        },
      },
      { name: 'Message', type: 'string', jsonPath: '.message' },
      { name: 'Name', type: 'string', format: 'name', jsonPath: '.metadata.name', priority: 1 },
    ],
    hasStatus: false,
    readOnly: true,
    description: 'Something that happened to an object (read-only view).',
  },
];

/** "group/version", or "version" for the core group. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function apiVersionsOf(info: KindInfo): string[] {
  return info.versions.map((v) => apiVersionOf(info.group, v));
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The kind served at /api(s)/GROUP/VERSION/.../PLURAL, if any. */
export function findByResource(group: string, version: string, plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.group === group && k.plural === plural && k.versions.includes(version));
}

/** The kind an object's apiVersion and kind name, if served at that version. */
export function findByKind(apiVersion: string, kind: string): KindInfo | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  return KINDS.find((k) => k.group === group && k.kind === kind && k.versions.includes(version));
}

/**
 * Resolves what a user typed: plural, singular, short name or kind, any case,
 * optionally qualified as `name.group` or `name.version.group`.
 */
export function resolveResourceName(typed: string): KindInfo | undefined {
  const t = typed.toLowerCase();
  const names = (k: KindInfo) => [k.plural, k.singular, k.kind.toLowerCase(), ...k.shortNames];
  const bare = KINDS.find((k) => names(k).includes(t));
  if (bare) return bare;
  const dot = t.indexOf('.');
  if (dot < 0) return undefined;
  const head = t.slice(0, dot);
  const rest = t.slice(dot + 1);
  return KINDS.find((k) => {
    if (!names(k).includes(head)) return false;
    if (rest === k.group) return true;
    return k.versions.some((v) => rest === `${v}.${k.group}` || (k.group === '' && rest === v));
  });
}

/** Served group/versions, preferred version first within a group, for discovery. */
export function groupVersions(): { group: string; versions: string[] }[] {
  const out = new Map<string, string[]>();
  for (const k of KINDS) {
    const vs = out.get(k.group) ?? [];
    for (const v of k.versions) if (!vs.includes(v)) vs.push(v);
    out.set(k.group, vs);
  }
  return [...out].map(([group, versions]) => ({ group, versions }));
}
