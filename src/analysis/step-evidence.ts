// A step's cumulative evidence: every window judged since the step began (or
// the split last changed) added up, per side, per slice and per provider
// gate. Plain JSON, stored in the plan's status, so a plan resumed after a
// crash judges with all the evidence it had (telemetry itself is in memory).
import { addSides, emptySide, type PairEvidence, type SideEvidence } from './evidence.ts';
import { accumulateProvider, type ProviderEvidence, type ProviderResult } from './gate-providers.ts';
import type { ScopeEvidence } from './gates.ts';
import type { OutcomePair } from './outcomes.ts';

/** Outcome totals of both arms, and per slice value of a stratum when a gate asked for one. */
export interface OutcomeRead extends OutcomePair {
  slices?: Record<string, OutcomePair>;
}
import { addPairs, emptyTally, type PairInput } from './pairs.ts';

export interface StepEvidence extends ScopeEvidence {
  /** Start of the evidence (the step's start). */
  sinceMs: number;
  /** Windows added. */
  windows: number;
  slices?: Record<string, Record<string, ScopeEvidence>>;
  providers?: Record<string, ProviderEvidence>;
  /** Outcome totals per arm (feedback), by gate key and PRIMARY_OUTCOME. */
  outcomes?: Record<string, OutcomeRead>;
  /** The baseline side is a reference carried from before the split moved (the baseline serves nothing now). */
  reference?: boolean;
}

/** One window of telemetry as the step logic receives it. */
export interface WindowEvidence extends PairEvidence {
  fromMs: number;
  toMs: number;
  slices?: Record<string, Record<string, PairEvidence>>;
  providers?: Record<string, ProviderResult>;
  /** The baseline's evidence from before the step, for a step in which the baseline serves nothing. */
  reference?: SideEvidence;
  /** Shadow phases: pairs read since the last window (each once), and where reading stopped. */
  shadowPairs?: PairInput[];
  pairsCursor?: number;
  /** Outcome totals per arm since the step began (read whole from the log), by gate key and PRIMARY_OUTCOME. */
  outcomes?: Record<string, OutcomeRead>;
  /** Bandit phases: each arm's telemetry in this window and its rewards since the phase began. */
  arms?: Array<{ name: string; fallback?: boolean; window: SideEvidence; reading: { assigned: number; rewarded: number; sum: number; sumSq: number; outOfRange: number; lastRewardMs?: number; logged?: { n: number; sum: number; sumSq: number; inverse: number } } }>;
  /** Bandit phases: reward events since the phase began that joined no known request. */
  unmatchedRewards?: number;
}

export function newStepEvidence(sinceMs: number, reference?: PairEvidence & Pick<StepEvidence, 'slices'>): StepEvidence {
  const ev: StepEvidence = { sinceMs, windows: 0, candidate: emptySide(), baseline: reference?.baseline ?? emptySide() };
  if (reference) {
    ev.reference = true;
    if (reference.slices) {
      ev.slices = Object.fromEntries(Object.entries(reference.slices).map(([stratum, values]) => [
        stratum, Object.fromEntries(Object.entries(values).map(([v, p]) => [v, { candidate: emptySide(), baseline: p.baseline }])),
      ]));
    }
  }
  return ev;
}

function addPair(a: ScopeEvidence | undefined, b: PairEvidence, keepBaseline: boolean): ScopeEvidence {
  if (!a) return { candidate: b.candidate, baseline: keepBaseline ? emptySide() : b.baseline };
  const out: ScopeEvidence = { candidate: addSides(a.candidate, b.candidate), baseline: keepBaseline ? a.baseline : addSides(a.baseline, b.baseline) };
  if (a.pairs) out.pairs = a.pairs;
  return out;
}

/** Pairs added to the step's tally, and to each slice's by the request's strata. */
function addShadowPairs(ev: StepEvidence, pairs: PairInput[]): StepEvidence {
  const out: StepEvidence = { ...ev, pairs: addPairs(ev.pairs ?? emptyTally(), pairs) };
  const strata = Object.keys(ev.slices ?? {});
  if (strata.length === 0) return out;
  const slices: NonNullable<StepEvidence['slices']> = { ...ev.slices };
  for (const stratum of strata) {
    const byValue = new Map<string, PairInput[]>();
    for (const p of pairs) {
      const v = p.cohort?.[stratum];
      if (v !== undefined) byValue.set(v, [...(byValue.get(v) ?? []), p]);
    }
    const values = { ...slices[stratum] };
    for (const [v, ps] of byValue) {
      const scope = values[v] ?? { candidate: emptySide(), baseline: emptySide() };
      values[v] = { ...scope, pairs: addPairs(scope.pairs ?? emptyTally(), ps) };
    }
    slices[stratum] = values;
  }
  out.slices = slices;
  return out;
}

/** The step's evidence with one more window added (inputs unchanged). A carried reference baseline is kept, not added to. */
export function addWindow(ev: StepEvidence, w: WindowEvidence): StepEvidence {
  const keep = ev.reference === true && w.baseline.requests === 0;
  const pair = addPair(ev, w, keep);
  const out: StepEvidence = { ...ev, ...pair, windows: ev.windows + 1 };
  if (!keep) delete out.reference;
  if (w.slices) {
    const slices: NonNullable<StepEvidence['slices']> = { ...(ev.slices ?? {}) };
    for (const [stratum, values] of Object.entries(w.slices)) {
      const merged = { ...(slices[stratum] ?? {}) };
      for (const [value, p] of Object.entries(values)) merged[value] = addPair(merged[value], p, keep && merged[value] !== undefined);
      slices[stratum] = merged;
    }
    out.slices = slices;
  }
  if (w.providers) {
    const providers: Record<string, ProviderEvidence> = { ...(ev.providers ?? {}) };
    for (const [key, r] of Object.entries(w.providers)) {
      const next = accumulateProvider(providers[key], r);
      if (next) providers[key] = next;
    }
    out.providers = providers;
  }
  return w.shadowPairs && w.shadowPairs.length > 0 ? addShadowPairs(out, w.shadowPairs) : out;
}

/** Seeds an empty baseline with the reference read from before the step (a step that starts with the baseline silent). */
export function withReference(ev: StepEvidence, reference: SideEvidence | undefined): StepEvidence {
  if (!reference || ev.baseline.requests > 0 || reference.requests === 0) return ev;
  return { ...ev, baseline: reference, reference: true };
}
