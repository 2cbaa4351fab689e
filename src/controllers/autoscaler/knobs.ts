// The knobs of the Knative Pod Autoscaler and their defaults. Names and
// defaults follow Knative's config-autoscaler ConfigMap and per-revision
// annotations (knative.dev/serving pkg/autoscaler/config); see docs/autoscaling.md.

import { DEFAULT_DEPLOYMENT_MODE, type DeploymentMode } from '../../api/kinds/inferenceservice.ts';

export type ScaleMetric = 'concurrency' | 'rps';
/** Knative (legacy Serverless) may scale to zero; Standard (legacy RawDeployment) never does. */
export type ScalingMode = DeploymentMode;

export interface KpaConfig {
  mode: ScalingMode;
  metric: ScaleMetric;
  /** autoscaling.knative.dev/target (KServe: scaleTarget): per-replica soft target before utilization. */
  target?: number;
  /** Hard per-replica concurrency limit; 0 = unlimited. Caps the concurrency target. */
  containerConcurrency: number;
  /** Share of the target the autoscaler aims for, in percent (1–100). */
  targetUtilizationPercentage: number;
  /** Concurrency target when neither target nor containerConcurrency is set. */
  containerConcurrencyTargetDefault: number;
  /** rps target when no target is set. */
  rpsTargetDefault: number;
  minReplicas: number;
  /** 0 = no bound of its own: localReplicaLimit applies. */
  maxReplicas: number;
  /** Ceiling when maxReplicas is 0: this is one machine, not a cluster. */
  localReplicaLimit: number;
  stableWindowSeconds: number;
  /** Panic window as a percentage of the stable window (1–100). */
  panicWindowPercentage: number;
  /** Panic when the panic-window replica count reaches this percentage of ready replicas (110–1000). */
  panicThresholdPercentage: number;
  /** At most ceil(rate × ready) replicas per decision. */
  maxScaleUpRate: number;
  /** At least floor(ready / rate) replicas per decision. */
  maxScaleDownRate: number;
  /** Cluster-wide switch (Knative enable-scale-to-zero). */
  enableScaleToZero: boolean;
  /** How long the revision sits inactive (requests go to the activator) before its last replica stops. */
  scaleToZeroGracePeriodSeconds: number;
  /** Minimum time the last replica is kept after the revision turned inactive. */
  scaleToZeroPodRetentionPeriodSeconds: number;
}

export const KPA_DEFAULTS: KpaConfig = {
  mode: DEFAULT_DEPLOYMENT_MODE,
  metric: 'concurrency',
  containerConcurrency: 0,
  targetUtilizationPercentage: 70,
  containerConcurrencyTargetDefault: 100,
  rpsTargetDefault: 200,
  minReplicas: 1,
  maxReplicas: 0,
  localReplicaLimit: 8,
  stableWindowSeconds: 60,
  panicWindowPercentage: 10,
  panicThresholdPercentage: 200,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  enableScaleToZero: true,
  scaleToZeroGracePeriodSeconds: 30,
  scaleToZeroPodRetentionPeriodSeconds: 0,
};

/** Knative's lowest permitted target (autoscaling.TargetMin). */
export const TARGET_MIN = 0.01;

export function kpaConfig(overrides: Partial<KpaConfig> = {}): KpaConfig {
  return { ...KPA_DEFAULTS, ...overrides };
}

/**
 * Knative's ResolveMetricTarget: the value one replica should carry. A target
 * annotation replaces the default; for concurrency a containerConcurrency
 * below it wins, since aiming above the hard limit is pointless.
 */
export function resolveTarget(c: KpaConfig): { target: number; total: number } {
  let total: number;
  if (c.metric === 'rps') total = c.rpsTargetDefault;
  else total = c.containerConcurrency > 0 ? c.containerConcurrency : c.containerConcurrencyTargetDefault;
  if (c.target !== undefined) {
    total = c.metric === 'concurrency' && c.containerConcurrency > 0 ? Math.min(c.target, c.containerConcurrency) : c.target;
  }
  const target = Math.max(TARGET_MIN, roundTo6((total * c.targetUtilizationPercentage) / 100));
  return { target, total };
}

/** Knative's MakeMetric: a percentage of the stable window, whole seconds, at least one. */
export function panicWindowSeconds(c: KpaConfig): number {
  return Math.max(1, Math.round((c.stableWindowSeconds * c.panicWindowPercentage) / 100));
}

/** The replica bounds: Standard mode and a disabled scale-to-zero never go below one. */
export function replicaBounds(c: KpaConfig): { min: number; max: number } {
  const max = c.maxReplicas > 0 ? c.maxReplicas : c.localReplicaLimit;
  const min = Math.min(max, c.minReplicas === 0 && !canScaleToZero(c) ? 1 : c.minReplicas);
  return { min, max };
}

export function canScaleToZero(c: KpaConfig): boolean {
  return c.mode === 'Knative' && c.minReplicas === 0 && c.enableScaleToZero;
}

// Float noise (3 × 0.7 = 2.0999999999999996) must not tip a ceil() into an
// extra replica; Knative rounds its averages to six digits for the same reason.
export function roundTo6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
