// From a predictor spec and its runtime to the template of a revision: the
// command line with KServe-style placeholders, env, readiness path, scaling.
// The fingerprint of a template decides whether a spec change is a new
// revision: like a Knative Service template, it covers everything the pods
// run (model, runtime container, scaling annotations), never traffic
// (canaryTrafficPercent) nor the InferenceService's own metadata.
import { sha256Hex } from '../../core/canonical.ts';
import { PREDICTOR_FRAMEWORKS, type InferenceServiceSpec } from '../../api/kinds/inferenceservice.ts';
import { selectRuntime, type ModelFormat, type Selection } from './runtime-select.ts';
import { lowestProtocol, SERVER_TYPE_ANNOTATION, serverDefaults, withDefaultArgs } from './server-type.ts';
import type { RevisionTemplate, RuntimeCandidate } from './types.ts';

type Predictor = InferenceServiceSpec['predictor'];

/** KServe's storageSecretNameAnnotation: the Secret the storage initializer uses, before the service account's. */
export const STORAGE_SECRET_ANNOTATION = 'serving.kserve.io/storageSecretName';
type Container = NonNullable<Predictor['containers']>[number];
type FrameworkSpec = Omit<NonNullable<Predictor['model']>, 'modelFormat'>;

/** What the predictor asks to run, whichever of KServe's spellings it uses. */
export type PredictorModel =
  | { kind: 'model'; format: ModelFormat; runtime?: string; storageUri?: string; protocolVersion?: string; overrides: Container }
  | { kind: 'container'; container: Container; protocolVersion: string };

export function predictorModel(p: Predictor): PredictorModel {
  if (p.model) {
    const { modelFormat, runtime, storageUri, protocolVersion, runtimeVersion: _v, storage: _s, ...overrides } = p.model;
    return { kind: 'model', format: modelFormat, overrides, ...(protocolVersion ? { protocolVersion } : {}), ...(runtime ? { runtime } : {}), ...(storageUri ? { storageUri } : {}) };
  }
  for (const fw of PREDICTOR_FRAMEWORKS) {
    const spec = (p as Record<string, unknown>)[fw] as FrameworkSpec | undefined;
    if (spec) {
      const { runtime, storageUri, protocolVersion, runtimeVersion: _v, storage: _s, ...overrides } = spec;
      return { kind: 'model', format: { name: fw }, overrides, ...(protocolVersion ? { protocolVersion } : {}), ...(runtime ? { runtime } : {}), ...(storageUri ? { storageUri } : {}) };
    }
  }
  const container = p.containers?.[0] ?? {};
  return { kind: 'container', container, protocolVersion: 'v1' };
}

export function selectFor(model: PredictorModel, runtimes: RuntimeCandidate[]): Selection | undefined {
  if (model.kind !== 'model') return undefined;
  return selectRuntime({ format: model.format, ...(model.protocolVersion ? { protocolVersion: model.protocolVersion } : {}), ...(model.runtime ? { runtime: model.runtime } : {}) }, runtimes);
}

/** What KServe's runtime templates may refer to: {{.Name}}, {{.Namespace}}, {{.Labels.X}}, {{.Annotations.X}}. */
interface TemplateVars {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function substitute(s: string, v: TemplateVars): string {
  return s
    .replaceAll('{{.Name}}', v.name)
    .replaceAll('{{.Namespace}}', v.namespace)
    .replace(/\{\{\.(Labels|Annotations)\.([A-Za-z0-9_.\/-]+)\}\}/g, (_m, kind: string, key: string) => (kind === 'Labels' ? v.labels : v.annotations)[key] ?? '');
}

/** Env as KServe merges containers: the InferenceService's entries win by name. */
function mergedEnv(base: Container['env'], over: Container['env'], v: TemplateVars): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of [...(base ?? []), ...(over ?? [])]) if (e.value !== undefined) env[e.name] = substitute(e.value, v);
  return env;
}

function readinessPath(c: Container, protocol: string, v: TemplateVars): string {
  const probe = c.readinessProbe as { httpGet?: { path?: unknown } } | undefined;
  const path = probe?.httpGet?.path;
  if (typeof path === 'string' && path.startsWith('/')) return substitute(path, v);
  return protocol === 'v1' ? `/v1/models/${v.name}` : '/v2/health/ready';
}

export interface TemplateInput {
  namespace: string;
  isvc: string;
  predictor: Predictor;
  model: PredictorModel;
  /** The selected runtime (model form only). */
  runtime?: RuntimeCandidate;
  /** The InferenceService's metadata, for {{.Labels.X}} and {{.Annotations.X}} in the runtime. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The template minus its revision name. Errors are returned as a message a person can act on. */
export function buildTemplate(input: TemplateInput): Omit<RevisionTemplate, 'revision'> | { error: string } {
  const { namespace, isvc: name, predictor: p, model } = input;
  const vars: TemplateVars = { name, namespace, labels: { ...input.labels }, annotations: { ...input.annotations } };
  let container: Container;
  let runtime: RevisionTemplate['runtime'];
  let env: Record<string, string>;
  let protocolVersion: string;
  if (model.kind === 'model') {
    if (!input.runtime) return { error: 'no runtime was selected' };
    const base = input.runtime.spec.containers[0]!;
    const o = model.overrides;
    const defaults = serverDefaults(input.runtime.annotations?.[SERVER_TYPE_ANNOTATION], model.format, name, model.storageUri !== undefined);
    Object.assign(vars.labels, defaults.labels);
    // As KServe's strategic merge of the runtime container with the model's: set lists replace.
    container = { ...base, ...(o.command ? { command: o.command } : {}), ...(o.args ? { args: o.args } : {}), ...(o.workingDir ? { workingDir: o.workingDir } : {}) };
    container = { ...container, args: withDefaultArgs(container.args ?? [], defaults.args) };
    runtime = { kind: input.runtime.kind, name: input.runtime.name };
    env = { ...defaults.env, ...mergedEnv(base.env, o.env, vars) };
    protocolVersion = model.protocolVersion ?? defaults.protocolVersion ?? lowestProtocol(input.runtime.spec.protocolVersions);
  } else {
    container = model.container;
    runtime = { kind: 'InferenceService', name };
    env = mergedEnv(container.env, [], vars);
    protocolVersion = model.protocolVersion;
  }
  const command = [...(container.command ?? []), ...(container.args ?? [])].map((s) => substitute(s, vars));
  if (command.length === 0) {
    return { error: `the ${runtime.kind === 'InferenceService' ? 'predictor container' : `runtime ${runtime.name}`} has no command: a local runtime runs container.command (and args) as a process` };
  }
  return {
    namespace, isvc: name, component: 'predictor', runtime, modelName: name,
    protocolVersion,
    ...(model.kind === 'model' && model.storageUri ? { storageUri: model.storageUri } : {}),
    ...(model.kind === 'model' && model.storageUri && p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
    ...(model.kind === 'model' && model.storageUri && vars.annotations[STORAGE_SECRET_ANNOTATION] ? { storageSecretName: vars.annotations[STORAGE_SECRET_ANNOTATION] } : {}),
    command, env,
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    readinessPath: readinessPath(container, protocolVersion, vars),
    scaling: scalingOf(p),
  };
}

/** Same fingerprint, same revision; any difference in what runs is a new one. */
export function templateFingerprint(t: Omit<RevisionTemplate, 'revision'>): string {
  return sha256Hex(t).slice(0, 16);
}

/** Knative's revision names: NAME-predictor-00001. */
export function revisionName(isvc: string, component: string, n: number): string {
  return `${isvc}-${component}-${String(n).padStart(5, '0')}`;
}

/**
 * How many replicas a revision runs. The autoscaler (src/controllers/autoscaler)
 * will replace this with its KPA decision; until then, minReplicas with at
 * least one replica (scale to zero needs the activator).
 */
export function desiredReplicas(revision: Pick<RevisionTemplate, 'scaling'>): number {
  return Math.max(1, revision.scaling.minReplicas);
}

type AuxSpec = NonNullable<InferenceServiceSpec['transformer']>;

/** KServe appends these to a transformer's or explainer's container args unless the user set them. */
function withKServeArgs(args: string[], name: string, predictorHost: string): string[] {
  return withDefaultArgs(args, [['--model_name', name], ['--predictor_host', predictorHost], ['--http_port', '{{.Port}}']]);
}

/**
 * A transformer or explainer: the component's first container run as a local
 * process that reaches the predictor at `predictorHost`, as KServe wires it.
 */
export function buildAuxTemplate(namespace: string, name: string, component: 'transformer' | 'explainer', spec: AuxSpec, predictorHost: string): Omit<RevisionTemplate, 'revision'> | { error: string } {
  const container = spec.containers?.[0];
  if (!container) return { error: `spec.${component}.containers[0] is required: a local ${component} runs its container's command as a process` };
  const base = [...(container.command ?? []), ...(container.args ?? [])];
  if (base.length === 0) return { error: `spec.${component}.containers[0] has no command: a local ${component} runs container.command (and args) as a process` };
  const vars: TemplateVars = { name, namespace, labels: {}, annotations: {} };
  const command = withKServeArgs(base, name, predictorHost).map((s) => substitute(s, vars));
  return {
    namespace, isvc: name, component, runtime: { kind: 'InferenceService', name }, modelName: name, protocolVersion: 'v1',
    command, env: { ...mergedEnv(container.env, [], vars), PREDICTOR_HOST: predictorHost },
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    readinessPath: readinessPath(container, 'v1', vars),
    scaling: scalingOf(spec),
  };
}

/** The scaling knobs a component spec sets (the autoscaler reads them from the template). */
function scalingOf(c: Pick<Predictor, 'minReplicas' | 'maxReplicas' | 'scaleMetric' | 'scaleTarget' | 'containerConcurrency'>): RevisionTemplate['scaling'] {
  return {
    minReplicas: c.minReplicas ?? 1,
    ...(c.maxReplicas !== undefined ? { maxReplicas: c.maxReplicas } : {}),
    ...(c.scaleMetric !== undefined ? { scaleMetric: c.scaleMetric } : {}),
    ...(c.scaleTarget !== undefined ? { scaleTarget: c.scaleTarget } : {}),
    ...(c.containerConcurrency !== undefined ? { containerConcurrency: c.containerConcurrency } : {}),
  };
}
