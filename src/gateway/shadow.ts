// A TrafficPlan's shadow phase on an InferenceService: a share of the
// requests its baseline answers is copied to the candidate revision through
// the mirror sender (its own pools, a deadline, a cap in flight), so the
// client's answer never waits for, or depends on, the candidate. Unlike an
// Istio mirror, a copy the candidate cannot take (no ready replica, the cap
// reached) is recorded as a failed shadow answer: a dead candidate must show
// up in the plan's paired evidence, not vanish from it. Copies count as the
// candidate's requests in flight, so it autoscales on the mirrored load.
import type { IngressRoute, ShadowTarget } from './ingress.ts';
import type { MirrorRecord, MirrorSender } from './mirror.ts';
import { shadowHost } from './vs-route.ts';

export interface ShadowContext {
  mirrors: MirrorSender;
  /** A ready replica's origin; shadows never wake a revision or wait for one. */
  pickReady: (key: string) => string | undefined;
  /** Requests in flight per revision key (the autoscaler's signal). */
  inflight: (key: string, by: number) => void;
  /** A copy that could not be sent, recorded as the shadow's failed answer. */
  onFailed: (record: MirrorRecord) => void;
  rng: () => number;
}

export interface ShadowRequest {
  requestId: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

/** Whether this request is one of the shadow's share. */
export function isShadowed(shadow: ShadowTarget | undefined, rng: () => number): shadow is ShadowTarget {
  return shadow !== undefined && rng() * 100 < shadow.percent;
}

/** Sends the copy (or records why it could not be sent); never throws, never waits. */
export function sendShadow(ctx: ShadowContext, route: IngressRoute, shadow: ShadowTarget, r: ShadowRequest): void {
  const record: MirrorRecord = {
    requestId: r.requestId, namespace: route.service.namespace, service: route.service.name, revision: shadow.revision,
    variant: 'shadow', status: 0, latencyMs: 0, ...(shadow.digest ? { digest: shadow.digest } : {}),
  };
  const origin = ctx.pickReady(shadow.key);
  if (origin === undefined) return ctx.onFailed({ ...record, status: 503, errorClass: 'upstream' });
  const host = r.headers.host;
  let started = false;
  const sent = ctx.mirrors.send({
    origin, method: r.method, path: r.path, body: r.body, record,
    headers: { ...r.headers, host: shadowHost(typeof host === 'string' ? host : route.service.name) },
    onStarted: () => {
      started = true;
      ctx.inflight(shadow.key, 1);
    },
    onDone: () => {
      if (started) ctx.inflight(shadow.key, -1);
    },
  });
  if (!sent) ctx.onFailed({ ...record, status: 503, errorClass: 'upstream' });
}
