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
