import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DURATION_BUCKETS } from '../../src/gateway/telemetry/metrics.ts';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format (0.0.4) for what the gateway emits. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g)) labels[l[1]!] = l[2]!;
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const base = { namespace: 'ml', service: 'fraud', variant: 'default' };

test('/metrics has the conventional names, labels and values for known traffic', async () => {
  let dropped = 0;
  const tel = new TelemetryRecorder({ now: () => 1_700_000_000_000, predictionsDropped: () => dropped });
  for (let i = 0; i < 100; i++) tel.record({ ...base, revision: 'r1', status: i < 90 ? 200 : 503, latencyMs: i < 50 ? 3 : 40 });
  for (let i = 0; i < 10; i++) tel.record({ ...base, revision: 'r2', role: 'mirror', status: 200, latencyMs: 2000, responseBody: '{"predictions":["a","b"]}' });
  tel.record({ ...base, revision: 'r2', role: 'mirror', status: 200, latencyMs: 1, responseBody: '{"predictions":[NaN]}' });
  tel.mirrorDropped('ml', 'fraud', 'body_too_large');
  tel.mirrorDropped('ml', 'fraud', 'body_too_large');
  dropped = 7;

  assert.match(tel.contentType, /^text\/plain; version=0\.0\.4/);
  const { samples, types } = parseExposition(await tel.metricsText());
  const find = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const one = (name: string, labels: Record<string, string>) => {
    const f = find(name, labels);
    assert.equal(f.length, 1, `${name} ${JSON.stringify(labels)}: ${f.length} samples`);
    return f[0]!.value;
  };
  const r1 = { namespace: 'ml', service: 'fraud', revision: 'r1', role: 'primary' };
  const r2 = { namespace: 'ml', service: 'fraud', revision: 'r2', role: 'mirror' };

  assert.equal(types.get('switchyard_requests_total'), 'counter');
  assert.equal(types.get('switchyard_request_duration_seconds'), 'histogram');
  for (const n of ['switchyard_request_errors_total', 'switchyard_invalid_outputs_total', 'switchyard_output_label_total', 'switchyard_mirror_dropped_total', 'switchyard_predictions_dropped_total']) {
    assert.equal(types.get(n), 'counter', n);
  }
  assert.equal(one('switchyard_requests_total', { ...r1, code: '200' }), 90);
  assert.equal(one('switchyard_requests_total', { ...r1, code: '503' }), 10);
  assert.equal(one('switchyard_requests_total', { ...r2, code: '200' }), 11);
  assert.equal(one('switchyard_request_errors_total', { ...r1, class: 'upstream' }), 10);
  assert.equal(one('switchyard_invalid_outputs_total', { ...r2, reason: 'nan' }), 1);
  assert.equal(one('switchyard_output_label_total', { ...r2, label: 'a' }), 10);
  assert.equal(one('switchyard_mirror_dropped_total', { namespace: 'ml', service: 'fraud', reason: 'body_too_large' }), 2);
  assert.equal(one('switchyard_predictions_dropped_total', {}), 7);

  // The histogram: cumulative buckets in seconds, +Inf = count, sum in seconds.
  const buckets = find('switchyard_request_duration_seconds_bucket', r1);
  assert.equal(buckets.length, DURATION_BUCKETS.length + 1);
  const le = (x: string) => buckets.find((b) => b.labels.le === x)!.value;
  assert.equal(le('0.0025'), 0);
  assert.equal(le('0.005'), 50);
  assert.equal(le('0.025'), 50);
  assert.equal(le('0.05'), 100);
  assert.equal(le('+Inf'), 100);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
  assert.equal(one('switchyard_request_duration_seconds_count', r1), 100);
  assert.ok(Math.abs(one('switchyard_request_duration_seconds_sum', r1) - (50 * 0.003 + 50 * 0.04)) < 1e-9);
  assert.equal(find('switchyard_request_duration_seconds_bucket', { ...r2, le: '2.5' })[0]!.value, 11);

  // Nothing was held by the activator: its counters have no sample.
  assert.equal(find('switchyard_activator_requests_total', r1).length, 0);

  // A second scrape reports the same cumulative values (no double counting).
  const again = parseExposition(await tel.metricsText());
  assert.equal(again.samples.find((s) => s.name === 'switchyard_requests_total' && s.labels.code === '200' && s.labels.revision === 'r1')!.value, 90);
});

test('requests held by the activator are counted apart; the duration histogram starts when a replica has them', async () => {
  const tel = new TelemetryRecorder({ now: () => 1_700_000_000_000 });
  for (let i = 0; i < 4; i++) tel.record({ ...base, revision: 'r3', status: 200, latencyMs: 1504, activatorMs: 1500 });
  tel.record({ ...base, revision: 'r3', status: 200, latencyMs: 4 });
  const { samples, types } = parseExposition(await tel.metricsText());
  const r3 = { namespace: 'ml', service: 'fraud', revision: 'r3', role: 'primary' };
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries({ ...r3, ...labels }).every(([k, v]) => s.labels[k] === v))!.value;
  assert.equal(types.get('switchyard_activator_requests_total'), 'counter');
  assert.equal(types.get('switchyard_activator_wait_seconds_total'), 'counter');
  assert.equal(value('switchyard_activator_requests_total'), 4);
  assert.ok(Math.abs(value('switchyard_activator_wait_seconds_total') - 6) < 1e-9);
  assert.equal(value('switchyard_request_duration_seconds_count'), 5);
  assert.equal(value('switchyard_request_duration_seconds_bucket', { le: '0.005' }), 5, 'every request took 4 ms once a replica had it');
});
