// How the dashboard writes numbers, times and gate values: one place, so a
// rate reads the same in a table, a chart axis and a screen reader's label.
import { humanDuration } from '../api/age.ts';

/** Metrics whose value is a share of requests, outputs or shadow pairs: shown in percent. */
const RATE_METRIC = /Rate$|^agreement$/;
const MS_METRIC = /Ms$/;

export function significant(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : '—';
  if (x === 0) return '0';
  return String(Number(x.toPrecision(digits)));
}

/** A share in [0, 1] as a percent: 0.0123 → "1.23 %". */
export function percentOf(share: number | null | undefined, digits = 3): string {
  return share === null || share === undefined ? '—' : `${significant(share * 100, digits)} %`;
}

/** A gate's value in its metric's unit: errorRate 0.004 → "0.4 %", latencyP99Ms 212.4 → "212 ms", outputPSI → "0.0123". */
export function metricValue(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return significant(v);
  if (RATE_METRIC.test(metric)) return percentOf(v);
  if (MS_METRIC.test(metric)) return `${significant(v)} ms`;
  return significant(v);
}

/** [lo, hi] in the metric's unit; an open end is shown as such. */
export function intervalText(metric: string, interval: ReadonlyArray<number | null> | undefined): string {
  if (!interval || interval.length < 2) return '—';
  return `[${metricValue(metric, interval[0] ?? -Infinity)}, ${metricValue(metric, interval[1] ?? Infinity)}]`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** "5m12s ago" from an RFC 3339 time (or epoch ms); "—" without one. */
export function ago(time: string | number | undefined, nowMs: number): string {
  if (time === undefined) return '—';
  const ms = typeof time === 'number' ? time : Date.parse(time);
  return Number.isFinite(ms) ? `${humanDuration(nowMs - ms)} ago` : '—';
}

/** A duration in ms the way kubectl writes ages: "45s", "5m12s". */
export function duration(ms: number): string {
  return humanDuration(ms);
}

/** Local wall-clock time, to the second: "14:03:21". */
export function clock(time: string | number): string {
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString('en-GB', { hour12: false }) : '—';
}

/** Date and time for tables that span days: "2026-10-02 14:03:21". */
export function dateTime(time: string | number): string {
  const d = new Date(time);
  if (!Number.isFinite(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(time)}`;
}
