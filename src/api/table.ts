// Server-side printing: a meta.k8s.io/v1 Table that kubectl renders for `get`.
// NAME comes first, then the kind's printer columns; dates print as ages.
import type { KindInfo, PrinterColumn } from './types.ts';
import { columnCell } from './jsonpath.ts';
import { humanDuration } from './age.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** The clock for AGE cells. */
  now: Date;
  resourceVersion?: string;
  /** kubectl's includeObject: Metadata (default), Object or None. */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

const NAME_COLUMN: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

function columnsOf(info: KindInfo): PrinterColumn[] {
  return info.printerColumns;
}

export function columnDefinitions(info: KindInfo): TableColumnDefinition[] {
  const cols = columnsOf(info).map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? (c.type === 'date' ? 'CreationTimestamp is a timestamp representing the server time when this object was created.' : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`),
    priority: c.priority ?? 0,
  }));
  return cols.some((c) => c.format === 'name') ? cols : [NAME_COLUMN, ...cols];
}

function cell(col: PrinterColumn, obj: Record<string, unknown>, now: Date): unknown {
  if (col.compute) return col.compute(obj, now) ?? null;
  const v = columnCell(obj, col.jsonPath);
  if (col.type === 'date') {
    if (typeof v !== 'string') return v === null ? null : '<unknown>';
    const t = Date.parse(v);
    return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
  }
  return v;
}

function rowObject(obj: Record<string, unknown>, mode: TableOptions['includeObject']): Record<string, unknown> | undefined {
  if (mode === 'None') return undefined;
  if (mode === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function toTable(info: KindInfo, objects: readonly Record<string, unknown>[], opts: TableOptions): Table {
  const defs = columnDefinitions(info);
  const cols = columnsOf(info);
  const prependName = defs[0] === NAME_COLUMN;
  const rows = objects.map((obj) => {
    const meta = (obj.metadata ?? {}) as { name?: string };
    const cells = cols.map((c) => cell(c, obj, opts.now));
    const row: TableRow = { cells: prependName ? [meta.name ?? '', ...cells] : cells };
    const o = rowObject(obj, opts.includeObject ?? 'Metadata');
    if (o) row.object = o;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: defs, rows };
}
