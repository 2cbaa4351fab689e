// What the gateway's hooks do with each response, shared by `switchyard up`
// and the benchmark so the benchmark measures what runs: the recorder's
// per-series sampler decides which responses the gateway copies (before
// anything is sent); each ResponseRecord becomes one telemetry record (bodies
// analysed only when sampled) and, if the prediction log samples its request
// id, one row. Mirror answers go to role 'mirror' and rows with the same id.
import type { PredictionLog } from '../../store/predictions.ts';
import type { MirrorRecord } from '../mirror.ts';
import type { ResponseIdentity, ResponseRecord } from '../server.ts';
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
  else telemetry.recordTo(s, { status: r.status, latencyMs: r.latencyMs, ...(r.errorClass ? { errorClass: r.errorClass } : {}), responseBody: r.output, ...(r.input ? { requestBody: r.input } : {}) });
}

export function gatewayObservers(telemetry: TelemetryRecorder, predictions?: PredictionLog): GatewayObservers {
  return {
    wantsOutput: (id) => telemetry.wantsOutput(id),
    outputCapBytes: telemetry.maxBodyBytes,
    onResponse: (r) => {
      recordResponse(telemetry, r);
      if (predictions?.wants(r.namespace, r.service, r.requestId)) {
        predictions.enqueue({
          requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, ...(r.route ? { route: r.route } : {}),
          variant: r.variant, revision: r.revision, role: 'primary', status: r.status, latencyMs: r.latencyMs,
          ...(r.output ? { output: r.output } : {}), ...(r.input ? { input: r.input } : {}),
        });
      }
    },
    onMirrorResponse: (r) => {
      const { output, ...rest } = r;
      const series = telemetry.series({ ...rest, role: 'mirror' });
      telemetry.recordTo(series, { ...rest, ...(output && telemetry.wantsOutput(series) ? { responseBody: output } : {}) });
      predictions?.enqueue({
        requestId: r.requestId, time: Date.now(), namespace: r.namespace, service: r.service, ...(r.route ? { route: r.route } : {}),
        variant: r.variant, revision: r.revision, role: 'mirror', status: r.status, latencyMs: r.latencyMs, ...(output ? { output } : {}),
      });
    },
    onMirrorDropped: (ns, svc, reason) => telemetry.mirrorDropped(ns, svc, reason),
    metrics: async () => ({ contentType: telemetry.contentType, body: await telemetry.metricsText() }),
  };
}
