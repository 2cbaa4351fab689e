// Every transition of the plan from the hash-chained audit log (verbs
// plan/<cause>), who or what made it, and the evidence it was made on.
import { VerdictBadge } from '../../components/Badge.tsx';
import { count, dateTime, intervalText, metricValue } from '../../format.ts';

export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  verb: string;
  evidence?: {
    from?: string; to?: string; cause?: string; reason?: string; by?: string;
    step?: { phaseIndex?: number; stepIndex?: number; percent?: number };
    evidence?: {
      window?: { fromMs: number; toMs: number }; verdict?: string; requestsInStep?: number; consecutivePassingWindows?: number;
      gates?: Array<{ gate?: string; metric?: string; slice?: { name: string; value: string }; verdict?: string; value?: number; interval?: [number, number]; baseline?: number; threshold?: string; reason?: string; samples?: { candidate: number; baseline: number } }>;
    };
  };
}

function Evidence({ record }: { record: AuditRecord }) {
  const e = record.evidence?.evidence;
  if (!e) return <span class="muted">—</span>;
  const gates = e.gates ?? [];
  return (
    <details>
      <summary>{gates.length > 0 ? `${gates.length} gates` : 'evidence'}{e.verdict ? `, window ${e.verdict}` : ''}</summary>
      <p class="muted">
        {e.window ? `Window ${dateTime(e.window.fromMs)} – ${dateTime(e.window.toMs)}. ` : ''}
        {e.requestsInStep !== undefined ? `${count(e.requestsInStep)} candidate requests in step; ` : ''}
        {e.consecutivePassingWindows !== undefined ? `${e.consecutivePassingWindows} passing windows in a row.` : ''}
      </p>
      {gates.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Gate</th><th scope="col">Verdict</th><th scope="col">Value</th><th scope="col">Interval</th><th scope="col">Baseline</th><th scope="col">Threshold</th><th scope="col">Reason</th></tr></thead>
            <tbody>
              {gates.map((g, i) => (
                <tr key={i}>
                  <th scope="row">{g.gate ?? g.metric}{g.slice ? ` [${g.slice.name}=${g.slice.value}]` : ''}</th>
                  <td><VerdictBadge verdict={g.verdict} /></td>
                  <td>{metricValue(g.metric ?? '', g.value)}</td>
                  <td>{intervalText(g.metric ?? '', g.interval)}</td>
                  <td>{metricValue(g.metric ?? '', g.baseline)}</td>
                  <td>{g.threshold ?? ''}</td>
                  <td class="message">{g.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

export function Audit({ records }: { records: AuditRecord[] | undefined }) {
  if (!records) return <p class="muted">Loading…</p>;
  if (records.length === 0) return <p class="muted">No transitions yet.</p>;
  return (
    <div class="table-wrap">
      <table class="audit">
        <thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Transition</th><th scope="col">Cause</th><th scope="col">Step</th><th scope="col">Reason</th><th scope="col">Evidence</th></tr></thead>
        <tbody>
          {[...records].reverse().map((r) => {
            const t = r.evidence ?? {};
            return (
              <tr key={r.seq} data-verb={r.verb}>
                <td class="num">{r.seq}</td>
                <td>{dateTime(r.time)}</td>
                <td>{r.actor}</td>
                <td>{t.from && t.to ? `${t.from} → ${t.to}` : '—'}</td>
                <td>{t.cause ?? r.verb.replace(/^plan\//, '')}</td>
                <td class="num">{t.step?.percent !== undefined ? `${t.step.percent} %` : '—'}</td>
                <td class="message">{t.reason ?? ''}</td>
                <td><Evidence record={r} /></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
