// A model's answer as a person compares it in a table: V1 `predictions`, or
// each Open Inference V2 output as `name=data`, numbers to 3 significant
// digits, without the envelope (model_name, id, parameters) that differs on
// every answer. Shared by the CLI and the dashboard.

/** Numbers to 3 significant digits, so that a row of probabilities fits a column. */
export function compactNumbers(v: unknown): unknown {
  return typeof v === 'number' ? Number(v.toPrecision(3)) : Array.isArray(v) ? v.map(compactNumbers) : v;
}

/** Cut to `max` characters, the cut marked. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function answerText(output: unknown, max = 60): string {
  const o = output as { predictions?: unknown; outputs?: Array<{ name?: unknown; data?: unknown }> } | null | undefined;
  let text: string;
  if (o === null || o === undefined) text = '';
  else if (typeof o === 'string') text = o;
  else if (typeof o === 'object' && 'predictions' in o) text = JSON.stringify(compactNumbers(o.predictions));
  else if (typeof o === 'object' && Array.isArray(o.outputs)) text = o.outputs.map((x) => `${String(x?.name ?? '?')}=${JSON.stringify(compactNumbers(x?.data))}`).join(' ');
  else text = JSON.stringify(o);
  return clip(text, max);
}
