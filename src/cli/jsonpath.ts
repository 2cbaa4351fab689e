// `-o jsonpath=...` in kubectl's template form: text with {expressions},
// {range ...}{end} and {"literals"}. The expressions are field paths,
// evaluated by the one JSONPath engine (src/api/jsonpath.ts).
import { evaluateJsonPath, JsonPathError, parseJsonPath, type Step } from '../api/jsonpath.ts';
import { syError } from '../core/errors.ts';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: Step[] }
  | { kind: 'range'; path: Step[]; body: Node[] };

function fail(template: string, why: string): never {
  throw syError('SY_ERR_CONFIG', `invalid jsonpath template ${JSON.stringify(template)}: ${why}`);
}

function parsePath(expr: string, template: string): Step[] {
  try {
    return parseJsonPath(expr);
  } catch (err) {
    if (err instanceof JsonPathError) fail(template, err.message);
    throw err;
  }
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
    else if (node.kind === 'path') out += evaluateJsonPath(data, node.path).map(show).join(' ');
    else for (const item of evaluateJsonPath(data, node.path)) out += render(node.body, item);
  }
  return out;
}

/** Renders a kubectl jsonpath template (`{.status.url}`) against `data`; a bare path is accepted too. */
export function jsonpath(template: string, data: unknown): string {
  const t = template.includes('{') ? template : `{${template}}`;
  return render(parseTemplate(t), data);
}
