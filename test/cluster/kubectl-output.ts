// What of kubectl's output two API servers must agree on, once what
// legitimately differs between two servers is taken out: uids,
// resourceVersions, timestamps, ages and managedFields. Each reader turns
// one kind of output (text, table, object, describe, explain, error) into a
// plain value to compare; nothing else is dropped here (status and other
// differences of substance are the test's list of known differences).
import { parse as parseYaml } from 'yaml';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Output { code: number; stdout: string; stderr: string }

const TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b/g;
const UID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

/** Exit code and both streams, with times and uids masked (kubectl's own progress lines are kept). */
export function text(out: Output): { code: number; stdout: string; stderr: string } {
  const mask = (s: string) => s.replace(TIME, '<time>').replace(UID, '<uid>');
  return { code: out.code, stdout: mask(out.stdout), stderr: mask(out.stderr) };
}

/**
 * kubectl's tables (one or more, blank-line separated) as rows of
 * column → cell. Cells are cut at the header's column offsets, as kubectl
 * aligns them, so an empty cell stays empty. AGE is masked.
 */
export function table(out: Output): { code: number; stderr: string; tables: Array<Array<Record<string, string>>> } {
  const tables = out.stdout.split(/\n\s*\n/).map((block) => block.split('\n').filter((l) => l.trim() !== '')).filter((lines) => lines.length > 0).map((lines) => {
    const header = lines[0]!;
    const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index! }));
    return lines.slice(1).map((line) => Object.fromEntries(starts.map((c, i) => {
      const cell = line.slice(c.at, i + 1 < starts.length ? starts[i + 1]!.at : undefined).trim();
      return [c.name, c.name === 'AGE' ? '<age>' : cell];
    })));
  });
  return { code: out.code, stderr: out.stderr, tables };
}

/** An object printed with -o json or -o yaml, without the metadata every server sets its own way. */
export function object(out: Output): { code: number; stderr: string; object: Obj | undefined } {
  if (out.code !== 0) return { code: out.code, stderr: out.stderr, object: undefined };
  const obj = parseYaml(out.stdout) as Obj; // YAML is a superset of JSON
  const strip = (o: Obj) => {
    if (!o?.metadata) return;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields']) delete o.metadata[k];
  };
  strip(obj);
  for (const item of obj.items ?? []) strip(item);
  // The same fields inside kubectl's last-applied-configuration (replace -f of a fetched object records them).
  const masked = JSON.stringify(obj).replace(TIME, '<time>').replace(UID, '<uid>').replace(/(\\"resourceVersion\\":\\")\d+/g, '$1<rv>');
  return { code: out.code, stderr: out.stderr, object: JSON.parse(masked) as Obj };
}

/** kubectl describe, without the lines that carry per-server identity and time. */
export function describe(out: Output): { code: number; stderr: string; lines: string[] } {
  const lines = out.stdout.split('\n')
    .filter((l) => !/^\s*(UID|Resource Version|Creation Timestamp):/.test(l))
    .map((l) => l.replace(TIME, '<time>').replace(/\s+$/, ''));
  return { code: out.code, stderr: out.stderr, lines };
}

export interface Explained {
  code: number;
  stderr: string;
  head: string[];
  description: string;
  fields: Array<{ name: string; type: string; required: boolean; description: string }>;
}

/** kubectl explain: GROUP/KIND/VERSION/FIELD lines, the description, and each field with its type, required mark and description. */
export function explain(out: Output): Explained {
  const lines = out.stdout.split('\n');
  const head = lines.filter((l) => /^(GROUP|KIND|VERSION|FIELD|RESOURCE):/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim());
  const descStart = lines.findIndex((l) => l.startsWith('DESCRIPTION:'));
  const fieldsStart = lines.findIndex((l) => l.startsWith('FIELDS:'));
  const description = descStart < 0 ? '' : lines.slice(descStart + 1, fieldsStart < 0 ? undefined : fieldsStart).join(' ').replace(/\s+/g, ' ').trim();
  const fields: Explained['fields'] = [];
  if (fieldsStart >= 0) {
    for (const line of lines.slice(fieldsStart + 1)) {
      const m = /^ {2}(\S+)\t<(.+?)>( -required-)?$/.exec(line);
      if (m) fields.push({ name: m[1]!, type: m[2]!, required: m[3] !== undefined, description: '' });
      else if (fields.length > 0 && line.trim() !== '') fields.at(-1)!.description = `${fields.at(-1)!.description} ${line.trim()}`.trim();
    }
  }
  return { code: out.code, stderr: out.stderr, head, description, fields };
}

/**
 * A refusal: the exit code, the Status reason kubectl prints, and the field
 * paths the message names. The wording around them is each server's own.
 */
export function error(out: Output): { code: number; reasons: string[]; fields: string[] } {
  const reasons = out.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning:')).map((l) => {
    const fromServer = /^Error from server \((\w+)\)/.exec(l);
    if (fromServer) return fromServer[1]!;
    if (/^The (\w+ "[^"]*"|request) is invalid/.test(l)) return 'Invalid';
    // Which media types a server accepts is its own (server-side apply is a known difference of its own).
    if (l.startsWith('error: ')) return `kubectl: ${l.slice(7).replace(/ - accepted media types include: .*$/, '')}`;
    return undefined;
  }).filter((r): r is string => r !== undefined);
  const fields = [...new Set(out.stderr.match(/\b(?:spec|metadata)(?:\.[A-Za-z0-9_-]+|\[\d+\])+/g) ?? [])].sort();
  return { code: out.code, reasons, fields };
}
