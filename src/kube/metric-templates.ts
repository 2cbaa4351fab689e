// Ready-made PromQL for the health evidence a TrafficPlan's built-in gates
// read (requests, server errors, the latency histogram), from the standard
// metrics of the two systems a KServe cluster already runs, so a plan needs
// no hand-written query for errorRate or latency:
//
// - Istio's standard metrics, reported by the destination's sidecar
//   (reporter="destination", as Flagger reads them): istio_requests_total and
//   istio_request_duration_milliseconds (a histogram), labelled with the
//   destination workload (a Knative revision's Deployment is REVISION-deployment),
//   the destination service host and its version label.
// - Knative's queue-proxy metrics for a KServe revision in Knative mode:
//   revision_app_request_count and revision_app_request_latencies (ms), by
//   namespace_name, revision_name and response_code_class.
//
// A series is named by the controller's SeriesFilter: a revision (an
// InferenceService target) or a destination host and subset (a
// VirtualService target; Knative's metrics know no destination, so those read
// Istio's).
import { promqlString } from './promql.ts';

export const METRIC_SOURCES = ['istio', 'knative'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

/** What a window reads: the series the controller compares. */
export interface SeriesRef {
  namespace: string;
  revision?: string;
  /** A VirtualService destination host (short names are the target's namespace's services). */
  destination?: string;
  /** A VirtualService destination subset: Istio reports it as the destination's version label. */
  variant?: string;
}

export interface WindowQueries {
  requests: string;
  /** Server-side errors: 5xx. */
  errors: string;
  /** Client errors: 4xx (clientErrorRate). */
  clientErrors: string;
  /** Cumulative latency buckets in milliseconds, by `le`. */
  buckets: string;
}

const sel = (pairs: Array<[string, string]>, extra = '') => `{${pairs.map(([k, v]) => `${k}="${promqlString(v)}"`).join(',')}${extra ? `,${extra}` : ''}}`;

/** The host as Istio's destination_service label spells it: fully qualified. */
export function qualifiedHost(host: string, namespace: string): string {
  if (host.includes('.svc.')) return host;
  const [svc, ns] = host.split('.');
  return `${svc}.${ns || namespace}.svc.cluster.local`;
}

function istioSelector(ref: SeriesRef): Array<[string, string]> {
  const pairs: Array<[string, string]> = [['reporter', 'destination']];
  if (ref.revision) pairs.push(['destination_workload_namespace', ref.namespace], ['destination_workload', `${ref.revision}-deployment`]);
  else if (ref.destination) {
    pairs.push(['destination_service', qualifiedHost(ref.destination, ref.namespace)]);
    if (ref.variant) pairs.push(['destination_version', ref.variant]);
  } else throw new Error('a series needs a revision or a destination');
  return pairs;
}

/** The queries for one side over `range` (a Prometheus duration such as 60s), evaluated at the window's end. */
export function windowQueries(source: MetricSource, ref: SeriesRef, range: string): WindowQueries {
  if (source === 'knative' && ref.revision) {
    const s = [['namespace_name', ref.namespace], ['revision_name', ref.revision]] as Array<[string, string]>;
    return {
      requests: `sum(increase(revision_app_request_count${sel(s)}[${range}]))`,
      errors: `sum(increase(revision_app_request_count${sel(s, 'response_code_class="5xx"')}[${range}]))`,
      clientErrors: `sum(increase(revision_app_request_count${sel(s, 'response_code_class="4xx"')}[${range}]))`,
      buckets: `sum by (le) (increase(revision_app_request_latencies_bucket${sel(s)}[${range}]))`,
    };
  }
  const s = istioSelector(ref);
  return {
    requests: `sum(increase(istio_requests_total${sel(s)}[${range}]))`,
    errors: `sum(increase(istio_requests_total${sel(s, 'response_code=~"5.."')}[${range}]))`,
    clientErrors: `sum(increase(istio_requests_total${sel(s, 'response_code=~"4.."')}[${range}]))`,
    buckets: `sum by (le) (increase(istio_request_duration_milliseconds_bucket${sel(s)}[${range}]))`,
  };
}
