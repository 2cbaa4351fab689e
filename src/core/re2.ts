// Istio regexes are RE2: linear time, no backreferences or lookaround. JS
// RegExp backtracks, so a user pattern could pin the gateway's one thread.
// We compile each pattern once and refuse what RE2 would refuse plus the
// shapes that backtrack catastrophically (a repeated group that itself holds
// an unbounded repeat, like (a+)+ or (\w*)*). It is a guard, not a proof.

export const MAX_REGEX_LENGTH = 1024;

export type RegexResult = { re: RegExp } | { error: string };

/** Compile an RE2 pattern as a whole-value (anchored) JS RegExp, or say why not. */
export function compileRegex(pattern: string, ignoreCase = false): RegexResult {
  if (pattern.length > MAX_REGEX_LENGTH) return { error: `regex is longer than ${MAX_REGEX_LENGTH} characters` };
  let source = pattern;
  let flags = ignoreCase ? 'i' : '';
  // RE2's leading (?i) flag group; JS (Node 20) has no inline modifiers.
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  source = source.replace(/\(\?P</g, '(?<'); // RE2 named group syntax
  const unsafe = unsupportedConstruct(source) ?? nestedRepeat(source);
  if (unsafe) return { error: unsafe };
  try {
    return { re: new RegExp(`^(?:${source})$`, flags) };
  } catch (err) {
    return { error: `invalid regex: ${(err as Error).message}` };
  }
}

function unsupportedConstruct(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not supported (RE2)';
  if (/\(\?<?[=!]/.test(source)) return 'lookahead and lookbehind are not supported (RE2)';
  return undefined;
}

/** Length of an unbounded quantifier (*, +, {n,}) at i, or 0. */
function unboundedAt(s: string, i: number): number {
  const c = s[i];
  if (c === '*' || c === '+') return 1;
  if (c === '{') {
    const m = /^\{\d*,\}/.exec(s.slice(i, i + 12));
    if (m) return m[0].length;
  }
  return 0;
}

/** Any quantifier (including bounded {n,m} and ?) at i. */
function quantifierAt(s: string, i: number): boolean {
  const c = s[i];
  return c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(s.slice(i, i + 12)));
}

/** Could a bracket class body (between [ and ]) match character c? Conservative: unsure means yes. */
function classMayMatch(body: string, c: string): boolean {
  if (body.startsWith('^') || body.includes('\\')) return true;
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === '-' && i + 2 < body.length) {
      if (c >= body[i]! && c <= body[i + 2]!) return true;
      i += 2;
    } else if (body[i] === c) return true;
  }
  return false;
}

/**
 * A repeated group is safe when each repetition must start with a punctuation
 * delimiter nothing else in the group can match, as in (-[a-z0-9]+)* or
 * (\.[a-z]+)+: then there is only one way to split the input.
 */
function delimitedGroup(body: string): boolean {
  let c: string;
  let rest: string;
  if (body[0] === '\\' && body[1] !== undefined && !/[A-Za-z0-9]/.test(body[1])) {
    c = body[1];
    rest = body.slice(2);
  } else if (body[0] !== undefined && /[-_/:;,=@#~!%&]/.test(body[0])) {
    c = body[0];
    rest = body.slice(1);
  } else return false;
  if (rest[0] !== undefined && '*+?{'.includes(rest[0])) return false;
  if (/\\[A-Za-z]|\.|\|/.test(rest.replace(/\\[^A-Za-z]/g, ''))) return false; // classes like \w, any char, alternation
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '\\') {
      if (rest[i + 1] === c) return false;
      i++;
    } else if (rest[i] === '[') {
      const end = rest.indexOf(']', i + 2);
      if (end === -1 || classMayMatch(rest.slice(i + 1, end), c)) return false;
      i = end;
    } else if (rest[i] === c) return false;
  }
  return true;
}

function nestedRepeat(s: string): string | undefined {
  // Per open group: where its body starts, and does it contain an unbounded repeat?
  const starts: number[] = [];
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      if (unboundedAt(s, i + 1) && stack.length > 0) stack[stack.length - 1] = true;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === ']' && unboundedAt(s, i + 1) && stack.length > 0) stack[stack.length - 1] = true;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      starts.push(s[i + 1] === '?' && s[i + 2] === ':' ? i + 3 : i + 1);
      continue;
    }
    if (c === ')') {
      const innerUnbounded = stack.pop() ?? false;
      const body = s.slice(starts.pop() ?? i, i);
      const repeated = quantifierAt(s, i + 1);
      if (innerUnbounded && repeated && unboundedAt(s, i + 1) && !delimitedGroup(body)) return 'nested unbounded repetition (like (a+)+) can take exponential time';
      if (stack.length > 0 && (innerUnbounded || unboundedAt(s, i + 1))) stack[stack.length - 1] = true;
      continue;
    }
    if (unboundedAt(s, i + 1) && stack.length > 0) stack[stack.length - 1] = true;
  }
  return undefined;
}
