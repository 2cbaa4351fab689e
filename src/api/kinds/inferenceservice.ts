// InferenceService (serving.kserve.io/v1beta1): the KServe fields Switchyard
// serves. canaryTrafficPercent is range-checked here although KServe is not.
import { z } from 'zod';
import { anyObject, condition, container, containerFields, invalid, kindObject, podSpecFields, podTemplateFields } from '../common.ts';
import { objectMetaWith } from '../meta.ts';
import { storageUri } from '../storage-uri.ts';

export const DEPLOYMENT_MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';
export const TAG_ROUTING_ANNOTATION = 'serving.kserve.io/enable-tag-routing';
export const DEPLOYMENT_MODES = ['Knative', 'Serverless', 'Standard', 'RawDeployment'] as const;
/**
 * The modes KServe writes to status.deploymentMode: Knative (revisions, may scale to zero) and
 * Standard (never scales to zero). Serverless and RawDeployment are their legacy names.
 */
export type DeploymentMode = 'Knative' | 'Standard';
/** The mode without an annotation (KServe's inferenceservice-config defaultDeploymentMode). */
export const DEFAULT_DEPLOYMENT_MODE: DeploymentMode = 'Knative';

/** The mode an annotation value names, legacy names read as KServe reads them; undefined for none. */
export function parseDeploymentMode(value: string | undefined): DeploymentMode | undefined {
  if (value === 'Knative' || value === 'Serverless') return 'Knative';
  if (value === 'Standard' || value === 'RawDeployment') return 'Standard';
  return undefined;
}
/**
 * Revisions kept warm until a time, as JSON `{"REVISION": "RFC 3339 time"}` (a TrafficPlan's
 * rollback.keepWarm writes it). Past its time a revision that carries no traffic may scale to
 * zero, as Knative does with revisions no route sends traffic to; the activator still wakes it.
 */
export const KEEP_WARM_ANNOTATION = 'switchyard.dev/keep-warm-until';

/**
 * A shadow: this percent (0 < p ≤ 100) of the requests the predictor's split answers is copied to
 * the latest created revision, whose answers never reach the client (a TrafficPlan's shadow phase
 * writes it with canaryTrafficPercent 0). Switchyard's own: KServe has no mirror field.
 */
export const SHADOW_ANNOTATION = 'switchyard.dev/shadow-percent';

/**
 * A bandit's allocation version, written by its TrafficPlan on the InferenceService or
 * VirtualService whose split it sets: requests then log the version and the served arm's
 * probability under it (propensity), for off-policy estimates.
 */
export const ALLOCATION_ANNOTATION = 'switchyard.dev/allocation-version';

/** The allocation version, or undefined when unset or not a whole number. */
export function parseAllocationVersion(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** The shadow percent, undefined when unset, or an error. */
export function parseShadowPercent(value: string | undefined): number | undefined | { error: string } {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0 && n <= 100)) return { error: 'must be a number of percent above 0 and at most 100, e.g. "25"' };
  return n;
}

export type KeepWarm = { ok: true; until: Record<string, number> } | { ok: false; error: string };

/** The keep-warm deadlines (epoch ms by revision), or why the annotation is not valid. */
export function parseKeepWarm(value: string | undefined): KeepWarm {
  if (value === undefined || value === '') return { ok: true, until: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, error: 'must be a JSON object of revision name to RFC 3339 time, e.g. {"fraud-predictor-00002":"2026-12-07T10:00:00Z"}' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'must be a JSON object of revision name to RFC 3339 time' };
  const out: Record<string, number> = {};
  for (const [rev, at] of Object.entries(parsed)) {
    const ms = typeof at === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(at) ? Date.parse(at) : NaN;
    if (!Number.isFinite(ms)) return { ok: false, error: `revision "${rev}": "${String(at)}" is not an RFC 3339 time` };
    out[rev] = ms;
  }
  return { ok: true, until: out };
}

const ISVC_NAME = '[a-z]([-a-z0-9]*[a-z0-9])?';
const isvcNameRe = new RegExp(`^${ISVC_NAME}$`);

/** KServe requires a DNS-1035 label: the name becomes part of hosts like NAME-predictor.NS. */
function isvcNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 63) errs.push('must be no more than 63 characters');
  if (!isvcNameRe.test(name)) {
    errs.push(
      `a InferenceService name must consist of lower case alphanumeric characters or '-', and must start with alphabetical character. (e.g. "my-name" or "abc-123", regex used for validation is '${ISVC_NAME}')`,
    );
  }
  return errs;
}

const isvcMeta = objectMetaWith(isvcNameErrors).superRefine((meta, ctx) => {
  const ann = meta.annotations ?? {};
  const mode = ann[DEPLOYMENT_MODE_ANNOTATION];
  if (mode !== undefined && !(DEPLOYMENT_MODES as readonly string[]).includes(mode)) {
    invalid(ctx, ['annotations', DEPLOYMENT_MODE_ANNOTATION], mode, `supported values: ${DEPLOYMENT_MODES.map((m) => `"${m}"`).join(', ')}`, 'FieldValueNotSupported');
  }
  const tags = ann[TAG_ROUTING_ANNOTATION];
  if (tags !== undefined && tags !== 'true' && tags !== 'false') {
    invalid(ctx, ['annotations', TAG_ROUTING_ANNOTATION], tags, 'supported values: "true", "false"', 'FieldValueNotSupported');
  }
  const warm = parseKeepWarm(ann[KEEP_WARM_ANNOTATION]);
  if (!warm.ok) invalid(ctx, ['annotations', KEEP_WARM_ANNOTATION], ann[KEEP_WARM_ANNOTATION], warm.error, 'FieldValueInvalid');
  const shadow = parseShadowPercent(ann[SHADOW_ANNOTATION]);
  if (typeof shadow === 'object') invalid(ctx, ['annotations', SHADOW_ANNOTATION], ann[SHADOW_ANNOTATION], shadow.error, 'FieldValueInvalid');
});

export const protocolVersion = z.enum(['v1', 'v2', 'grpc-v2']).describe('Inference protocol: v1 (KServe V1), v2 (Open Inference Protocol over REST) or grpc-v2.');

const modelFormat = z
  .strictObject({
    name: z.string().min(1).describe('Name of the model format, e.g. onnx, sklearn, xgboost.'),
    version: z.string().optional().describe('Version of the model format.'),
  })
  .describe('The format of the model; used to pick a ServingRuntime that supports it.');

/** Fields every model spec shares (the new `model:` form and the framework shorthands). */
const modelFields = {
  ...containerFields,
  runtime: z.string().optional().describe('Name of a ServingRuntime or ClusterServingRuntime to use; auto-selected by modelFormat when empty.'),
  runtimeVersion: z.string().optional(),
  storageUri: storageUri
    .optional()
    .describe('Where the model artifact lives: pvc://CLAIM/path (under the data dir\'s volumes/), file:///absolute/path, http://… or https://… (downloaded), s3://BUCKET/path or gs://BUCKET/path (credentials from a Secret, docs/storage.md); other schemes are refused.'),
  storage: anyObject.optional(),
  protocolVersion: protocolVersion.optional().describe('Inference protocol; when unset v1 for automatic runtime selection, else the named runtime\'s (v2 for MLServer).'),
};

const modelSpec = z.strictObject({ ...modelFields, modelFormat }).describe('The model to serve: format, runtime and artifact location.');
const frameworkSpec = z.strictObject(modelFields);

const logger = z
  .strictObject({
    mode: z.enum(['all', 'request', 'response']).default('all').describe('What to log: all, request or response.'),
    url: z.string().optional().describe('Sink that receives the logged payloads as CloudEvents.'),
  })
  .describe('Payload logging for this component.');

const batcher = z.strictObject({
  maxBatchSize: z.number().int().min(1).optional(),
  maxLatency: z.number().int().min(1).optional(),
  timeout: z.number().int().min(1).optional(),
});

/** Fields common to predictor, transformer and explainer (KServe ComponentExtensionSpec + PodSpec bits). */
const componentFields = {
  minReplicas: z.number().int().min(0).default(1).describe('Minimum number of replicas; 0 allows scale to zero.'),
  maxReplicas: z.number().int().min(0).optional().describe('Maximum number of replicas for autoscaling.'),
  scaleMetric: z.enum(['cpu', 'memory', 'concurrency', 'rps']).optional().describe('Metric the autoscaler follows: cpu, memory, concurrency or rps.'),
  scaleTarget: z.number().int().min(1).optional().describe('Target value of scaleMetric per replica.'),
  containerConcurrency: z.number().int().min(0).optional().describe('Maximum concurrent requests per replica; 0 means unlimited.'),
  timeout: z.number().int().min(1).optional().describe('Request timeout in seconds.'),
  canaryTrafficPercent: z
    .number()
    .int()
    .min(0, { error: 'must be between 0 and 100 (percent of traffic sent to the latest revision)' })
    .max(100, { error: 'must be between 0 and 100 (percent of traffic sent to the latest revision)' })
    .optional()
    .describe('Percent of traffic sent to the latest ready revision; the rest goes to the last rolled-out revision.'),
  logger: logger.optional(),
  batcher: batcher.optional(),
  serviceAccountName: z.string().optional().describe('Service account the component runs as.'),
  containers: z.array(container).optional().describe('Custom containers (custom predictor, transformer or explainer).'),
  ...podTemplateFields,
  ...podSpecFields,
  deploymentStrategy: anyObject.optional(),
  scaleMetricType: z.enum(['Utilization', 'Value', 'AverageValue']).optional().describe('How scaleTarget is read by an HPA; ignored by switchyard up\'s autoscaler, which reads scaleTarget per replica.'),
  autoScaling: anyObject.optional().describe('KServe\'s HPA/KEDA metric list: not supported by switchyard up (use scaleMetric and scaleTarget).'),
};

/** KServe fields switchyard up cannot honour on one machine: refused by name with the reason, never ignored. */
const UNSUPPORTED_COMPONENT_FIELDS: Record<string, string> = {
  autoScaling: 'HPA/KEDA metric lists are not supported by switchyard up: set scaleMetric (concurrency, rps, cpu or memory) and scaleTarget',
  workerSpec: 'multi-node workers are not supported by switchyard up: each replica is one local process',
  storageUris: 'several storage URIs are not supported by switchyard up: set storageUri on the model',
};

function refuseUnsupported(c: Record<string, unknown>, ctx: Parameters<typeof invalid>[0]): void {
  for (const [field, why] of Object.entries(UNSUPPORTED_COMPONENT_FIELDS)) {
    if (c[field] !== undefined) invalid(ctx, [field], c[field], why, 'FieldValueNotSupported');
  }
}

/** KServe's framework shorthands for a predictor (`sklearn: {storageUri}` …), in the order the first one set is served. */
export const PREDICTOR_FRAMEWORKS = ['sklearn', 'xgboost', 'tensorflow', 'pytorch', 'onnx', 'triton', 'lightgbm', 'pmml', 'paddle', 'huggingface'] as const;

const predictor = z
  .strictObject({
    ...componentFields,
    model: modelSpec.optional(),
    ...Object.fromEntries(PREDICTOR_FRAMEWORKS.map((f) => [f, frameworkSpec.optional()])),
    name: z.string().optional().describe('The predictor container\'s name in a cluster; ignored by switchyard up.'),
    workerSpec: anyObject.optional().describe('Multi-node workers: not supported by switchyard up.'),
    storageUris: z.array(anyObject).optional().describe('Several model locations: not supported by switchyard up (set model.storageUri).'),
    storageContainerName: z.string().optional().describe('The storage initializer\'s container name in a cluster; ignored by switchyard up, which downloads models itself.'),
  })
  .superRefine((p, ctx) => {
    const set = ['model', 'containers', ...PREDICTOR_FRAMEWORKS].filter((k) => (p as Record<string, unknown>)[k] !== undefined);
    if (set.length === 0) invalid(ctx, [], undefined, 'predictor must set model, containers or a framework (e.g. sklearn)', 'FieldValueRequired');
    refuseUnsupported(p, ctx);
  })
  .describe('The model server: required.');

const auxComponent = (what: string) =>
  z
    .strictObject({ ...componentFields, ...(what === 'explainer' ? { art: frameworkSpec.optional(), alibi: frameworkSpec.optional() } : {}) })
    .superRefine((c, ctx) => refuseUnsupported(c, ctx))
    .describe(`Optional ${what}, run in front of (transformer) or beside (explainer) the predictor.`);

export const inferenceServiceSpec = z.strictObject({
  predictor,
  transformer: auxComponent('transformer').optional(),
  explainer: auxComponent('explainer').optional(),
});

const trafficTarget = z.looseObject({
  tag: z.string().optional(),
  revisionName: z.string().optional(),
  configurationName: z.string().optional(),
  latestRevision: z.boolean().optional(),
  percent: z.number().int().optional(),
  url: z.string().optional(),
});

const componentStatus = z.looseObject({
  latestReadyRevision: z.string().optional(),
  latestCreatedRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  traffic: z.array(trafficTarget).optional(),
  url: z.string().optional(),
  restUrl: z.string().optional(),
  grpcUrl: z.string().optional(),
  address: z.looseObject({ url: z.string().optional() }).optional(),
});

export const inferenceServiceStatus = z.looseObject({
  observedGeneration: z.number().int().optional(),
  url: z.string().optional(),
  address: z.looseObject({ url: z.string().optional() }).optional(),
  conditions: z.array(condition).optional(),
  components: z.record(z.string(), componentStatus).optional(),
  modelStatus: anyObject.optional(),
  deploymentMode: z.string().optional(),
});

export const inferenceServiceSchema = kindObject({
  apiVersions: ['serving.kserve.io/v1beta1'],
  kind: 'InferenceService',
  meta: isvcMeta,
  spec: inferenceServiceSpec,
  status: inferenceServiceStatus,
}).describe('InferenceService is the Schema for the InferenceServices API: a model served by a predictor, with optional transformer and explainer.');

export type InferenceService = z.infer<typeof inferenceServiceSchema>;
export type InferenceServiceSpec = z.infer<typeof inferenceServiceSpec>;
