// What a command prints besides its objects: -o json|yaml (as kubectl prints
// what it read), its own text otherwise, and that text's aligned columns. Shared
// by the client verbs (src/cli) and the runtime's commands (`runtimes list`).
import { stringify } from 'yaml';
import { syError } from './errors.ts';

/** -o of the verbs that print their own text, and otherwise what they read as json or yaml. */
export type DataFormat = 'text' | 'json' | 'yaml';

/** A verb's -o: text when unset, json or yaml, or one of the text variants it also prints (`wide`). */
export function parseDataFormat<Also extends string = never>(flag: string | undefined, also: readonly Also[] = []): DataFormat | Also {
  if (flag === undefined || flag === '') return 'text';
  if (flag === 'json' || flag === 'yaml') return flag;
  if ((also as readonly string[]).includes(flag)) return flag as Also;
  throw syError('SY_ERR_CONFIG', `unable to match a printer suitable for the output format "${flag}", allowed formats are: ${['json', 'yaml', ...also].sort().join(',')}`);
}

/** What a read verb read, as kubectl prints it: JSON indented by 4, or YAML. */
export function formatData(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(data, null, 4) : stringify(data).trimEnd();
}

/** Aligns cells into lines; the last column is not padded (no trailing spaces). */
export function alignColumns(lines: string[][], widths?: number[]): string[] {
  const w = widths ?? columnWidths(lines);
  return lines.map((cells) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(w[i] ?? 0))).join('   ').trimEnd());
}

export function columnWidths(lines: string[][]): number[] {
  const widths: number[] = [];
  for (const cells of lines) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return widths;
}
