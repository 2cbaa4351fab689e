// The subset of GJSON that KServe's Switch conditions use. KServe routes to
// the first step whose `gjson.Get(body, condition).Exists()`; we accept the
// same strings and decide "exists" the same way:
//   instances.0.0            a path (matches when the value exists)
//   [@this].#(source==client) / #(x>5)   GJSON queries on the whole body
//   items.#(score>0.5)       a query over an array: any element matches
//   age > 30, user.tier == "gold", instances.0.0 >= 5   a bare comparison
// Compiled once per graph; evaluating is a walk over the parsed body.

export type Condition = (body: unknown) => boolean;

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=' | '%' | '!%';
const OPS: Op[] = ['==', '!=', '<=', '>=', '!%', '<', '>', '%'];

export class ConditionError extends Error {}

/** Value at a dotted GJSON path (`a.b.0`, `a.#` = length); undefined when absent. */
export function valueAtPath(root: unknown, path: string): unknown {
  if (path === '' || path === '@this') return root;
  let cur = root;
  for (const seg of splitPath(path)) {
    if (Array.isArray(cur)) {
      if (seg === '#') cur = cur.length;
      else if (/^\d+$/.test(seg)) cur = cur[Number(seg)];
      else return undefined;
    } else if (typeof cur === 'object' && cur !== null) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) cur += path[++i];
    else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** `*` and `?` wildcards, as GJSON's `%` (like) operator. */
function like(value: string, pattern: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'bool'; value: boolean } | { kind: 'null' };

function parseLiteral(raw: string): Literal {
  const s = raw.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return { kind: 'string', value: JSON.parse(s) as string };
    } catch {
      throw new ConditionError(`bad string literal ${s}`);
    }
  }
  if (s === 'true' || s === 'false') return { kind: 'bool', value: s === 'true' };
  if (s === 'null') return { kind: 'null' };
  if (s !== '' && Number.isFinite(Number(s))) return { kind: 'number', value: Number(s) };
  if (s === '') throw new ConditionError('missing value after the operator');
  // GJSON compares an unquoted word as a string: #(source==client).
  return { kind: 'string', value: s };
}

function order(a: number | string, b: number | string, op: Op): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    default: return false;
  }
}

function compare(value: unknown, op: Op, lit: Literal): boolean {
  if (value === undefined) return false;
  if (op === '%' || op === '!%') {
    if (typeof value !== 'string' || lit.kind !== 'string') return false;
    return like(value, lit.value) === (op === '%');
  }
  switch (lit.kind) {
    case 'number': return typeof value === 'number' && order(value, lit.value, op);
    case 'string': return typeof value === 'string' && order(value, lit.value, op);
    case 'bool': return typeof value === 'boolean' && (op === '==' ? value === lit.value : op === '!=' ? value !== lit.value : false);
    case 'null': return op === '==' ? value === null : op === '!=' ? value !== null : false;
  }
}

/** `path op literal` or a bare `path` (exists); used inside #(...) and at the top level. */
function compileTest(src: string): Condition {
  for (const op of OPS) {
    const at = findOp(src, op);
    if (at < 0) continue;
    const path = src.slice(0, at).trim();
    const lit = parseLiteral(src.slice(at + op.length));
    return (body) => compare(valueAtPath(body, path), op, lit);
  }
  const path = src.trim();
  if (path === '') throw new ConditionError('empty condition');
  return (body) => valueAtPath(body, path) !== undefined;
}

/** Index of op outside a quoted string, not part of a longer operator. */
function findOp(src: string, op: Op): number {
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' && src[i - 1] !== '\\') quoted = !quoted;
    if (quoted || !src.startsWith(op, i)) continue;
    const next = src[i + op.length];
    if (op.length === 1 && (next === '=' || (op === '%' && src[i - 1] === '!'))) continue;
    if ((op === '<' || op === '>') && next === '=') continue;
    return i;
  }
  return -1;
}

/** Parses a KServe/GJSON condition; throws ConditionError when it is outside the supported subset. */
export function compileCondition(source: string): Condition {
  const src = source.trim();
  const query = /^(?:(.*?)\.)?#\((.*)\)$/s.exec(src);
  if (query) {
    const prefix = query[1]?.trim() ?? '';
    const test = compileTest(query[2]!);
    if (prefix === '[@this]' || prefix === '') {
      // [@this].#(q) wraps the body in an array, so it exists when the body itself matches.
      return (body) => (prefix === '' && Array.isArray(body) ? body.some(test) : test(body));
    }
    return (body) => {
      const arr = valueAtPath(body, prefix);
      return Array.isArray(arr) && arr.some(test);
    };
  }
  const unquoted = src.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (/[#()[\]]/.test(unquoted.replace(/\.#(?=\.|$|\s)/g, ''))) {
    throw new ConditionError(`unsupported GJSON syntax in ${JSON.stringify(source)}`);
  }
  return compileTest(src);
}
