import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qualifiedHost, windowQueries } from '../../src/kube/metric-templates.ts';

test('Istio: a revision is its Knative Deployment as the destination workload, reported by the destination', () => {
  const q = windowQueries('istio', { namespace: 'prod', revision: 'iris-predictor-00002' }, '60s');
  const sel = 'reporter="destination",destination_workload_namespace="prod",destination_workload="iris-predictor-00002-deployment"';
  assert.equal(q.requests, `sum(increase(istio_requests_total{${sel}}[60s]))`);
  assert.equal(q.errors, `sum(increase(istio_requests_total{${sel},response_code=~"5.."}[60s]))`);
  assert.equal(q.clientErrors, `sum(increase(istio_requests_total{${sel},response_code=~"4.."}[60s]))`);
  assert.equal(q.buckets, `sum by (le) (increase(istio_request_duration_milliseconds_bucket{${sel}}[60s]))`);
});

test('Istio: a VirtualService destination is its fully qualified service and its subset the version label', () => {
  const q = windowQueries('istio', { namespace: 'prod', destination: 'rec', variant: 'v2' }, '30s');
  assert.equal(q.requests, 'sum(increase(istio_requests_total{reporter="destination",destination_service="rec.prod.svc.cluster.local",destination_version="v2"}[30s]))');
  assert.equal(qualifiedHost('rec.other', 'prod'), 'rec.other.svc.cluster.local');
  assert.equal(qualifiedHost('rec.other.svc.cluster.local', 'prod'), 'rec.other.svc.cluster.local');
});

test('Knative: the queue-proxy\'s revision metrics, 5xx by response_code_class; a VirtualService side falls back to Istio\'s', () => {
  const q = windowQueries('knative', { namespace: 'prod', revision: 'iris-predictor-00002' }, '60s');
  assert.equal(q.errors, 'sum(increase(revision_app_request_count{namespace_name="prod",revision_name="iris-predictor-00002",response_code_class="5xx"}[60s]))');
  assert.equal(q.clientErrors, 'sum(increase(revision_app_request_count{namespace_name="prod",revision_name="iris-predictor-00002",response_code_class="4xx"}[60s]))');
  assert.equal(q.buckets, 'sum by (le) (increase(revision_app_request_latencies_bucket{namespace_name="prod",revision_name="iris-predictor-00002"}[60s]))');
  assert.match(windowQueries('knative', { namespace: 'prod', destination: 'rec' }, '60s').requests, /^sum\(increase\(istio_requests_total/);
});

test('label values are escaped: a name cannot break out of its matcher', () => {
  const q = windowQueries('istio', { namespace: 'a"b', revision: 'r\\1' }, '60s');
  assert.match(q.requests, /destination_workload_namespace="a\\"b",destination_workload="r\\\\1-deployment"/);
});
