// A time chart (uPlot) that follows its container's width and takes new data
// without being rebuilt. Lines differ by dash as well as colour; the chart is
// an image with a one-line summary for screen readers, and each view puts the
// same numbers in a table beside it.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { xRangeOf, yRangeOf } from './chart-range.ts';

export interface ChartSeries {
  label: string;
  /** line: joined values; points: markers only; step: a stepped line (a split); rule: a constant threshold. */
  kind: 'line' | 'points' | 'step' | 'rule';
  values: Array<number | null>;
  /** Index into PALETTE. */
  color: number;
  dash?: number[];
}

export interface ChartProps {
  /** Visible heading is the caller's; this names the image for assistive technology. */
  label: string;
  summary: string;
  /** Epoch seconds. */
  t: number[];
  series: ChartSeries[];
  /** Shade between two series (by index into series): e.g. an interval's low and high. */
  band?: { upper: number; lower: number; color: number };
  format: (v: number) => string;
  /** Fixed ends of the y axis (null: from the data). */
  yRange?: [number | null, number | null];
  /** The least the y axis spans, so an all-zero series (no errors) shows as a flat line at 0, not at mid-height. */
  minSpan?: number;
  height?: number;
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function seriesOpts(s: ChartSeries, format: (v: number) => string): uPlot.Series {
  const stroke = PALETTE[s.color % PALETTE.length]!;
  const base: uPlot.Series = { label: s.label, stroke, width: s.kind === 'rule' ? 1.5 : 2, value: (_u, v) => (v === null || v === undefined ? '—' : format(v)), spanGaps: s.kind !== 'points' };
  if (s.dash) base.dash = s.dash;
  if (s.kind === 'points') return { ...base, paths: () => null, points: { show: true, size: 7, fill: stroke } };
  if (s.kind === 'step') return { ...base, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } };
  if (s.kind === 'rule') return { ...base, points: { show: false } };
  return { ...base, points: { show: true, size: 4 } };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The y range is read at every redraw, so a range that follows the data needs no rebuild.
  const range = useRef(props.yRange);
  range.current = props.yRange;
  // Rebuild only when the shape of the chart changes, not on new data.
  const shape = `${props.series.map((s) => `${s.label}:${s.kind}`).join('|')}|${props.band ? `${props.band.upper}-${props.band.lower}` : ''}|${props.minSpan ?? ''}`;
  const data = (): uPlot.AlignedData => [props.t, ...props.series.map((s) => s.values)];

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 220,
      series: [{ label: 'time', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleTimeString('en-GB', { hour12: false })) }, ...props.series.map((s) => seriesOpts(s, props.format))],
      axes: [
        { values: (_u, ticks) => ticks.map((v) => new Date(v * 1000).toLocaleTimeString('en-GB', { hour12: false })) },
        { values: (_u, ticks) => ticks.map((v) => props.format(v)), size: 70 },
      ],
      scales: { x: { time: true, range: (u, lo, hi) => xRangeOf(u.data[0], lo, hi) }, y: { range: (_u, lo, hi) => yRangeOf(lo, hi, range.current, props.minSpan) } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      ...(props.band ? { bands: [{ series: [props.band.upper + 1, props.band.lower + 1], fill: alpha(PALETTE[props.band.color % PALETTE.length]!, 0.15) }] } : {}),
    };
    const u = new uPlot(opts, data(), el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return <div class="chart" role="img" aria-label={`${props.label}: ${props.summary}`} ref={box} data-points={props.t.length} />;
}
