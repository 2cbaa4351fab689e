// Paired gate metrics: judged on shadow pairs (pairs.ts), the baseline's and
// the candidate's answers to the same requests, with the same always-valid
// statistics as every gate.
//   agreement                 share of compared requests whose labels agree (a rate)
//   candidateErrorRate        share of shadow copies the candidate failed (a rate)
//   scoreDeltaP99             99th percentile of |candidate − baseline| of numeric outputs (an exceedance rate)
//   scoreDeltaMean            mean of the same (GrowthBook's sequential interval)
//   pairedLatencyDeltaP50Ms   median of candidate − baseline latency on the same request (an exceedance rate)
//   pairedLatencyDeltaP99Ms   its 99th percentile
import { atomCount, type Atoms } from './evidence.ts';
import { latencyEstimate, rateEstimate, type Estimate, type NoData } from './gate-metrics.ts';
import { meanInterval, type Moments } from './gate-providers.ts';
import { verdictOf } from './gate-metrics.ts';
import type { PairTally } from './pairs.ts';

export const PAIRED_METRICS = new Set(['agreement', 'candidateErrorRate', 'scoreDeltaP99', 'scoreDeltaMean', 'pairedLatencyDeltaP50Ms', 'pairedLatencyDeltaP99Ms']);

/** The sequential interval of a mean of atoms is tightest around this many values. */
const MEAN_TUNING = 1000;

function moments(a: Atoms): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, c] = a[i]!;
    // Welford for c equal values at once.
    const next = n + c;
    const d = x - mean;
    mean += (d * c) / next;
    m2 += d * d * ((n * c) / next);
    n = next;
  }
  return { n, mean, m2 };
}

const NONE = { candidate: 0, baseline: 0 };

/** A paired metric on a shadow tally; nodata until there is something to judge. */
export function pairedEstimate(metric: string, t: PairTally | undefined): Estimate | NoData {
  if (!t || t.pairs === 0) return { kind: 'nodata', reason: 'no shadow pairs yet', samples: NONE };
  const none = { s: 0, n: 0 };
  switch (metric) {
    case 'agreement': return rateEstimate({ s: t.agree, n: t.labelled }, none, 'compared labels');
    case 'candidateErrorRate': return rateEstimate({ s: t.candidateErrors, n: t.pairs }, none, 'shadow copies');
    case 'scoreDeltaP99': return latencyEstimate(t.scoreDeltas, [], 0.99, { beyond: 'numeric outputs moved by more than', unit: '', none: 'no numeric outputs compared yet' });
    case 'pairedLatencyDeltaP50Ms': return latencyEstimate(t.latencyDeltas, [], 0.5, { beyond: 'pairs where the candidate took longer by more than', unit: ' ms', none: 'no pairs yet' });
    case 'pairedLatencyDeltaP99Ms': return latencyEstimate(t.latencyDeltas, [], 0.99, { beyond: 'pairs where the candidate took longer by more than', unit: ' ms', none: 'no pairs yet' });
    case 'scoreDeltaMean': {
      const m = moments(t.scoreDeltas);
      const samples = { candidate: atomCount(t.scoreDeltas), baseline: 0 };
      if (m.n === 0) return { kind: 'nodata', reason: 'no numeric outputs compared yet', samples };
      return {
        kind: 'ok', value: m.mean, samples,
        judge(check, alpha) {
          if (m.n < 3) return { verdict: 'inconclusive', interval: [m.mean, m.mean] };
          const iv = meanInterval(m, MEAN_TUNING, alpha);
          return { verdict: verdictOf(check, iv), interval: iv };
        },
      };
    }
    default: return { kind: 'nodata', reason: `${metric} is not a paired metric`, samples: NONE };
  }
}
