// Building blocks shared by the kind schemas: Kubernetes-shaped sub-objects
// (env, resources, ports), duration and quantity formats, and the helper that
// assembles a whole object (apiVersion, kind, metadata, spec, status).
import { z } from 'zod';
import { GO_DURATION } from '../core/duration.ts';
import { compileRegex } from '../core/re2.ts';
import { objectMeta } from './meta.ts';

export const duration = z
  .string()
  .regex(GO_DURATION, { error: 'must be a duration like 30s, 10m, 24h or 1h30m' });

/**
 * An RE2 pattern the gateway can run: compiled at admission as the gateway compiles it (anchored,
 * no backreferences, lookaround or nested unbounded repeats), so a bad one is a 422 naming the
 * field, not a route that never matches or a pattern that backtracks on every request.
 */
export const re2Pattern = z.string().superRefine((p, ctx) => {
  const r = compileRegex(p);
  if ('error' in r) invalid(ctx, [], p, r.error);
});

/** Kubernetes resource.Quantity: accepted as a string ("500m", "1Gi") or a number. */
export const quantity = z.union([
  z.string().regex(/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/, {
    error: 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  }),
  z.number(),
]);

export const stringMap = z.record(z.string(), z.string());

/** Anything: used for server-written or pass-through parts we do not model. */
export const anyObject = z.record(z.string(), z.unknown());

/** Pod template fields KServe passes through to the pods (accepted and kept; local pods do not use them). */
export const podTemplateFields = {
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  nodeSelector: stringMap.optional(),
  tolerations: z.array(anyObject).optional(),
  affinity: anyObject.optional(),
  volumes: z.array(anyObject).optional(),
  imagePullSecrets: z.array(anyObject).optional(),
};

/**
 * The rest of a Kubernetes PodSpec as KServe's components inline it: accepted so a cluster's manifest
 * applies unchanged, and ignored by `switchyard up`, which runs replicas as local processes (no pod to
 * schedule, secure or name). Typed as KServe's CRD types them, so `kubectl explain` reads the same.
 */
export const podSpecFields = {
  activeDeadlineSeconds: z.number().int().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  dnsConfig: anyObject.optional(),
  dnsPolicy: z.string().optional(),
  enableServiceLinks: z.boolean().optional(),
  hostAliases: z.array(anyObject).optional(),
  hostIPC: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  hostname: z.string().optional(),
  hostnameOverride: z.string().optional(),
  initContainers: z.array(anyObject).optional(),
  nodeName: z.string().optional(),
  os: anyObject.optional(),
  overhead: z.record(z.string(), quantity).optional(),
  preemptionPolicy: z.string().optional(),
  priority: z.number().int().optional(),
  priorityClassName: z.string().optional(),
  readinessGates: z.array(anyObject).optional(),
  resourceClaims: z.array(anyObject).optional(),
  resources: anyObject.optional(),
  restartPolicy: z.string().optional(),
  runtimeClassName: z.string().optional(),
  schedulerName: z.string().optional(),
  schedulingGates: z.array(anyObject).optional(),
  securityContext: anyObject.optional(),
  serviceAccount: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  subdomain: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
  topologySpreadConstraints: z.array(anyObject).optional(),
};

export const resourceRequirements = z
  .strictObject({
    limits: z.record(z.string(), quantity).optional(),
    requests: z.record(z.string(), quantity).optional(),
    claims: z.array(anyObject).optional(),
  })
  .describe('Compute resources (cpu, memory, nvidia.com/gpu) requested and limited for the container.');

export const envVar = z.strictObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: anyObject.optional(),
});

export const containerPort = z.strictObject({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
});

/** The subset of a core/v1 Container that Switchyard uses; other Pod-level fields pass through loosely. */
export const containerFields = {
  name: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(envVar).optional(),
  ports: z.array(containerPort).optional(),
  resources: resourceRequirements.optional(),
  workingDir: z.string().optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  volumeMounts: z.array(anyObject).optional(),
  readinessProbe: anyObject.optional(),
  livenessProbe: anyObject.optional(),
  startupProbe: anyObject.optional(),
  securityContext: anyObject.optional(),
  // Accepted as a cluster accepts them; a local process has no terminal, lifecycle hooks or devices to give.
  envFrom: z.array(anyObject).optional(),
  lifecycle: anyObject.optional(),
  resizePolicy: z.array(anyObject).optional(),
  restartPolicy: z.string().optional(),
  restartPolicyRules: z.array(anyObject).optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.string().optional(),
  tty: z.boolean().optional(),
  volumeDevices: z.array(anyObject).optional(),
  confidential: anyObject.optional(),
};

export const container = z.strictObject(containerFields);

/** metav1.Condition-like entry as KServe/Knative write them. */
export const condition = z.looseObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().optional(),
  message: z.string().optional(),
  severity: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

/** A Kubernetes reason string attached to custom issues so validate.ts can map them. */
export interface IssueParams {
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden';
  value?: unknown;
}

export type RefineCtx = { addIssue: (issue: { code: 'custom'; message: string; path?: PropertyKey[]; params?: Record<string, unknown>; input?: unknown }) => void };

/** Adds a Kubernetes-style "Invalid value" issue at a relative path. */
export function invalid(ctx: RefineCtx, path: PropertyKey[], value: unknown, detail: string, reason: IssueParams['reason'] = 'FieldValueInvalid'): void {
  ctx.addIssue({ code: 'custom', message: detail, path, params: { reason, value }, input: value });
}

/** Exactly one of the given keys must be set (Istio oneofs, plan phases). */
export function exactlyOne<T extends Record<string, unknown>>(keys: string[], what: string) {
  return (value: T, ctx: RefineCtx): void => {
    const set = keys.filter((k) => value[k] !== undefined);
    if (set.length !== 1) {
      const detail = set.length === 0 ? `must set exactly one of ${keys.join(', ')}` : `must set exactly one of ${keys.join(', ')}, got ${set.join(' and ')}`;
      ctx.addIssue({ code: 'custom', message: `${what} ${detail}`, path: [], params: { reason: set.length === 0 ? 'FieldValueRequired' : 'FieldValueInvalid' } });
    }
  };
}

/** The whole object for a kind. apiVersion must be one of the served versions. */
export function kindObject<Spec extends z.ZodType, Status extends z.ZodType>(opts: {
  apiVersions: string[];
  kind: string;
  meta?: z.ZodType;
  spec?: Spec;
  status?: Status;
  extra?: Record<string, z.ZodType>;
}) {
  const [first, ...rest] = opts.apiVersions;
  if (first === undefined) throw new Error(`kind ${opts.kind} has no apiVersions`);
  return z.strictObject({
    apiVersion: z.enum([first, ...rest]).describe('APIVersion defines the versioned schema of this representation of an object.'),
    kind: z.literal(opts.kind).describe('Kind is a string value representing the REST resource this object represents.'),
    metadata: (opts.meta ?? objectMeta).describe("Standard object's metadata."),
    ...(opts.spec ? { spec: opts.spec } : {}),
    ...(opts.status ? { status: opts.status.optional() } : {}),
    ...(opts.extra ?? {}),
  });
}
