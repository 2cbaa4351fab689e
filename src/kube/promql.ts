// PromQL templates of TrafficPlan gates: `{{namespace}}`, `{{service}}`,
// `{{revision}}` and `{{window}}` are filled in per side (candidate, then
// baseline) before the query is sent. Names are substituted as the content of
// a double-quoted PromQL string, so a stray quote or backslash cannot change
// the query's meaning; the window becomes a Prometheus range duration.
import { parseGoDuration } from '../core/duration.ts';

export const PLACEHOLDERS = ['namespace', 'service', 'revision', 'window'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface QueryVars {
  namespace: string;
  service: string;
  revision: string;
  /** The gate window: a Go duration ("1m", "1m30s") or milliseconds. */
  window: string | number;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Placeholder names the query uses, in order of first use (unknown names included). */
export function placeholdersOf(query: string): string[] {
  return [...new Set([...query.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Why the template cannot be rendered (unknown or unclosed placeholder), or undefined when it can. */
export function checkQueryTemplate(query: string): string | undefined {
  const unknown = placeholdersOf(query).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    return `unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')} in the query; the placeholders are ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`;
  }
  // `{{` never occurs in valid PromQL, so one left after matching is a typo like `{{revision}`.
  const rest = query.replace(PLACEHOLDER, '');
  const at = rest.indexOf('{{');
  if (at >= 0) return `unclosed placeholder near "${rest.slice(at, at + 20)}" in the query`;
  return undefined;
}

/** Whether the query distinguishes revisions, i.e. whether a baseline query makes sense. */
export function usesRevision(query: string): boolean {
  return placeholdersOf(query).includes('revision');
}

/** Content of a double-quoted PromQL string: the lexer accepts only these escapes inside "…". */
export function promqlString(value: string): string {
  return value.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
}

const UNITS: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

/**
 * A Prometheus range duration for a Go duration or milliseconds, in the largest
 * unit that divides it ("1m30s" → "90s", "1.5s" → "1500ms"): Prometheus takes
 * neither fractions nor ns/us.
 */
export function promDuration(window: string | number): string | undefined {
  const ms = typeof window === 'number' ? window : parseGoDuration(window);
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  if (ms < 1) return undefined;
  const whole = Math.round(ms);
  const [unit, size] = UNITS.find(([, size]) => whole % size === 0)!;
  return `${whole / size}${unit}`;
}

/** The query for one side, or why it cannot be built. */
export function renderQuery(query: string, vars: QueryVars): { query: string } | { error: string } {
  const bad = checkQueryTemplate(query);
  if (bad) return { error: bad };
  let window: string | undefined;
  if (placeholdersOf(query).includes('window')) {
    window = promDuration(vars.window);
    if (!window) return { error: `window ${JSON.stringify(vars.window)} is not a positive duration of at least 1ms` };
  }
  const out = query.replace(PLACEHOLDER, (_all, name: string) => {
    if (name === 'window') return window!;
    return promqlString(vars[name as Exclude<Placeholder, 'window'>]);
  });
  return { query: out };
}
