// Where a chart's y axis starts and ends: a fixed end where the view gives
// one, else the data's, and never narrower than minSpan — so an all-zero
// error rate draws as a flat line at 0, and agreement at 100 % sits at the top.

export function yRangeOf(lo: number | null, hi: number | null, fixed: readonly [number | null, number | null] | undefined, minSpan = 0): [number, number] {
  const fixedMin = fixed?.[0] ?? null;
  const fixedMax = fixed?.[1] ?? null;
  let min = fixedMin ?? lo ?? 0;
  let max = fixedMax ?? hi ?? min + minSpan;
  if (fixedMax === null) max = Math.max(max, min + minSpan);
  else if (fixedMin === null) min = Math.min(min, max - minSpan);
  if (!(max > min)) {
    const span = minSpan || Math.abs(min) || 1;
    if (fixedMax === null) max = min + span;
    else min = max - span;
  }
  return [min, max];
}

/** Seconds shown around a chart's only point (or its points all at one time). */
export const LONE_POINT_SPAN_S = 60;

/**
 * The time axis (epoch seconds), from the points' times: uPlot's own range for
 * a single point spans a thousand days, which labels every tick 00:00:00; a
 * lone point gets a minute around it, no point the last minute.
 */
export function xRangeOf(times: ArrayLike<number>, lo: number | null, hi: number | null, nowS = Date.now() / 1000): [number, number] {
  const n = times.length;
  if (n === 0) return [nowS - LONE_POINT_SPAN_S, nowS];
  const first = times[0]!;
  const last = times[n - 1]!;
  if (last > first) return [lo ?? first, hi ?? last];
  return [first - LONE_POINT_SPAN_S / 2, first + LONE_POINT_SPAN_S / 2];
}
