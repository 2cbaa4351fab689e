// Kubernetes label selectors: the string form kubectl sends (`-l`) parsed
// into requirements, and matching of requirements against an object's labels.
// Grammar and key/value rules follow k8s.io/apimachinery/pkg/labels:
//   selector    := requirement (',' requirement)*        (comma = AND)
//   requirement := KEY | '!' KEY | KEY ('=' | '==' | '!=') VALUE
//                | KEY ('in' | 'notin') '(' VALUE (',' VALUE)* ')'
import { syError } from '../core/errors.ts';
import type { LabelRequirement } from './types.ts';

type Token =
  | { kind: 'ident'; text: string; at: number }
  | { kind: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>' | 'end'; at: number };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === '!') {
      const two = s.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: two, at: i });
        i += 2;
      } else {
        tokens.push({ kind: c, at: i });
        i++;
      }
    } else if (SPECIAL.has(c)) {
      tokens.push({ kind: c as '(' | ')' | ',' | '<' | '>', at: i });
      i++;
    } else {
      const start = i;
      while (i < s.length && !SPECIAL.has(s[i]!) && !/\s/.test(s[i]!)) i++;
      tokens.push({ kind: 'ident', text: s.slice(start, i), at: start });
    }
  }
  tokens.push({ kind: 'end', at: s.length });
  return tokens;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why key is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `prefix "${prefix}" must be a lower-case DNS subdomain of at most 253 characters`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return 'name part must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric';
  }
  return undefined;
}

/** Why value is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return 'must be empty or 1-63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric';
  }
  return undefined;
}

class Parser {
  private pos = 0;
  constructor(private readonly source: string, private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  fail(message: string, at: number): never {
    throw syError('SY_ERR_BAD_REQUEST', `invalid label selector "${this.source}": ${message} at position ${at}`, {
      causes: [{ field: 'labelSelector', message, reason: 'FieldValueInvalid' }],
    });
  }

  private describe(t: Token): string {
    return t.kind === 'ident' ? `"${t.text}"` : t.kind === 'end' ? 'end of selector' : `"${t.kind}"`;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return reqs;
    for (;;) {
      reqs.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return reqs;
      if (t.kind !== ',') this.fail(`expected "," or end of selector, found ${this.describe(t)}`, t.at);
    }
  }

  private key(): string {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(`expected a label key, found ${this.describe(t)}`, t.at);
    const problem = labelKeyProblem(t.text);
    if (problem) this.fail(`label key "${t.text}": ${problem}`, t.at);
    return t.text;
  }

  private value(t: Token): string {
    if (t.kind !== 'ident') this.fail(`expected a label value, found ${this.describe(t)}`, t.at);
    const problem = labelValueProblem(t.text);
    if (problem) this.fail(`label value "${t.text}": ${problem}`, t.at);
    return t.text;
  }

  private requirement(): LabelRequirement {
    if (this.peek().kind === '!') {
      this.next();
      return { key: this.key(), operator: 'DoesNotExist', values: [] };
    }
    const key = this.key();
    const op = this.peek();
    if (op.kind === ',' || op.kind === 'end') return { key, operator: 'Exists', values: [] };
    this.next();
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      // `a=` selects the empty value, as in Kubernetes.
      const v = this.peek();
      const value = v.kind === ',' || v.kind === 'end' ? '' : this.value(this.next());
      return { key, operator: op.kind === '!=' ? 'NotIn' : 'In', values: [value] };
    }
    if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text === 'in' ? 'In' : 'NotIn', values: this.valueSet() };
    }
    if (op.kind === '<' || op.kind === '>') this.fail(`operator "${op.kind}" is not supported`, op.at);
    return this.fail(`expected "=", "==", "!=", "in" or "notin" after key "${key}", found ${this.describe(op)}`, op.at);
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(`expected "(", found ${this.describe(open)}`, open.at);
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      // Empty slots ("()", "(a,)") mean the empty value, as in Kubernetes.
      if (t.kind === ')') {
        values.push('');
        break;
      }
      if (t.kind === ',') {
        values.push('');
        continue;
      }
      values.push(this.value(t));
      const sep = this.next();
      if (sep.kind === ')') break;
      if (sep.kind !== ',') this.fail(`expected "," or ")", found ${this.describe(sep)}`, sep.at);
    }
    return [...new Set(values)].sort();
  }
}

/** Parses a Kubernetes label selector; '' selects everything. Throws SY_ERR_BAD_REQUEST on bad syntax. */
export function parseLabelSelector(s: string): LabelRequirement[] {
  return new Parser(s, tokenize(s)).parse();
}

/** True when labels satisfy every requirement (`!=` / notin also match objects without the key). */
export function matchesLabels(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = (key: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
  return reqs.every((r) => {
    switch (r.operator) {
      case 'In':
        return has(r.key) && r.values.includes(labels![r.key]!);
      case 'NotIn':
        return !has(r.key) || !r.values.includes(labels![r.key]!);
      case 'Exists':
        return has(r.key);
      case 'DoesNotExist':
        return !has(r.key);
    }
  });
}
