// The text of `describe`, shaped like kubectl's generic describer for custom
// resources: header fields, then Metadata/Spec/Status as indented
// "Title Case:" blocks, a Conditions table, and the object's Events.
import { alignColumns } from './table.ts';

type Obj = Record<string, any>;

// Words kubectl's describer (smartLabelFor) keeps upper-case.
const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

/** storageUri → Storage Uri, uid → UID: how kubectl titles custom-resource fields. */
export function titleCase(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(' ');
  return words.map((w) => (ACRONYMS.has(w.toUpperCase()) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1))).join(' ');
}

function isMap(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string {
  return v === null || v === undefined ? '<nil>' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Renders a value below `indent`, aligning the scalar values of one map. */
export function renderFields(value: Obj, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const keys = Object.keys(value);
  const width = Math.max(0, ...keys.filter((k) => !isComplex(value[k])).map((k) => titleCase(k).length + 1));
  const lines: string[] = [];
  for (const key of keys) {
    const v = value[key];
    const label = `${titleCase(key)}:`;
    if (isMap(v)) {
      lines.push(pad + label);
      lines.push(...renderFields(v, indent + 2));
    } else if (Array.isArray(v)) {
      lines.push(pad + label);
      for (const item of v) {
        if (isMap(item)) lines.push(...renderFields(item, indent + 2));
        else lines.push(`${pad}  ${scalar(item)}`);
      }
    } else {
      lines.push(`${pad}${label.padEnd(width)}  ${scalar(v)}`);
    }
  }
  return lines;
}

function isComplex(v: unknown): boolean {
  return isMap(v) ? Object.keys(v).length > 0 : Array.isArray(v) && v.length > 0;
}

function keyValues(label: string, map: unknown): string[] {
  const entries = isMap(map) ? Object.entries(map) : [];
  if (entries.length === 0) return [`${label}<none>`];
  const pad = ' '.repeat(label.length);
  return entries.map(([k, v], i) => `${i === 0 ? label : pad}${k}=${String(v)}`);
}

/** kubectl's short ages: 45s, 3m20s, 5h, 2d. */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function table(rows: string[][], indent: string): string[] {
  const header = rows[0]!;
  const rule = header.map((h) => '-'.repeat(h.length));
  return alignColumns([header, rule, ...rows.slice(1)]).map((l) => indent + l);
}

export function describeObject(obj: Obj, events: Obj[], now: number): string {
  const meta: Obj = isMap(obj.metadata) ? obj.metadata : {};
  const lines: string[] = [];
  lines.push(`Name:         ${meta.name ?? ''}`);
  if (meta.namespace) lines.push(`Namespace:    ${meta.namespace}`);
  lines.push(...keyValues('Labels:       ', meta.labels));
  const annotations = { ...(isMap(meta.annotations) ? meta.annotations : {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  lines.push(...keyValues('Annotations:  ', annotations));
  lines.push(`API Version:  ${obj.apiVersion ?? ''}`);
  lines.push(`Kind:         ${obj.kind ?? ''}`);
  const { name: _n, namespace: _ns, labels: _l, annotations: _a, managedFields: _m, ...restMeta } = meta;
  if (Object.keys(restMeta).length > 0) lines.push('Metadata:', ...renderFields(restMeta, 2));
  for (const [key, value] of Object.entries(obj)) {
    if (['apiVersion', 'kind', 'metadata', 'status'].includes(key)) continue;
    if (isMap(value)) lines.push(`${titleCase(key)}:`, ...renderFields(value, 2));
    else lines.push(`${titleCase(key)}:  ${scalar(value)}`);
  }
  const status: Obj = isMap(obj.status) ? { ...obj.status } : {};
  const conditions: Obj[] = Array.isArray(status.conditions) ? status.conditions : [];
  delete status.conditions;
  if (Object.keys(status).length > 0) lines.push('Status:', ...renderFields(status, 2));
  if (conditions.length > 0) {
    const rows = [['Type', 'Status', 'Reason', 'Message'], ...conditions.map((c) => [c.type ?? '', c.status ?? '', c.reason ?? '', c.message ?? ''].map(String))];
    lines.push('Conditions:', ...table(rows, '  '));
  }
  if (events.length === 0) {
    lines.push('Events:       <none>');
  } else {
    const rows = [['Type', 'Reason', 'Age', 'From', 'Message']];
    for (const e of events) {
      const when = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '');
      const from = e.source?.component ?? e.reportingComponent ?? '';
      rows.push([e.type ?? '', e.reason ?? '', Number.isNaN(when) ? '<unknown>' : shortAge(now - when), from, e.message ?? ''].map(String));
    }
    lines.push('Events:', ...table(rows, '  '));
  }
  return lines.join('\n');
}
