// What the current step still needs before it can advance — candidate
// requests toward its budget, passing windows, time — and when the gates are
// expected to decide (the Decidable condition and each gate's forecast).
import { parseGoDuration } from '../../../core/duration.ts';
import { ConditionBadge } from '../../components/Badge.tsx';
import { count, duration } from '../../format.ts';
import { conditionOf, type Plan } from '../../model/kinds.ts';
import { gatesOf, holdOf, isTerminal } from '../../model/plan.ts';

/** Progress toward a requirement; without one (max 0) only the count, not a bar that is always full. */
function Meter({ id, label, value, max, text }: { id: string; label: string; value: number; max: number; text: string }) {
  return (
    <div class="meter">
      {max > 0 ? <label for={id}>{label}</label> : <span class="meter-label">{label}</span>}
      {max > 0 ? <progress id={id} value={Math.min(value, max)} max={max} /> : <span />}
      <span class="meter-text">{text}</span>
    </div>
  );
}

export function Progress({ plan, now }: { plan: Plan; now: number }) {
  const s = plan.status ?? {};
  const hold = holdOf(plan);
  const minRequests = s.stepMinRequests ?? hold.minRequests ?? 0;
  const requests = s.stepRequests ?? 0;
  const required = s.requiredPassingWindows ?? hold.passingWindows ?? 1;
  const passing = s.passingWindows ?? 0;
  const minDurationMs = hold.minDuration ? (parseGoDuration(hold.minDuration) ?? 0) : 0;
  const stepStart = s.stepStartedAt ? Date.parse(s.stepStartedAt) : NaN;
  const inStepMs = Number.isFinite(stepStart) ? Math.max(0, now - stepStart) : 0;
  const decidable = conditionOf(plan, 'Decidable');
  const needs = gatesOf(plan).filter((g) => g.needs?.message);
  const evidence = s.evidence;

  if (isTerminal(plan)) return <p>The plan finished {s.phase}{typeof s.message === 'string' && s.message ? `: ${s.message}` : '.'}</p>;
  return (
    <div class="progress">
      <Meter id="step-requests" label="Candidate requests toward the step's budget" value={requests} max={minRequests}
        text={minRequests > 0 ? `${count(requests)} of ${count(minRequests)}` : `${count(requests)} (no minimum)`} />
      <Meter id="step-windows" label="Consecutive passing windows" value={passing} max={Math.max(1, required)} text={`${passing} of ${required}`} />
      <Meter id="step-time" label="Time in step" value={inStepMs} max={minDurationMs}
        text={minDurationMs > 0 ? `${duration(inStepMs)} of ${duration(minDurationMs)}` : `${duration(inStepMs)} (no minimum)`} />
      {evidence && (
        <p class="muted">
          Evidence since {new Date(evidence.since).toLocaleTimeString('en-GB', { hour12: false })}: {count(evidence.windows)} windows,{' '}
          {count(evidence.candidateRequests)} candidate and {count(evidence.baselineRequests)} baseline requests
          {evidence.baselineIsReference ? ' (the baseline is the previous step\'s reference)' : ''}.
        </p>
      )}
      <h3>When will it decide?</h3>
      {decidable ? (
        <p>
          <ConditionBadge status={decidable.status} trueText="Decidable" falseText="Not decidable" /> {decidable.message || decidable.reason}
        </p>
      ) : <p class="muted">No estimate yet.</p>}
      {needs.length > 0 && (
        <ul>
          {needs.map((g) => <li key={`${g.name ?? g.metric}${g.slice ?? ''}`}><strong>{g.name ?? g.metric}{g.slice ? ` [${g.slice}]` : ''}</strong>: {g.needs!.message}</li>)}
        </ul>
      )}
    </div>
  );
}
