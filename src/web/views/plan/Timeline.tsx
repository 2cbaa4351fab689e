// The plan's phases and steps in order, with where it is now. Each step says
// its state in words (done, current, stopped here, skipped, next), not only
// by its colour.
import type { Plan } from '../../model/kinds.ts';
import { timelineOf, type StepState } from '../../model/plan.ts';

const STATE_TEXT: Record<StepState, { symbol: string; text: string }> = {
  done: { symbol: '✓', text: 'done' },
  current: { symbol: '▶', text: 'current' },
  stopped: { symbol: '✗', text: 'stopped here' },
  skipped: { symbol: '»', text: 'skipped' },
  next: { symbol: '○', text: 'next' },
};

export function Timeline({ plan }: { plan: Plan }) {
  const steps = timelineOf(plan);
  if (steps.length === 0) return <p class="muted">The plan has no phases.</p>;
  return (
    <ol class="timeline" aria-label="Phases and steps">
      {steps.map((s) => (
        <li key={`${s.phaseIndex}-${s.stepIndex}`} class={`step step-${s.state}`} {...(s.state === 'current' || s.state === 'stopped' ? { 'aria-current': 'step' } : {})}>
          <span class="step-kind">{s.kind}</span>
          <span class="step-label">{s.label}</span>
          <span class="step-state"><span aria-hidden="true">{STATE_TEXT[s.state].symbol}</span> {STATE_TEXT[s.state].text}</span>
        </li>
      ))}
    </ol>
  );
}
