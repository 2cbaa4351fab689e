// Turns the gateway's telemetry into the one closed window the step logic
// judges: candidate and baseline over the same [from, to), per-stratum
// slices for bySlice gates, and provider answers for provider gates.
import type { TrafficPlanSpec } from '../../api/kinds/trafficplan.ts';
import type { GateSpec, ProviderResult, SidePair } from '../../analysis/gates.ts';
import type { WindowStats } from '../../analysis/windows.ts';
import { newSketch, quantiles } from '../../analysis/sketch.ts';
import type { PlanState, WindowObservation } from './state.ts';
import type { SeriesFilter, TargetView } from './target.ts';

/** Reads merged telemetry of the series matching `filter` (and `slice`) over [fromMs, toMs). */
export type WindowReader = (q: SeriesFilter & { slice?: Record<string, string>; fromMs: number; toMs: number }) => WindowStats;
/** Distinct values of one stratum seen for a service. */
export type SliceLister = (q: { namespace: string; service: string; stratum: string }) => string[];

export interface ProviderContext {
  namespace: string;
  service: string;
  candidateRevision?: string;
  baselineRevision?: string;
  windowMs: number;
  /** End of the window (epoch ms): the instant queries are evaluated at. */
  atMs: number;
}
/** Answers provider-backed gates, keyed by gateKey; never throws (failures are `error` results). */
export type ProviderReader = (gates: GateSpec[], ctx: ProviderContext) => Promise<Record<string, ProviderResult>>;

/** Responses still in flight when a window closes are recorded a little later: wait this long before reading it. */
export const WINDOW_GRACE_MS = 300;
/** How far back a silent baseline is read for its reference distribution, in windows. */
export const REFERENCE_WINDOWS = 10;

export function emptyWindow(fromMs: number, toMs: number): WindowStats {
  const latencySketch = newSketch();
  return {
    fromMs, toMs, truncated: false, requests: 0, errors: 0, errorsByClass: { '4xx': 0, '5xx': 0, timeout: 0, upstream: 0 }, errorRate: undefined,
    latency: quantiles(latencySketch), latencySketch, outputs: 0, invalidOutputs: 0, invalidOutputRate: undefined, labels: {}, scores: undefined,
  };
}

/** The latest closed window not yet judged, as [fromMs, toMs); undefined when there is none. */
export function nextWindow(state: PlanState, windowMs: number, now: number): { fromMs: number; toMs: number } | undefined {
  if (state.startedAt === undefined || (state.phase !== 'Progressing' && state.phase !== 'Paused')) return undefined;
  const toMs = Math.floor((now - WINDOW_GRACE_MS) / windowMs) * windowMs;
  if (toMs <= state.startedAt || (state.lastWindowEnd !== undefined && toMs <= state.lastWindowEnd)) return undefined;
  return { fromMs: toMs - windowMs, toMs };
}

export interface ObserveDeps {
  readWindow: WindowReader;
  listSlices?: SliceLister;
  providers?: ProviderReader;
}

export async function observeWindow(
  spec: Pick<TrafficPlanSpec, 'gates' | 'cohorts'>, view: TargetView, span: { fromMs: number; toMs: number }, deps: ObserveDeps,
): Promise<WindowObservation> {
  const side = (f: SeriesFilter | undefined, slice?: Record<string, string>): WindowStats =>
    f ? deps.readWindow({ ...f, ...(slice ? { slice } : {}), ...span }) : emptyWindow(span.fromMs, span.toMs);
  let baseline = side(view.baseline);
  // At 100 % (or while a blueGreen preview has no baseline traffic) the baseline is silent: compare
  // against its last REFERENCE_WINDOWS windows instead, the reference it had before traffic moved.
  if (baseline.requests === 0 && view.baseline) {
    baseline = deps.readWindow({ ...view.baseline, fromMs: span.toMs - REFERENCE_WINDOWS * (span.toMs - span.fromMs), toMs: span.toMs });
  }
  const obs: WindowObservation = { ...span, candidate: side(view.candidate), baseline };
  const gates = spec.gates ?? [];
  const strata = [...new Set(gates.flatMap((g) => (g.bySlice ? [g.bySlice] : [])))];
  const base = view.baseline ?? view.candidate;
  if (strata.length > 0 && base && deps.listSlices) {
    const slices: Record<string, Record<string, SidePair>> = {};
    for (const stratum of strata) {
      slices[stratum] = {};
      for (const value of deps.listSlices({ namespace: base.namespace, service: base.service, stratum })) {
        slices[stratum][value] = { candidate: side(view.candidate, { [stratum]: value }), baseline: side(view.baseline, { [stratum]: value }) };
      }
    }
    obs.slices = slices;
  }
  const providerGates = gates.filter((g) => g.provider);
  if (providerGates.length > 0 && base) {
    if (!deps.providers) {
      obs.providers = Object.fromEntries(providerGates.map((g) => [g.name ?? g.metric, { error: 'no metrics provider is configured' }]));
    } else {
      obs.providers = await deps.providers(providerGates, {
        namespace: base.namespace, service: base.service, windowMs: span.toMs - span.fromMs, atMs: span.toMs,
        ...(view.candidate?.revision ? { candidateRevision: view.candidate.revision } : {}),
        ...(view.baseline?.revision ? { baselineRevision: view.baseline.revision } : {}),
      });
    }
  }
  return obs;
}
