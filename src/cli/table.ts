// Prints server-side Tables (meta.k8s.io/v1) the way kubectl does: upper-case
// headers, columns padded to their widest cell and separated by 3 spaces.
import { z } from 'zod';
import { alignColumns } from '../core/text-output.ts';

export { alignColumns, columnWidths } from '../core/text-output.ts';

export const TableSchema = z.looseObject({
  kind: z.literal('Table'),
  columnDefinitions: z.array(
    z.looseObject({ name: z.string(), type: z.string().optional(), format: z.string().optional(), priority: z.number().optional() }),
  ),
  rows: z.array(z.looseObject({ cells: z.array(z.unknown()), object: z.unknown().optional() })).default([]),
  metadata: z.looseObject({ resourceVersion: z.string().optional() }).optional(),
});
export type Table = z.infer<typeof TableSchema>;

export interface TableOptions {
  /** Show priority > 0 columns (-o wide). */
  wide?: boolean;
  /** Prefix a NAMESPACE column taken from each row's object (-A). */
  withNamespace?: boolean;
  noHeaders?: boolean;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined || v === '') return v === '' ? '' : '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function rowNamespace(object: unknown): string {
  const ns = (object as { metadata?: { namespace?: unknown } } | undefined)?.metadata?.namespace;
  return typeof ns === 'string' ? ns : '';
}

/** The header and row cells to print, after choosing columns. */
export function tableCells(table: Table, opts: TableOptions = {}): string[][] {
  const shown = table.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => opts.wide || !(c.priority && c.priority > 0));
  const header = shown.map(({ c }) => c.name.toUpperCase());
  const rows = table.rows.map((row) => shown.map(({ i }) => cellText(row.cells[i])));
  if (opts.withNamespace) {
    header.unshift('NAMESPACE');
    table.rows.forEach((row, i) => rows[i]!.unshift(rowNamespace(row.object)));
  }
  return opts.noHeaders ? rows : [header, ...rows];
}

export function formatTable(table: Table, opts: TableOptions = {}): string {
  return alignColumns(tableCells(table, opts)).join('\n');
}
