// A small JSONPath for `-o jsonpath=...` in kubectl's template form:
// text with {expressions}, {range ...}{end} and {"literals"}. Expressions are
// field paths with .name, ['name'], [n], [*], .* and [?(@.path op value)].
import { syError } from '../core/errors.ts';

type Segment =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: Segment[]; op?: string; value?: string | number | boolean };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: Segment[] }
  | { kind: 'range'; path: Segment[]; body: Node[] };

function fail(template: string, why: string): never {
  throw syError('SY_ERR_CONFIG', `invalid jsonpath template ${JSON.stringify(template)}: ${why}`);
}

function parseLiteral(raw: string): string | number | boolean {
  const t = raw.trim();
  if (/^'.*'$|^".*"$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/** Parses `.a.b[0]['c'][*][?(@.x=="y")]` (leading `$` or `@` optional). */
export function parsePath(src: string, template = src): Segment[] {
  const segments: Segment[] = [];
  let i = src.startsWith('$') || src.startsWith('@') ? 1 : 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '.') {
      i++;
      let name = '';
      while (i < src.length && !'.['.includes(src[i]!)) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        name += src[i++];
      }
      if (name === '*') segments.push({ kind: 'all' });
      else if (name !== '') segments.push({ kind: 'field', name });
    } else if (ch === '[') {
      const close = src.indexOf(src.startsWith('[?(', i) ? ')]' : ']', i);
      if (close < 0) fail(template, `unclosed [ in ${src}`);
      const inner = src.slice(i + 1, close).trim();
      i = close + (src.startsWith('[?(', i) ? 2 : 1);
      if (inner === '*') segments.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) segments.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(')) {
        const m = /^\?\(\s*(@[^=!<>]*?)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$/.exec(inner);
        if (!m) fail(template, `unsupported filter [${inner})]`);
        const path = parsePath(m[1]!, template);
        segments.push(m[2] ? { kind: 'filter', path, op: m[2], value: parseLiteral(m[3]!) } : { kind: 'filter', path });
      } else fail(template, `unsupported subscript [${inner}]`);
    } else {
      fail(template, `unexpected ${JSON.stringify(ch)} in ${src}`);
    }
  }
  return segments;
}

function compare(a: unknown, op: string, b: string | number | boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
  }
  if (op === '==') return String(a) === String(b);
  if (op === '!=') return String(a) !== String(b);
  return false;
}

export function evaluatePath(path: Segment[], data: unknown): unknown[] {
  let nodes: unknown[] = [data];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (seg.kind === 'field') {
        if (!Array.isArray(node) && Object.hasOwn(node, seg.name)) next.push((node as Record<string, unknown>)[seg.name]);
      } else if (seg.kind === 'index') {
        if (Array.isArray(node)) {
          const item = node.at(seg.index);
          if (item !== undefined) next.push(item);
        }
      } else if (seg.kind === 'all') {
        next.push(...(Array.isArray(node) ? node : Object.values(node)));
      } else {
        const items = Array.isArray(node) ? node : [node];
        for (const item of items) {
          const found = evaluatePath(seg.path, item);
          if (seg.op === undefined ? found.length > 0 : found.some((v) => compare(v, seg.op!, seg.value!))) next.push(item);
        }
      }
    }
    nodes = next;
  }
  return nodes;
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const top = stack[stack.length - 1]!;
    if (open < 0) {
      top.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}', open);
    if (close < 0) fail(template, 'unclosed {');
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^".*"$|^'.*'$/s.test(expr)) {
      top.push({ kind: 'text', text: expr.slice(1, -1).replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\r/g, '\r') });
    } else if (expr.startsWith('range ')) {
      const node: Node = { kind: 'range', path: parsePath(expr.slice(6).trim(), template), body: [] };
      top.push(node);
      stack.push(node.body);
    } else if (expr === 'end') {
      if (stack.length === 1) fail(template, '{end} without {range}');
      stack.pop();
    } else {
      top.push({ kind: 'path', path: parsePath(expr, template) });
    }
  }
  if (stack.length > 1) fail(template, '{range} without {end}');
  return root;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function render(nodes: Node[], data: unknown): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'path') out += evaluatePath(node.path, data).map(show).join(' ');
    else for (const item of evaluatePath(node.path, data)) out += render(node.body, item);
  }
  return out;
}

/** Renders a kubectl jsonpath template (`{.status.url}`) against `data`; a bare path is accepted too. */
export function jsonpath(template: string, data: unknown): string {
  const t = template.includes('{') ? template : `{${template}}`;
  return render(parseTemplate(t), data);
}
