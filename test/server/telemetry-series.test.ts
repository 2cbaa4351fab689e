// Telemetry per revision over time: consecutive whole windows, each counting
// only its own requests, for the dashboard's rate, latency and error charts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryRecorder } from '../../src/gateway/telemetry/recorder.ts';
import { telemetrySeries } from '../../src/server/telemetry-series.ts';

const T0 = 1_700_000_000_000; // a multiple of 2 s
const at = (s: number) => T0 + s * 1000;

test('each point counts the requests, errors and latency of its own window, per revision', () => {
  const telemetry = new TelemetryRecorder({ bucketMs: 1000 });
  const rec = (revision: string, s: number, status: number, latencyMs: number) =>
    telemetry.record({ namespace: 'ml', service: 'fraud', revision, variant: 'default', status, latencyMs }, at(s) + 100);
  // v1: 10 requests in [0, 2) s, 4 in [2, 4) s of which 1 fails; v2: 2 slow ones in [4, 6) s.
  for (let i = 0; i < 10; i++) rec('fraud-00001', i % 2, 200, 5);
  for (let i = 0; i < 4; i++) rec('fraud-00001', 2 + (i % 2), i === 0 ? 503 : 200, 5);
  rec('fraud-00002', 4, 200, 400);
  rec('fraud-00002', 5, 200, 400);
  // Another service and mirrored copies are not this service's client traffic.
  telemetry.record({ namespace: 'ml', service: 'other', revision: 'other-00001', variant: 'default', status: 200, latencyMs: 1 }, at(1));
  telemetry.record({ namespace: 'ml', service: 'fraud', revision: 'fraud-00003', variant: 'default', role: 'mirror', status: 200, latencyMs: 1 }, at(1));

  const s = telemetrySeries(telemetry, { namespace: 'ml', service: 'fraud', spanMs: 6000, stepMs: 2000 }, at(6) + 500);
  assert.deepEqual(Object.keys(s.revisions), ['fraud-00001', 'fraud-00002']);
  assert.equal(s.fromMs, T0);
  assert.equal(s.toMs, at(6));
  const v1 = s.revisions['fraud-00001']!;
  assert.deepEqual(v1.map((p) => [p.t, p.requests, p.rps, p.errorRate]), [[T0, 10, 5, 0], [at(2), 4, 2, 0.25], [at(4), 0, 0, null]]);
  const v2 = s.revisions['fraud-00002']!;
  assert.deepEqual(v2.map((p) => p.requests), [0, 0, 2]);
  assert.equal(v2[0]!.p99Ms, null, 'no latency without requests');
  assert.ok(Math.abs(v2[2]!.p99Ms! - 400) / 400 < 0.02, `p99 ${v2[2]!.p99Ms} ≈ 400 ms (sketch accuracy)`);
});

test('the window still open is left out: the last point ends at the latest step boundary', () => {
  const telemetry = new TelemetryRecorder({ bucketMs: 1000 });
  telemetry.record({ namespace: 'ml', service: 'fraud', revision: 'r1', variant: 'default', status: 200, latencyMs: 1 }, at(5) + 10);
  const s = telemetrySeries(telemetry, { namespace: 'ml', service: 'fraud', spanMs: 4000, stepMs: 2000 }, at(5) + 900);
  assert.deepEqual(s.revisions.r1!.map((p) => [p.t, p.requests]), [[at(0), 0], [at(2), 0]]);
});
