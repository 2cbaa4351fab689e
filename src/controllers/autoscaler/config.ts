// InferenceService component fields + Knative autoscaling annotations → KpaConfig.
// KServe writes minReplicas/maxReplicas/scaleTarget/scaleMetric onto the
// Knative revision as min-scale/max-scale/target/metric annotations, so the
// fields win over annotations a user also set. Bad values never throw: they
// come back as problems for a status condition, and the default is used.
import { z } from 'zod';
import { parseGoDuration } from '../../core/duration.ts';
import { DEPLOYMENT_MODE_ANNOTATION, parseDeploymentMode } from '../../api/kinds/inferenceservice.ts';
import { kpaConfig, TARGET_MIN, type KpaConfig, type ScalingMode } from './knobs.ts';

export const AUTOSCALING_PREFIX = 'autoscaling.knative.dev/';

/** Current Knative keys, each with the camelCase spelling older Knative releases used. */
const KEYS = {
  class: ['class'],
  metric: ['metric'],
  target: ['target'],
  targetUtilization: ['target-utilization-percentage', 'targetUtilizationPercentage'],
  window: ['window'],
  panicWindow: ['panic-window-percentage', 'panicWindowPercentage'],
  panicThreshold: ['panic-threshold-percentage', 'panicThresholdPercentage'],
  retention: ['scale-to-zero-pod-retention-period'],
  minScale: ['min-scale', 'minScale'],
  maxScale: ['max-scale', 'maxScale'],
} as const;

/** Knative annotations this autoscaler does not implement: reported, never silently dropped. */
// initial-scale "0" is honoured by the local autoscaling adapter (a scale-to-zero revision may start at zero).
const UNSUPPORTED = ['initialScale', 'scale-down-delay', 'target-burst-capacity', 'targetBurstCapacity', 'activation-scale', 'min-activate-scale', 'metric-aggregation-algorithm'];

const KPA_CLASS = 'kpa.autoscaling.knative.dev';
const WINDOW_MIN_S = 6;
const WINDOW_MAX_S = 3600;

const componentScaling = z.looseObject({
  minReplicas: z.number().int().min(0).optional(),
  maxReplicas: z.number().int().min(0).optional(),
  scaleMetric: z.string().optional(),
  scaleTarget: z.number().min(1).optional(),
  containerConcurrency: z.number().int().min(0).max(1000).optional(),
});

export interface KpaConfigResult {
  config: KpaConfig;
  /** Invalid values, each naming the field or annotation; the default was used instead. */
  problems: string[];
  /** Settings that have no effect here, and why. */
  ignored: string[];
}

export interface KpaConfigOptions {
  /** Server-wide knobs (Knative's config-autoscaler ConfigMap): rates, grace period, local limit… */
  defaults?: Partial<KpaConfig>;
  /** Mode when the isvc has no deploymentMode annotation (KServe's inferenceservice-config default). */
  defaultDeploymentMode?: ScalingMode;
}

export function kpaConfigFromInferenceService(
  isvcComponentSpec: unknown,
  annotations: Record<string, string> | undefined,
  options: KpaConfigOptions = {},
): KpaConfigResult {
  const problems: string[] = [];
  const ignored: string[] = [];
  const ann = annotations ?? {};
  const c = kpaConfig({ ...(options.defaultDeploymentMode ? { mode: options.defaultDeploymentMode } : {}), ...options.defaults });

  const parsed = componentScaling.safeParse(isvcComponentSpec ?? {});
  const spec = parsed.success ? parsed.data : {};
  if (!parsed.success) for (const i of parsed.error.issues) problems.push(`spec.${i.path.join('.')}: ${i.message}`);

  const mode = ann[DEPLOYMENT_MODE_ANNOTATION];
  const parsedMode = parseDeploymentMode(mode);
  if (parsedMode) c.mode = parsedMode;
  else if (mode !== undefined) problems.push(`${DEPLOYMENT_MODE_ANNOTATION}: "${mode}" is not one of Knative, Serverless, Standard, RawDeployment`);

  const get = (names: readonly string[]): [string, string] | undefined => {
    for (const n of names) if (ann[AUTOSCALING_PREFIX + n] !== undefined) return [AUTOSCALING_PREFIX + n, ann[AUTOSCALING_PREFIX + n]!];
    return undefined;
  };
  const number = (names: readonly string[], lo: number, hi: number, what: string): number | undefined => {
    const kv = get(names);
    if (!kv) return undefined;
    const v = Number(kv[1]);
    if (kv[1].trim() === '' || !Number.isFinite(v)) problems.push(`${kv[0]}: "${kv[1]}" is not a number`);
    else if (v < lo || v > hi) problems.push(`${kv[0]}: "${kv[1]}" ${what}`);
    else return v;
    return undefined;
  };
  const seconds = (names: readonly string[], lo: number, hi: number, wholeSeconds: boolean): number | undefined => {
    const kv = get(names);
    if (!kv) return undefined;
    const ms = parseGoDuration(kv[1]);
    if (ms === undefined) problems.push(`${kv[0]}: "${kv[1]}" is not a duration (e.g. 60s, 2m, 1m30s)`);
    else if (ms < lo * 1000 || ms > hi * 1000) problems.push(`${kv[0]}: "${kv[1]}" must be between ${lo}s and ${hi / 60}m`);
    else if (wholeSeconds && ms % 1000 !== 0) problems.push(`${kv[0]}: "${kv[1]}" must be whole seconds`);
    else return ms / 1000;
    return undefined;
  };
  const integer = (names: readonly string[]): number | undefined => {
    const kv = get(names);
    if (!kv) return undefined;
    if (!/^\d+$/.test(kv[1].trim())) problems.push(`${kv[0]}: "${kv[1]}" must be a whole number ≥ 0`);
    else return Number(kv[1]);
    return undefined;
  };

  const cls = get(KEYS.class);
  if (cls && cls[1] !== KPA_CLASS && cls[1] !== 'kpa') ignored.push(`${cls[0]}: "${cls[1]}" — only the KPA runs locally`);

  // Metric: the field, else the annotation, else concurrency.
  const metricAnn = get(KEYS.metric);
  const metric = spec.scaleMetric ?? metricAnn?.[1];
  const metricWhere = spec.scaleMetric !== undefined ? 'spec.scaleMetric' : metricAnn?.[0];
  if (metric === 'concurrency' || metric === 'rps') c.metric = metric;
  else if (metric === 'cpu' || metric === 'memory') problems.push(`${metricWhere}: "${metric}" needs an HPA, which does not run locally; scaling on concurrency`);
  else if (metric !== undefined) problems.push(`${metricWhere}: "${metric}" is not one of concurrency, rps`);

  const targetAnn = number(KEYS.target, TARGET_MIN, Infinity, `must be at least ${TARGET_MIN}`);
  const target = spec.scaleTarget ?? targetAnn;
  if (target !== undefined) c.target = target;
  if (spec.containerConcurrency !== undefined) c.containerConcurrency = spec.containerConcurrency;
  c.targetUtilizationPercentage = number(KEYS.targetUtilization, 1, 100, 'must be between 1 and 100') ?? c.targetUtilizationPercentage;
  c.stableWindowSeconds = seconds(KEYS.window, WINDOW_MIN_S, WINDOW_MAX_S, true) ?? c.stableWindowSeconds;
  c.panicWindowPercentage = number(KEYS.panicWindow, 1, 100, 'must be between 1 and 100') ?? c.panicWindowPercentage;
  c.panicThresholdPercentage = number(KEYS.panicThreshold, 110, 1000, 'must be between 110 and 1000') ?? c.panicThresholdPercentage;
  c.scaleToZeroPodRetentionPeriodSeconds = seconds(KEYS.retention, 0, WINDOW_MAX_S, false) ?? c.scaleToZeroPodRetentionPeriodSeconds;

  const minAnn = integer(KEYS.minScale);
  const maxAnn = integer(KEYS.maxScale);
  c.minReplicas = spec.minReplicas ?? minAnn ?? c.minReplicas;
  c.maxReplicas = spec.maxReplicas ?? maxAnn ?? c.maxReplicas;
  if (c.maxReplicas > 0 && c.maxReplicas < c.minReplicas) {
    problems.push(`maxReplicas ${c.maxReplicas} is less than minReplicas ${c.minReplicas}; using maxReplicas ${c.minReplicas}`);
    c.maxReplicas = c.minReplicas;
  }
  if (c.minReplicas === 0 && c.mode === 'Standard') ignored.push('minReplicas 0: Standard (RawDeployment) mode never scales to zero; keeping 1 replica');

  for (const key of Object.keys(ann)) {
    if (!key.startsWith(AUTOSCALING_PREFIX)) continue;
    const name = key.slice(AUTOSCALING_PREFIX.length);
    if (name === 'initial-scale') {
      if (ann[key] !== '0') ignored.push(`${key}: only "0" (start a scale-to-zero revision at zero) is honoured locally`);
    } else if (UNSUPPORTED.includes(name)) ignored.push(`${key}: not implemented by the local autoscaler`);
    else if (!Object.values(KEYS).some((names) => (names as readonly string[]).includes(name))) ignored.push(`${key}: not a Knative autoscaling annotation`);
  }
  return { config: c, problems, ignored };
}

