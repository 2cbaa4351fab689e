// Knative Pod Autoscaler for local replicas: pure decisions, caller-kept
// state, and the runner that applies them once a second.
export { decide, initialAutoscalerState, record, type AutoscalerState, type Decision, type PodCounts } from './kpa.ts';
export { KPA_DEFAULTS, kpaConfig, panicWindowSeconds, replicaBounds, resolveTarget, type KpaConfig, type ScaleMetric, type ScalingMode } from './knobs.ts';
export { kpaConfigFromInferenceService, type KpaConfigOptions, type KpaConfigResult } from './config.ts';
export type { Sample } from './metrics.ts';
export { LocalAutoscaler, type AutoscalingOptions } from './runner.ts';
