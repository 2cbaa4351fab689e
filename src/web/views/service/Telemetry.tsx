// Request rate, latency and error rate per revision over the last minutes,
// from the gateway's telemetry (GET .../telemetry/series), refreshed every
// couple of seconds.
import { Chart, type ChartSeries } from '../../components/Chart.tsx';
import { ErrorNote } from '../../components/Live.tsx';
import { percentOf, significant } from '../../format.ts';
import { usePoll } from '../../hooks.ts';
import { urlOf } from '../../api.ts';

interface SeriesPoint { t: number; requests: number; rps: number; errorRate: number | null; p50Ms: number | null; p99Ms: number | null }
interface TelemetrySeries { stepMs: number; revisions: Record<string, SeriesPoint[]> }

const SPAN_MS = 300_000;
const STEP_MS = 2000;
const MIN_POINTS = 30;

export function Telemetry({ namespace, service }: { namespace: string; service: string }) {
  const { data, error } = usePoll<TelemetrySeries>(
    urlOf(`/switchyard/v1/namespaces/${encodeURIComponent(namespace)}/telemetry/series`, { service, spanMs: SPAN_MS, stepMs: STEP_MS }), STEP_MS,
  );
  const revisions = Object.keys(data?.revisions ?? {});
  if (error) return <ErrorNote error={error} what="telemetry" />;
  if (!data) return <p class="muted">Loading…</p>;
  if (revisions.length === 0) return <p class="muted">No requests through the gateway in the last {SPAN_MS / 60_000} minutes.</p>;
  // From shortly before the first request (a service just created has minutes of nothing), at least a minute.
  const n = data.revisions[revisions[0]!]!.length;
  const first = Math.min(...revisions.map((r) => data.revisions[r]!.findIndex((p) => p.requests > 0)).filter((i) => i >= 0), n);
  const from = Math.max(0, Math.min(first - 1, n - MIN_POINTS));
  const t = data.revisions[revisions[0]!]!.slice(from).map((p) => (p.t + data.stepMs) / 1000);
  const per = (pick: (p: SeriesPoint) => number | null): ChartSeries[] =>
    revisions.map((rev, i) => ({ label: rev, kind: 'line', values: data.revisions[rev]!.slice(from).map(pick), color: i, ...(i % 2 === 1 ? { dash: [6, 3] } : {}) }));
  const latest = (rev: string) => data.revisions[rev]!.at(-1);
  const summary = (f: (p: SeriesPoint) => string) => revisions.map((r) => `${r} ${latest(r) ? f(latest(r)!) : '—'}`).join(', ');
  const ms = (v: number) => `${significant(v)} ms`;
  return (
    <div class="telemetry">
      <h3>Requests per second</h3>
      <Chart label="Requests per second by revision" summary={summary((p) => `${significant(p.rps)}/s`)} t={t} series={per((p) => p.rps)} format={(v) => `${significant(v)}/s`} yRange={[0, null]} minSpan={1} height={160} />
      <h3>Latency p99</h3>
      <Chart label="Latency p99 by revision" summary={summary((p) => (p.p99Ms === null ? '—' : ms(p.p99Ms)))} t={t} series={per((p) => p.p99Ms)} format={ms} yRange={[0, null]} minSpan={10} height={160} />
      <h3>Error rate (5xx, timeouts, upstream failures)</h3>
      <Chart label="Error rate by revision" summary={summary((p) => percentOf(p.errorRate))} t={t} series={per((p) => p.errorRate)} format={(v) => percentOf(v)} yRange={[0, null]} minSpan={0.01} height={160} />
      <div class="table-wrap">
        <table>
          <caption>Last {STEP_MS / 1000} s</caption>
          <thead><tr><th scope="col">Revision</th><th scope="col">Requests/s</th><th scope="col">p50</th><th scope="col">p99</th><th scope="col">Error rate</th></tr></thead>
          <tbody>
            {revisions.map((r) => {
              const p = latest(r);
              return (
                <tr key={r}>
                  <th scope="row">{r}</th>
                  <td class="num">{p ? significant(p.rps) : '—'}</td>
                  <td class="num">{p?.p50Ms != null ? ms(p.p50Ms) : '—'}</td>
                  <td class="num">{p?.p99Ms != null ? ms(p.p99Ms) : '—'}</td>
                  <td class="num">{percentOf(p?.errorRate)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
