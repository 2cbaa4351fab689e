// A shadow phase: the candidate answers copies of live requests and each
// answer is paired with the baseline's for the same request. Progress toward
// exit.pairedRequests, agreement (and over time), the failures on either side,
// agreement per output and the confusion matrix (baseline label × candidate
// label), with a way to the disagreeing pairs themselves.
import { Chart } from '../../components/Chart.tsx';
import { count, percentOf } from '../../format.ts';
import type { Plan } from '../../model/kinds.ts';
import type { HistoryPoint } from '../../model/plan.ts';
import { hrefOf } from '../../router.ts';

/** status.shadow as src/controllers/plan/present.ts writes it; every field read defensively. */
export interface ShadowStatus {
  percent?: number; pairedRequests?: number; pairs?: number; compared?: number; agree?: number; labelled?: number; agreement?: number;
  candidateErrors?: number; baselineErrors?: number; invalid?: number; incomparable?: number; unpaired?: number; incomparableReason?: string;
  byOutput?: Record<string, { compared?: number; agree?: number }>;
  confusion?: Record<string, Record<string, number>>;
  /** Set once the shadow phase passed and a later phase runs. */
  verdict?: string; phase?: number;
}

function Confusion({ confusion }: { confusion: Record<string, Record<string, number>> }) {
  const base = Object.keys(confusion).sort();
  if (base.length === 0) return null;
  const cand = [...new Set(base.flatMap((b) => Object.keys(confusion[b] ?? {})))].sort();
  return (
    <div class="table-wrap">
      <table class="confusion">
        <caption>Confusion: rows are the baseline's label, columns the candidate's; ✓ marks agreement</caption>
        <thead><tr><th scope="col">baseline \ candidate</th>{cand.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
        <tbody>
          {base.map((b) => (
            <tr key={b}>
              <th scope="row">{b}</th>
              {cand.map((c) => <td key={c} class={`num${b === c ? ' agree' : ''}`}>{b === c ? '✓ ' : ''}{count(confusion[b]?.[c] ?? 0)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ShadowPanel({ value, plan, history }: { value: unknown; plan: Plan; history: HistoryPoint[] }) {
  const sh = (typeof value === 'object' && value !== null ? value : {}) as ShadowStatus;
  const pairs = sh.pairs ?? 0;
  const points = history.filter((p) => p.shadow?.agreement !== undefined);
  const outputs = Object.entries(sh.byOutput ?? {});
  const target = plan.spec?.target?.inferenceService;
  return (
    <div class="shadow">
      <div class="meter">
        {sh.pairedRequests ? <label for="shadow-pairs">Pairs toward the exit</label> : <span class="meter-label">Pairs</span>}
        {sh.pairedRequests ? <progress id="shadow-pairs" value={Math.min(pairs, sh.pairedRequests)} max={sh.pairedRequests} /> : <span />}
        <span class="meter-text">{sh.pairedRequests ? `${count(pairs)} of ${count(sh.pairedRequests)}` : count(pairs)}</span>
      </div>
      <dl class="facts">
        {sh.verdict ? <div><dt>Verdict</dt><dd>phase {sh.phase ?? '?'} {sh.verdict}</dd></div> : null}
        <div><dt>Copied to the candidate</dt><dd>{sh.percent !== undefined ? `${sh.percent} % of requests` : '—'}</dd></div>
        <div><dt>Agreement</dt><dd>{percentOf(sh.agreement)} <span class="muted">({count(sh.agree)} of {count(sh.labelled)} labelled pairs)</span></dd></div>
        <div><dt>Disagreements</dt><dd>{sh.labelled !== undefined && sh.agree !== undefined ? count(sh.labelled - sh.agree) : '—'}</dd></div>
        <div><dt>Candidate failed</dt><dd>{count(sh.candidateErrors)}</dd></div>
        <div><dt>Candidate answers invalid</dt><dd>{count(sh.invalid)}</dd></div>
        <div><dt>Baseline failed</dt><dd>{count(sh.baselineErrors)}</dd></div>
        <div><dt>Unpaired copies</dt><dd>{count(sh.unpaired)}</dd></div>
        {sh.incomparable ? <div><dt>Not comparable</dt><dd>{count(sh.incomparable)}{sh.incomparableReason ? `: ${sh.incomparableReason}` : ''}</dd></div> : null}
      </dl>
      {outputs.length > 1 && <p>Agreement per output: {outputs.map(([n, o]) => `${n} ${percentOf(o.compared ? (o.agree ?? 0) / o.compared : undefined)}`).join(', ')}</p>}
      {points.length > 0 && (
        <Chart label="Shadow agreement over time" summary={`${points.length} windows; agreement now ${percentOf(sh.agreement)}`} t={points.map((p) => p.at / 1000)}
          series={[{ label: 'agreement', kind: 'line', values: points.map((p) => p.shadow!.agreement ?? null), color: 0 }]} format={(v) => percentOf(v)} yRange={[null, 1]} minSpan={0.05} height={160} />
      )}
      <Confusion confusion={sh.confusion ?? {}} />
      {target && <p><a href={hrefOf({ view: 'predictions', namespace: plan.metadata.namespace ?? 'default', service: target })}>The pairs themselves in the prediction log</a> (choose “paired with shadow”, then “only disagreements”).</p>}
    </div>
  );
}
