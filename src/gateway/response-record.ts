// What the gateway knows about one answered request: its identity (which
// service, revision, route and cohort served it) and its outcome. Telemetry
// and the prediction log consume it after the response is sent.

/** What any answered exchange records, a client's (ResponseRecord) or a mirror copy's (MirrorRecord). */
export interface AnswerRecord {
  requestId: string;
  namespace: string;
  service: string;
  revision: string;
  /** Artifact digest (sha256:…) of the revision's model, from the routing table that chose it. */
  digest?: string;
  variant: string;
  /** VirtualService route id (namespace/vs/route) and destination host, when a VirtualService routed it. */
  route?: string;
  destination?: string;
  status: number;
  latencyMs: number;
  /** Why the gateway answered an error itself (504 timeout, 502/503 upstream). */
  errorClass?: 'timeout' | 'upstream';
  /** The answer body, up to the capture cap; absent when larger, when the exchange failed mid-body, or when not copied. */
  output?: Buffer;
}

export interface ResponseRecord extends AnswerRecord {
  /** Strata values of the request when an active TrafficPlan defines strata (telemetry slices). */
  cohort?: Record<string, string>;
  /** The request's unit key when an active TrafficPlan assigns by one (the prediction log keeps its keyed hash). */
  unit?: string;
  /** A bandit's assignment: the allocation version and the chosen arm's probability under it. */
  allocation?: number;
  propensity?: number;
  /**
   * Milliseconds the activator held the request until a replica was ready (a revision at zero or
   * starting from zero); 0 when one was ready. Telemetry leaves it out of the revision's latency, as
   * Knative's queue-proxy measures a revision's latency only once a replica has the request.
   */
  activatorMs: number;
  /**
   * The answer is copied only when `wantsOutput` sampled the request (`sampled`) or a mirror was
   * sent (so primary and shadow outputs can be paired).
   */
  output?: Buffer;
  /** The request body, up to outputCapBytes, for sampled requests (instance count, prediction log input). */
  input?: Buffer;
  /** `wantsOutput` said yes: the output is meant for output telemetry (a mirrored request's copy may not be). */
  sampled?: boolean;
}

/** What identifies a response's series before it is sent: the fields of its ResponseRecord known up front. */
export type ResponseIdentity = Pick<ResponseRecord, 'namespace' | 'service' | 'revision' | 'variant' | 'route' | 'destination' | 'cohort'>;
