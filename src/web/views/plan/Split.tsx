// The live split (each revision's share of traffic) and how it moved over time.
import { Chart, type ChartSeries } from '../../components/Chart.tsx';
import { significant } from '../../format.ts';
import type { Plan } from '../../model/kinds.ts';
import { splitSeriesOf, type HistoryPoint } from '../../model/plan.ts';

function roleOf(plan: Plan, revision: string): string {
  if (revision === plan.status?.baselineRevision) return 'baseline';
  if (revision === plan.status?.candidateRevision) return 'candidate';
  return 'revision';
}

export function Split({ plan, history, now }: { plan: Plan; history: HistoryPoint[]; now: number }) {
  const split = plan.status?.split ?? {};
  const s = splitSeriesOf(history, plan, now);
  const series: ChartSeries[] = s.revisions.map((rev, i) => ({ label: `${roleOf(plan, rev)} ${rev}`, kind: 'step', values: s.percent[i]!, color: i === 0 ? 0 : i === 1 ? 1 : i + 1, ...(i === 1 ? { dash: [6, 3] } : {}) }));
  const summary = Object.entries(split).map(([rev, p]) => `${roleOf(plan, rev)} ${rev} ${p} %`).join(', ') || 'no split yet';
  return (
    <div class="split">
      <div class="table-wrap">
        <table>
          <caption>Now</caption>
          <thead><tr><th scope="col">Revision</th><th scope="col">Role</th><th scope="col">Traffic</th></tr></thead>
          <tbody>
            {Object.entries(split).map(([rev, p]) => (
              <tr key={rev} data-revision={rev}><th scope="row">{rev}</th><td>{roleOf(plan, rev)}</td><td class="num">{significant(p)} %</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      {s.t.length > 0 && <Chart label="Split over time" summary={summary} t={s.t} series={series} format={(v) => `${significant(v)} %`} yRange={[0, 100]} height={180} />}
    </div>
  );
}
