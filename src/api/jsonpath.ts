// The JSONPath of Kubernetes field paths, one engine for printer columns
// (CRD additionalPrinterColumns), kubectl's `-o jsonpath` (src/cli adds the
// template around it) and the prediction log's redaction paths:
// .a.b (a backslash escapes a dot: .annotations.serving\.kserve\.io/mode),
// ['a.b'], [0], [-1], [*], .*, and filters [?(@.x.y=='v')], [?(@.flag==true)],
// [?(@.n>=3)], [?(@.x)] (the path exists). A leading $ or @ is optional.
export type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };

export class JsonPathError extends Error {}

const FILTER = /^\?\(\s*@([^=!<>]*?)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$/;

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

/** A field name from `from` up to an unescaped . or [; returns the name and where it ends. */
function readName(p: string, from: number): [string, number] {
  let name = '';
  let i = from;
  while (i < p.length && p[i] !== '.' && p[i] !== '[') {
    if (p[i] === '\\' && i + 1 < p.length) i++;
    name += p[i++];
  }
  return [name, i];
}

/** Parses a path such as `.status.components.predictor.traffic[?(@.tag=='prev')].percent`. */
export function parseJsonPath(path: string): Step[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$') || p.startsWith('@')) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '.' || i === 0 && ch !== '[') {
      // A bare leading name ("status.url") is read as if it began with a dot.
      const [name, end] = readName(p, ch === '.' ? i + 1 : i);
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name !== '') steps.push({ kind: 'field', name });
      else if (p[end] === '.') throw new JsonPathError(`recursive descent (..) is not supported, at ${i} in ${path}`);
      i = end;
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
        const sub = parseJsonPath(f[1] ?? '');
        steps.push(f[2] === undefined ? { kind: 'filter', path: sub } : { kind: 'filter', path: sub, op: f[2], value: parseLiteral(f[3] ?? '') });
      }
    } else {
      throw new JsonPathError(`unexpected character ${ch} at ${i} in ${path}`);
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
          const found = evaluateJsonPath(item, step.path);
          // As client-go: [?(@.x)] keeps items where the path selects anything, even false or null.
          if (step.op === undefined ? found.length > 0 : found.some((v) => compare(v, step.op!, step.value))) next.push(item);
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
