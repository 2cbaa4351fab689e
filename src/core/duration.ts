// Go duration strings ("1m30s", "250ms", "24h"): the unit Kubernetes, Knative,
// Istio and Argo manifests write durations in.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The durations a manifest field may hold ("1m", "1h30m", "0.5s", "0"): Go's
 * syntax without a sign, as Istio writes them. Published as the fields' OpenAPI
 * pattern; every match parses with parseGoDuration to a value of 0 or more.
 */
export const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

/** Milliseconds, or undefined when the text is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0' || t === '+0' || t === '-0') return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(t);
  if (!m) return undefined;
  let total = 0;
  for (const part of t.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/** For optional fields: undefined in, undefined out. */
export function optionalDurationMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseGoDuration(text);
}
