// The JSONPath subset used by CRD additionalPrinterColumns (and kubectl's
// -o jsonpath for simple paths): .a.b, ['a.b'], [0], [-1], [*], and filters
// [?(@.x.y=='v')], [?(@.flag==true)], [?(@.n>=3)], [?(@.x)].
type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: string[]; op?: string; value?: unknown };

export class JsonPathError extends Error {}

const FILTER = /^\?\(@((?:\.[A-Za-z0-9_$-]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$/;

function parseLiteral(raw: string): unknown {
  const s = raw.trim();
  if ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) return s.slice(1, -1);
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  const n = Number(s);
  if (s !== '' && Number.isFinite(n)) return n;
  throw new JsonPathError(`unsupported literal ${s} in filter`);
}

/** Parses a path such as `.status.components.predictor.traffic[?(@.tag=='prev')].percent`. */
export function parseJsonPath(path: string): Step[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '.') {
      const m = /^[A-Za-z0-9_$-]*/.exec(p.slice(i + 1));
      const name = m?.[0] ?? '';
      if (name === '') {
        if (p[i + 1] === '*') { steps.push({ kind: 'wildcard' }); i += 2; continue; }
        if (p[i + 1] === '[' || i + 1 === p.length) { i += 1; continue; }
        throw new JsonPathError(`unexpected character at ${i + 1} in ${path}`);
      }
      steps.push({ kind: 'field', name });
      i += 1 + name.length;
    } else if (ch === '[') {
      const end = findClose(p, i);
      const inner = p.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else {
        const f = FILTER.exec(inner);
        if (!f) throw new JsonPathError(`unsupported expression [${inner}] in ${path}`);
        const sub = (f[1] ?? '').split('.').filter(Boolean);
        steps.push(f[2] === undefined ? { kind: 'filter', path: sub } : { kind: 'filter', path: sub, op: f[2], value: parseLiteral(f[3] ?? '') });
      }
    } else {
      // A bare leading name ("status.url") is accepted as if it began with a dot.
      const m = /^[A-Za-z0-9_$-]+/.exec(p.slice(i));
      if (!m || i !== 0) throw new JsonPathError(`unexpected character ${ch} at ${i} in ${path}`);
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    }
  }
  return steps;
}

function findClose(p: string, open: number): number {
  let quote: string | null = null;
  let depth = 0;
  for (let j = open; j < p.length; j++) {
    const c = p[j];
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') { depth--; if (depth === 0 && c === ']') return j; }
  }
  throw new JsonPathError(`unclosed [ in ${p}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!isRecord(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    default:
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
  }
}

/** All values the path selects, in document order; [] when nothing matches. */
export function evaluateJsonPath(root: unknown, path: string | Step[]): unknown[] {
  const steps = typeof path === 'string' ? parseJsonPath(path) : path;
  let nodes: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if (step.kind === 'field') {
        if (isRecord(n) && Object.hasOwn(n, step.name) && n[step.name] !== undefined) next.push(n[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(n)) {
          const v = n.at(step.index);
          if (v !== undefined) next.push(v);
        }
      } else if (step.kind === 'wildcard') {
        if (Array.isArray(n)) next.push(...n);
        else if (isRecord(n)) next.push(...Object.values(n));
      } else {
        const items = Array.isArray(n) ? n : isRecord(n) ? Object.values(n) : [];
        for (const item of items) {
          const v = get(item, step.path);
          const keep = step.op === undefined ? v !== undefined && v !== null && v !== false : compare(v, step.op, step.value);
          if (keep) next.push(item);
        }
      }
    }
    nodes = next;
  }
  return nodes;
}

/**
 * A printer-column cell as kube-apiserver computes it: a single match as is,
 * several matches joined by spaces (e.g. container names); null when absent.
 */
export function columnCell(root: unknown, path: string): unknown {
  const values = evaluateJsonPath(root, path);
  if (values.length === 0) return null;
  const [only] = values;
  if (values.length === 1 && (only === null || typeof only !== 'object')) return only ?? null;
  // Lists and maps print as JSON, as kubectl shows Istio's HOSTS ["a","b"].
  return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(' ');
}
