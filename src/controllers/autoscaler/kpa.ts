// Knative Pod Autoscaler decisions as pure functions. The decider follows
// knative.dev/serving pkg/autoscaler/scaling/autoscaler.go (stable and panic
// windows, rate limits, panic hold); the bounds and scale-to-zero steps follow
// pkg/reconciler/autoscaling/kpa/scaler.go (applyBounds, handleScaleToZero).
// The caller keeps the state, records one sample per second (zeros included,
// as Knative's scraper does) and passes the clock in.
import { canScaleToZero, panicWindowSeconds, replicaBounds, resolveTarget, roundTo6, type KpaConfig } from './knobs.ts';
import { emptyWindows, isEmpty, recordSample, resizeWindows, windowAverage, type MetricWindows, type Sample } from './metrics.ts';

export interface AutoscalerState {
  metrics: MetricWindows;
  /** Knative's panicTime: the last decision (epoch ms) that saw the panic condition; null = not panicking. */
  panicSince: number | null;
  /** Highest replica count decided during this panic; the count never drops below it while panicking. */
  maxPanicPods: number;
  /** Since when (epoch ms) ready replicas have been serving, for the stay-active-one-stable-window rule. */
  activeSince: number | null;
  /** Since when (epoch ms) the revision has been inactive: no traffic over the stable window, activator in the path. */
  inactiveSince: number | null;
}

export interface PodCounts {
  ready: number;
  /** Requests the activator holds for this revision (it is at zero or has no ready replica). */
  buffered?: number;
}

export interface Decision {
  desired: number;
  panicking: boolean;
  reason: string;
  state: AutoscalerState;
  observed: { stable: number; panic: number; target: number };
}

/**
 * A fresh autoscaler. Like Knative, one that starts with more than one ready
 * replica starts in panic mode, so that a restart with no history does not
 * shrink a busy revision before it has a window of data.
 */
export function initialAutoscalerState(config: KpaConfig, now: number, readyPods: number): AutoscalerState {
  return {
    metrics: emptyWindows(config.stableWindowSeconds, panicWindowSeconds(config)),
    panicSince: readyPods > 1 ? now : null,
    maxPanicPods: readyPods > 1 ? readyPods : 0,
    activeSince: readyPods > 0 ? now : null,
    inactiveSince: null,
  };
}

export function record(state: AutoscalerState, sample: Sample): AutoscalerState {
  return { ...state, metrics: recordSample(state.metrics, sample) };
}

// ceil() of a ratio, free of float noise (see roundTo6).
const ceilRatio = (value: number, target: number): number => Math.ceil(roundTo6(value / target));
const fmt = (x: number): string => String(roundTo6(x));

export function decide(state: AutoscalerState, now: number, config: KpaConfig, pods: PodCounts): Decision {
  const stableMs = config.stableWindowSeconds * 1000;
  const metrics = resizeWindows(state.metrics, config.stableWindowSeconds, panicWindowSeconds(config));
  const ready = Math.max(0, pods.ready);
  const buffered = Math.max(0, pods.buffered ?? 0);
  const activeSince = ready > 0 ? (state.activeSince ?? now) : null;
  const { target } = resolveTarget(config);
  const { min, max } = replicaBounds(config);
  const base = { ...state, metrics, activeSince };

  if (isEmpty(metrics.stable, now)) {
    // Knative makes no decision without data; the scaler then only enforces bounds.
    let desired = clamp(ready, min, max);
    let reason = `no ${config.metric} data in the last ${config.stableWindowSeconds}s: keeping ${desired}`;
    if (desired === 0 && buffered > 0) {
      desired = 1;
      reason = activationReason(buffered);
    }
    return { desired, panicking: state.panicSince !== null, reason, state: base, observed: { stable: 0, panic: 0, target } };
  }

  const stable = windowAverage(metrics.stable, now);
  const panic = windowAverage(metrics.panic, now);
  const observed = { stable, panic, target };

  // The decider (autoscaler.go Scale). Zero ready replicas count as one, so the
  // rates and the panic ratio stay defined while scaling from zero.
  const readyCount = Math.max(1, ready);
  const maxScaleUp = Math.ceil(config.maxScaleUpRate * readyCount);
  const maxScaleDown = Math.floor(readyCount / config.maxScaleDownRate);
  const dspc = ceilRatio(stable, target);
  const dppc = ceilRatio(panic, target);
  const desiredStable = clamp(dspc, maxScaleDown, maxScaleUp);
  const desiredPanic = clamp(dppc, maxScaleDown, maxScaleUp);
  const overThreshold = roundTo6(dppc / readyCount) >= config.panicThresholdPercentage / 100;

  let panicSince = state.panicSince;
  let maxPanicPods = state.maxPanicPods;
  if (overThreshold) panicSince = now; // enter, or extend the panic
  else if (panicSince !== null && panicSince + stableMs < now) {
    panicSince = null; // the surge has had a whole stable window to reach the stable average
    maxPanicPods = 0;
  }

  const panicking = panicSince !== null;
  const unlimited = panicking ? Math.max(dspc, dppc) : dspc;
  const limited = panicking ? Math.max(desiredStable, desiredPanic) : desiredStable;
  let reason = panicking
    ? `panic: ${fmt(panic)} ${config.metric} over ${metrics.panic.windowSeconds}s / target ${fmt(target)} → ${dppc} (stable ${dspc})`
    : `stable: ${fmt(stable)} ${config.metric} over ${config.stableWindowSeconds}s / target ${fmt(target)} → ${dspc}`;
  if (limited < unlimited) reason += `; scale-up limited to ${limited} (max-scale-up-rate ${config.maxScaleUpRate})`;
  if (limited > unlimited) reason += `; scale-down limited to ${limited} (max-scale-down-rate ${config.maxScaleDownRate})`;
  let desired = limited;
  if (panicking) {
    maxPanicPods = Math.max(maxPanicPods, limited);
    if (maxPanicPods > limited) reason += `; holding ${maxPanicPods} (no scale-down while panicking)`;
    desired = maxPanicPods;
  }

  // The scaler (scaler.go): bounds, then the scale-to-zero rules.
  const bounded = clamp(desired, min, max);
  if (bounded !== desired) reason += `; bounded to [${min}, ${max}] → ${bounded}`;
  desired = bounded;
  let inactiveSince: number | null = null;
  if (desired === 0) {
    ({ desired, reason, inactiveSince } = scaleToZero(state, now, config, ready, activeSince, reason));
  }
  if (desired === 0 && buffered > 0) {
    desired = 1;
    reason = activationReason(buffered);
    inactiveSince = null;
  }

  const next: AutoscalerState = { metrics, panicSince, maxPanicPods, activeSince, inactiveSince };
  return { desired, panicking, reason, state: next, observed };
}

/**
 * handleScaleToZero: the last replica stops only after the revision has been
 * active for a stable window, then inactive (requests buffered by the
 * activator) for max(grace period, pod retention period).
 */
function scaleToZero(
  state: AutoscalerState,
  now: number,
  config: KpaConfig,
  ready: number,
  activeSince: number | null,
  reason: string,
): { desired: number; reason: string; inactiveSince: number | null } {
  if (!canScaleToZero(config)) return { desired: 1, reason: `${reason}; scale to zero disabled → 1`, inactiveSince: null };
  if (ready === 0) return { desired: 0, reason: `${reason}; at zero`, inactiveSince: state.inactiveSince ?? now };
  const stableMs = config.stableWindowSeconds * 1000;
  if (activeSince !== null && now - activeSince < stableMs) {
    const left = Math.ceil((stableMs - (now - activeSince)) / 1000);
    return { desired: 1, reason: `${reason}; active for less than the stable window (${left}s left) → 1`, inactiveSince: null };
  }
  const inactiveSince = state.inactiveSince ?? now;
  const waitMs = Math.max(config.scaleToZeroGracePeriodSeconds, config.scaleToZeroPodRetentionPeriodSeconds) * 1000;
  if (now - inactiveSince >= waitMs) {
    return { desired: 0, reason: `${reason}; inactive for ${Math.round((now - inactiveSince) / 1000)}s → scale to zero`, inactiveSince };
  }
  const hold = Math.max(1, ready);
  const left = Math.ceil((waitMs - (now - inactiveSince)) / 1000);
  return { desired: hold, reason: `${reason}; inactive, scale to zero in ${left}s → keeping ${hold}`, inactiveSince };
}

function activationReason(buffered: number): string {
  return `activating: ${buffered} request(s) buffered at zero replicas → 1`;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}
