// Validation as kube-apiserver reports it: zod issues become StatusCauses with
// Kubernetes field paths (spec.http[0].route), reasons and message wording.
import type { z } from 'zod';
import type { KindInfo, ValidationCause, ValidationResult } from './types.ts';
import { apiVersionsOf } from './registry.ts';

type Issue = z.core.$ZodIssue;

/** Kubernetes field path: dots between names, [i] for indexes, [key] for map keys that are not plain names. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      if (/^[A-Za-z0-9_-]+$/.test(s)) out += out === '' ? s : `.${s}`;
      else out += `[${s}]`;
    }
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** Go's %#v-ish rendering kube uses in "Invalid value: ..." messages. */
function show(v: unknown): string {
  if (v === undefined) return '""';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
  return String(v);
}

const TYPE_NAMES: Record<string, string> = { number: 'number', int: 'integer', string: 'string', boolean: 'boolean', object: 'object', array: 'array', record: 'object' };

function issueToCauses(issue: Issue, root: unknown, base: readonly PropertyKey[] = []): ValidationCause[] {
  const path = [...base, ...issue.path];
  const field = fieldPath(path);
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const f = fieldPath([...path, k]);
        return { field: f, reason: 'FieldValueUnknown', message: `unknown field "${f}"` };
      });
    case 'invalid_type':
      if (value === undefined) return [{ field, reason: 'FieldValueRequired', message: 'Required value' }];
      return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: must be of type ${TYPE_NAMES[issue.expected] ?? issue.expected}` }];
    case 'invalid_value': {
      const supported = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return [{ field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(value)}: supported values: ${supported}` }];
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const limit = big ? (issue as { maximum: number | bigint }).maximum : (issue as { minimum: number | bigint }).minimum;
      const inclusive = issue.inclusive !== false;
      let detail: string;
      if (issue.origin === 'array') detail = big ? `must have at most ${limit} items` : `must have at least ${limit} items`;
      else if (issue.origin === 'string') detail = big ? `may not be more than ${limit} bytes` : limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
      else detail = `must be ${big ? 'less' : 'greater'} than ${inclusive ? 'or equal to ' : ''}${limit}`;
      // A schema-supplied message (e.g. canaryTrafficPercent's range) is clearer than the generic one.
      if (!/^Too (big|small)/.test(issue.message)) detail = issue.message;
      return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${detail}` }];
    }
    case 'invalid_format':
    case 'not_multiple_of':
      return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${issue.message}` }];
    case 'invalid_key': {
      // A record key that its key schema refuses: say what the key must be, not zod's "Invalid key in record".
      const key = issue.path[issue.path.length - 1];
      const inner = (issue as { issues?: readonly Issue[] }).issues?.[0]?.message ?? issue.message;
      return [{ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(key)}: ${inner}` }];
    }
    case 'invalid_union': {
      // Report the alternative that came closest (fewest issues).
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      const causes = best.flatMap((i) => issueToCauses(i, root, path));
      return causes.length > 0 ? causes : [{ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${issue.message}` }];
    }
    case 'custom': {
      const params = (issue.params ?? {}) as { reason?: string; value?: unknown };
      const reason = params.reason ?? 'FieldValueInvalid';
      const shown = 'value' in params ? params.value : value;
      if (reason === 'FieldValueRequired') return [{ field, reason, message: `Required value: ${issue.message}` }];
      if (reason === 'FieldValueNotSupported') return [{ field, reason, message: `Unsupported value: ${show(shown)}: ${issue.message}` }];
      return [{ field, reason, message: `Invalid value: ${show(shown)}: ${issue.message}` }];
    }
    default:
      return [{ field, reason: 'FieldValueInvalid', message: issue.message }];
  }
}

/** Converts a zod error on `input` into Kubernetes causes. */
export function zodIssuesToCauses(issues: readonly Issue[], input: unknown): ValidationCause[] {
  const out: ValidationCause[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    for (const c of issueToCauses(issue, input)) {
      const key = `${c.field}\u0000${c.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(c);
      }
    }
  }
  return out;
}

/**
 * Validates a whole object against its kind: apiVersion and kind must match
 * the KindInfo, unknown fields are rejected, and defaults are applied.
 */
export function validateObject<T = Record<string, unknown>>(info: KindInfo, obj: unknown): ValidationResult<T> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, causes: [{ field: '', reason: 'FieldValueInvalid', message: 'Invalid value: the object must be a JSON object' }] };
  }
  const o = obj as Record<string, unknown>;
  const head: ValidationCause[] = [];
  const versions = apiVersionsOf(info);
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') head.push({ field: 'apiVersion', reason: 'FieldValueRequired', message: 'Required value' });
  else if (!versions.includes(o.apiVersion)) {
    head.push({ field: 'apiVersion', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(o.apiVersion)}: supported values: ${versions.map((v) => JSON.stringify(v)).join(', ')}` });
  }
  if (typeof o.kind !== 'string' || o.kind === '') head.push({ field: 'kind', reason: 'FieldValueRequired', message: 'Required value' });
  else if (o.kind !== info.kind) head.push({ field: 'kind', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(o.kind)}: must be ${JSON.stringify(info.kind)}` });
  if (head.length > 0) return { ok: false, causes: head };

  const parsed = info.schema.safeParse(obj);
  if (parsed.success) return { ok: true, value: parsed.data as T };
  return { ok: false, causes: zodIssuesToCauses(parsed.error.issues, obj) };
}

/** One line per cause, as kubectl prints a 422: `spec.x: Invalid value: ...`. */
export function formatCauses(causes: readonly ValidationCause[]): string {
  return causes.map((c) => (c.reason === 'FieldValueUnknown' ? c.message : `${c.field}: ${c.message}`)).join(', ');
}
