// What the gateway's hooks do with each response, shared by `switchyard up`
// and the benchmark so the benchmark measures what runs: the recorder's
// per-series sampler decides which responses the gateway copies (before
// anything is sent); each ResponseRecord becomes one telemetry record (bodies
// analysed only when sampled) and one prediction-log row. Mirror answers go
// to role 'mirror' and rows with the same id.
import type { PredictionLog } from '../../store/predictions.ts';
import type { MirrorRecord } from '../mirror.ts';
import type { ResponseIdentity, ResponseRecord } from '../response-record.ts';
import type { TelemetryRecorder } from './recorder.ts';

export interface GatewayObservers {
  wantsOutput: (id: ResponseIdentity) => boolean;
  outputCapBytes: number;
  /** A primary response: telemetry (role primary) and the prediction log. */
  onResponse: (r: ResponseRecord) => void;
  onMirrorResponse: (r: MirrorRecord) => void;
  onMirrorDropped: (namespace: string, service: string, reason: string) => void;
  metrics: () => Promise<{ contentType: string; body: string }>;
}

export function recordResponse(telemetry: TelemetryRecorder, r: ResponseRecord): void {
  const s = telemetry.series(r);
  // A mirrored request's copy that was not sampled is there for pairing only, not for analysis.
  if (r.sampled !== true || r.output === undefined) telemetry.recordTo(s, r);
  else telemetry.recordTo(s, { status: r.status, latencyMs: r.latencyMs, activatorMs: r.activatorMs, errorClass: r.errorClass, responseBody: r.output, requestBody: r.input });
}

export function gatewayObservers(telemetry: TelemetryRecorder, predictions?: PredictionLog): GatewayObservers {
  return {
    wantsOutput: (id) => telemetry.wantsOutput(id),
    outputCapBytes: telemetry.maxBodyBytes,
    onResponse: (r) => {
      recordResponse(telemetry, r);
      // Absent fields stay undefined (written as NULL): no conditional spreads on the per-request path.
      // The input goes along; the log keeps it only where a PredictionLogPolicy asks. Headers never do.
      predictions?.enqueue({
        requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, route: r.route, variant: r.variant,
        revision: r.revision, digest: r.digest, role: 'primary', status: r.status, latencyMs: r.latencyMs, output: r.output, input: r.input,
        cohort: r.cohort, unit: r.unit, allocation: r.allocation, propensity: r.propensity,
      });
    },
    onMirrorResponse: (r) => {
      const series = telemetry.series({ namespace: r.namespace, service: r.service, revision: r.revision, variant: r.variant, role: 'mirror', route: r.route, destination: r.destination });
      const analyse = r.output !== undefined && telemetry.wantsOutput(series);
      telemetry.recordTo(series, { status: r.status, latencyMs: r.latencyMs, errorClass: r.errorClass, responseBody: analyse ? r.output : undefined });
      predictions?.enqueue({
        requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, route: r.route, variant: r.variant,
        revision: r.revision, digest: r.digest, role: 'mirror', status: r.status, latencyMs: r.latencyMs, output: r.output,
      });
    },
    onMirrorDropped: (ns, svc, reason) => telemetry.mirrorDropped(ns, svc, reason),
    metrics: async () => ({ contentType: telemetry.contentType, body: await telemetry.metricsText() }),
  };
}
