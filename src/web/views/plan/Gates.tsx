// Each gate: its verdict, the step's cumulative value with its always-valid
// interval against the pass/fail thresholds, and a chart of every judged
// window (the window's own value as points, the cumulative value as a line,
// the interval as a band, thresholds as dashed rules), with the same numbers
// in a table.
import { VerdictBadge } from '../../components/Badge.tsx';
import { Chart, type ChartSeries } from '../../components/Chart.tsx';
import { clock, count, intervalText, metricValue } from '../../format.ts';
import type { GateStatus, Plan } from '../../model/kinds.ts';
import { gateSeriesKey, gateSeriesOf, gateSpecOf, gatesOf, thresholdLines, type GateSeries, type HistoryPoint } from '../../model/plan.ts';

const RECENT_ROWS = 20;

function chartOf(series: GateSeries | undefined, gate: GateStatus, plan: Plan) {
  const lines = thresholdLines(gateSpecOf(plan, gate.name ?? gate.metric));
  const t = series?.t ?? [];
  const values: ChartSeries[] = [
    { label: 'window value', kind: 'points', values: series?.window ?? [], color: 0 },
    { label: 'step value (cumulative)', kind: 'line', values: series?.value ?? [], color: 1 },
    { label: 'interval high', kind: 'line', values: series?.hi ?? [], color: 7, dash: [2, 3] },
    { label: 'interval low', kind: 'line', values: series?.lo ?? [], color: 7, dash: [2, 3] },
    ...lines.map((l): ChartSeries => ({ label: l.label, kind: 'rule', values: t.map(() => l.value), color: l.role === 'fail' ? 1 : 2, dash: l.role === 'fail' ? [8, 4] : [2, 4] })),
  ];
  // The early windows' intervals are wide: let them run off the top rather than flatten everything after.
  const seen = [...(series?.window ?? []), ...(series?.value ?? []), ...lines.map((l) => l.value)].filter((v): v is number => v !== null && Number.isFinite(v));
  const top = seen.length > 0 ? Math.max(...seen) * 1.5 : null;
  const bottom = seen.length > 0 ? Math.min(0, ...seen) : null;
  return { t, values, lines, yRange: [bottom, top && top > (bottom ?? 0) ? top : null] as [number | null, number | null] };
}

function GateCard({ gate, series, plan }: { gate: GateStatus; series: GateSeries | undefined; plan: Plan }) {
  const name = gate.name ?? gate.metric;
  const title = `${name}${gate.slice ? ` [${gate.slice}]` : ''}`;
  const id = `gate-${gateSeriesKey(gate).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const fmt = (v: number | null | undefined) => metricValue(gate.metric, v);
  const chart = chartOf(series, gate, plan);
  const last = series ? series.t.length - 1 : -1;
  const summary = last < 0 ? 'no window judged yet'
    : `${series!.t.length} windows; latest window ${fmt(series!.window[last])}, step value ${fmt(series!.value[last])} ${intervalText(gate.metric, [series!.lo[last] ?? null, series!.hi[last] ?? null])}; thresholds ${gate.threshold ?? 'none'}; verdict ${gate.verdict ?? 'nodata'}`;
  const rows = series ? series.t.map((t, i) => ({ t, i })).slice(-RECENT_ROWS).reverse() : [];

  return (
    <article class="gate" aria-labelledby={id} data-gate={title}>
      <header>
        <h3 id={id}>{title}</h3>
        <VerdictBadge verdict={gate.skipped ? 'skipped' : gate.verdict} />
      </header>
      <dl class="facts">
        <div><dt>Thresholds</dt><dd>{gate.threshold ?? '—'}</dd></div>
        <div><dt>Step value</dt><dd>{fmt(gate.value)} <span class="muted">{gate.interval ? intervalText(gate.metric, gate.interval) : gate.deltaInterval ? `difference from the baseline ${intervalText(gate.metric, gate.deltaInterval)}` : ''}</span></dd></div>
        {gate.baseline !== undefined && <div><dt>Baseline</dt><dd>{fmt(gate.baseline)}</dd></div>}
        <div><dt>Latest window</dt><dd>{fmt(gate.lastWindow?.value)}{gate.lastWindow ? <span class="muted"> ({count(gate.lastWindow.samples)} samples{gate.lastWindow.failed ? ', failed alone' : ''})</span> : null}</dd></div>
        {gate.samples && <div><dt>Samples in step</dt><dd>{count(gate.samples.candidate)} candidate, {count(gate.samples.baseline)} baseline</dd></div>}
      </dl>
      {gate.reason && <p class="message">{gate.reason}</p>}
      {gate.needs?.message && <p class="message">Needs {gate.needs.message}</p>}
      <Chart label={`Gate ${title}`} summary={summary} t={chart.t} series={chart.values} band={{ upper: 2, lower: 3, color: 7 }} format={(v) => metricValue(gate.metric, v)} yRange={chart.yRange} />
      <details>
        <summary>Windows as a table ({series?.t.length ?? 0})</summary>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Window end</th><th scope="col">Verdict</th><th scope="col">Window value</th><th scope="col">Step value</th><th scope="col">Interval</th></tr></thead>
            <tbody>
              {rows.map(({ t, i }) => (
                <tr key={t}>
                  <td>{clock(t * 1000)}</td>
                  <td><VerdictBadge verdict={series!.verdict[i]} /></td>
                  <td>{fmt(series!.window[i])}</td>
                  <td>{fmt(series!.value[i])}</td>
                  <td>{intervalText(gate.metric, [series!.lo[i] ?? null, series!.hi[i] ?? null])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </article>
  );
}

export function Gates({ plan, history }: { plan: Plan; history: HistoryPoint[] }) {
  const gates = gatesOf(plan);
  const series = new Map(gateSeriesOf(history).map((s) => [s.key, s]));
  if (gates.length === 0) {
    return <p class="muted">{(plan.spec?.gates ?? []).length === 0 ? 'This plan has no gates.' : 'No window judged yet: the gates report once the first window with candidate traffic closes.'}</p>;
  }
  return (
    <div class="gates">
      {gates.map((g) => <GateCard key={gateSeriesKey(g)} gate={g} series={series.get(gateSeriesKey(g))} plan={plan} />)}
    </div>
  );
}
