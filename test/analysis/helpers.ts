// Shared builders for the analysis tests.
import type { SideEvidence } from '../../src/analysis/evidence.ts';

/** The one-sided Wilson score upper bound at z: the fixed-horizon interval the gates used to judge single windows with. */
export function wilsonUpper(successes: number, n: number, z: number): number {
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return Math.min(1, centre + half);
}

/** Evidence of `requests` requests: errors, labels, invalid outputs and latencies (each value once per `latencyEach`). */
export function side(o: { requests: number; errors?: number; labels?: Record<string, number>; invalid?: number; latency?: Array<[number, number]>; scores?: Array<[number, number]> }): SideEvidence {
  const s: SideEvidence = {
    requests: o.requests, errors: o.errors ?? 0, outputs: o.requests - (o.errors ?? 0), invalidOutputs: o.invalid ?? 0,
    labels: o.labels ?? {}, latency: o.latency ?? (o.requests > 0 ? [[50, o.requests]] : []),
  };
  if (o.scores) s.scores = o.scores;
  return s;
}

/** `n` latencies spread as `shares` of `values` (ascending), as atoms. */
export function latencies(n: number, values: Array<[number, number]>): Array<[number, number]> {
  return values.map(([v, share]) => [v, Math.round(n * share)]);
}
