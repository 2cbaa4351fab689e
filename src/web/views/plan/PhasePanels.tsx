// PHASE-SPECIFIC PANELS. Shadow, A/B and bandit phases report their own
// status (paired metrics, an A/B report, bandit allocations and rewards).
// Each gets an entry here, keyed by the status field it reads; a field
// without a renderer of its own gets the generic one, which lists its numbers
// and text so nothing the controller reports is hidden.
import type { ComponentChildren } from 'preact';
import { significant } from '../../format.ts';
import type { Plan } from '../../model/kinds.ts';
import type { HistoryPoint } from '../../model/plan.ts';
import { BanditPanel } from './BanditPanel.tsx';
import { ExperimentPanel } from './ExperimentPanel.tsx';
import { ShadowPanel } from './ShadowPanel.tsx';

interface PhasePanel {
  /** The status field the panel reads (status.<key>). */
  key: string;
  title: string;
  render?: (value: unknown, plan: Plan, history: HistoryPoint[]) => ComponentChildren;
}

export const PHASE_PANELS: PhasePanel[] = [
  { key: 'shadow', title: 'Shadow pairs (agreement, disagreements)', render: (value, plan, history) => <ShadowPanel value={value} plan={plan} history={history} /> },
  { key: 'experiment', title: 'A/B report', render: (value) => <ExperimentPanel value={value} /> },
  { key: 'bandit', title: 'Bandit allocation and rewards', render: (value) => <BanditPanel value={value} /> },
];

function scalar(v: unknown): string | undefined {
  if (typeof v === 'number') return significant(v, 4);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Every scalar field, one level of nesting deep, as a definition list; the rest as JSON. */
function Generic({ value }: { value: unknown }) {
  if (typeof value !== 'object' || value === null) return <p>{scalar(value) ?? '—'}</p>;
  const entries = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    scalar(v) !== undefined ? [[k, scalar(v)!]] : typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.entries(v as Record<string, unknown>).flatMap(([k2, v2]) => (scalar(v2) !== undefined ? [[`${k}.${k2}`, scalar(v2)!]] : []))
      : []);
  return (
    <>
      <dl class="facts">{entries.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>
      <details><summary>As reported</summary><pre>{JSON.stringify(value, null, 2)}</pre></details>
    </>
  );
}

export function PhasePanels({ plan, history }: { plan: Plan; history: HistoryPoint[] }) {
  const status = (plan.status ?? {}) as Record<string, unknown>;
  const present = PHASE_PANELS.filter((p) => status[p.key] !== undefined);
  return (
    <>
      {present.map((p) => (
        <section key={p.key} aria-labelledby={`phase-panel-${p.key}`} data-phase-panel={p.key}>
          <h2 id={`phase-panel-${p.key}`}>{p.title}</h2>
          {p.render ? p.render(status[p.key], plan, history) : <Generic value={status[p.key]} />}
        </section>
      ))}
    </>
  );
}
