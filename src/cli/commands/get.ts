// `switchyard get`: lists or reads objects. Tables come from the server
// (server-side printing), so columns match what kubectl shows.
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import { TABLE_ACCEPT, type ApiClient } from '../client.ts';
import { run, type CliContext } from '../context.ts';
import { formatObjects, objectLabel, parseOutputFormat, parseTypeAndNames, type KubeObject, type OutputFormat } from '../output.ts';
import { resourcePath, type ResourceInfo } from '../resources.ts';
import { formatError } from '../status.ts';
import { TableSchema, alignColumns, columnWidths, tableCells, type Table } from '../table.ts';

interface GetOptions {
  output?: string;
  allNamespaces?: boolean;
  selector?: string;
  watch?: boolean;
  /** false with --no-headers */
  headers?: boolean;
}

/** A Table from the server, or one built from plain JSON when the server sent no Table. */
function asTable(body: unknown): Table {
  const parsed = TableSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const b = body as { items?: KubeObject[]; metadata?: { resourceVersion?: string } } & KubeObject;
  const items = Array.isArray(b.items) ? b.items : [b];
  return {
    kind: 'Table',
    columnDefinitions: [{ name: 'Name', type: 'string' }],
    rows: items.map((o) => ({ cells: [o.metadata?.name ?? ''], object: o })),
    metadata: { resourceVersion: b.metadata?.resourceVersion ?? '' },
  } as Table;
}

function noneFound(ctx: CliContext, r: ResourceInfo, ns: string | undefined): void {
  ctx.err(r.namespaced && ns !== undefined ? `No resources found in ${ns} namespace.` : 'No resources found');
}

async function getType(
  ctx: CliContext,
  client: ApiClient,
  r: ResourceInfo,
  names: string[],
  ns: string | undefined,
  format: OutputFormat,
  opts: GetOptions,
): Promise<{ ok: boolean; resourceVersion: string; widths: number[] }> {
  const query = { labelSelector: opts.selector };
  let ok = true;
  if (format.kind === 'table') {
    let table: Table;
    if (names.length === 0) {
      table = asTable(await client.get(resourcePath(r, ns), { accept: TABLE_ACCEPT, query }));
    } else {
      table = { kind: 'Table', columnDefinitions: [], rows: [] } as Table;
      for (const name of names) {
        try {
          const one = asTable(await client.get(resourcePath(r, ns ?? ctx.namespace(), name), { accept: TABLE_ACCEPT }));
          table.columnDefinitions = one.columnDefinitions;
          table.rows.push(...one.rows);
        } catch (err) {
          ctx.err(formatError(err));
          ok = false;
        }
      }
    }
    if (table.rows.length === 0) {
      if (names.length === 0) noneFound(ctx, r, ns);
      return { ok, resourceVersion: table.metadata?.resourceVersion ?? '', widths: [] };
    }
    const lines = tableCells(table, { wide: format.wide, withNamespace: opts.allNamespaces && r.namespaced, noHeaders: opts.headers === false });
    ctx.out(alignColumns(lines).join('\n'));
    return { ok, resourceVersion: table.metadata?.resourceVersion ?? '', widths: columnWidths(lines) };
  }
  let objects: KubeObject[] = [];
  let resourceVersion = '';
  if (names.length === 0) {
    const list = await client.get<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>(resourcePath(r, ns), { query });
    objects = list.items ?? [];
    resourceVersion = list.metadata?.resourceVersion ?? '';
    if (objects.length === 0 && format.kind !== 'json' && format.kind !== 'yaml') noneFound(ctx, r, ns);
  } else {
    for (const name of names) {
      try {
        objects.push(await client.get<KubeObject>(resourcePath(r, ns ?? ctx.namespace(), name)));
      } catch (err) {
        ctx.err(formatError(err));
        ok = false;
      }
    }
  }
  if (names.length > 0 && objects.length === 0) return { ok, resourceVersion, widths: [] };
  const text = formatObjects(objects, format, r, names.length !== 1);
  if (format.kind === 'jsonpath') ctx.write(text);
  else if (text !== '') ctx.out(text);
  return { ok, resourceVersion, widths: [] };
}

/** Follows changes after the initial listing, one line (or document) per change, until interrupted. */
async function watchType(ctx: CliContext, client: ApiClient, r: ResourceInfo, names: string[], ns: string | undefined, format: OutputFormat, opts: GetOptions, from: { resourceVersion: string; widths: number[] }): Promise<void> {
  const query = {
    resourceVersion: from.resourceVersion || undefined,
    labelSelector: opts.selector,
    fieldSelector: names.length === 1 ? `metadata.name=${names[0]}` : undefined,
  };
  let widths = from.widths;
  const accept = format.kind === 'table' ? TABLE_ACCEPT : undefined;
  for await (const event of client.watch(resourcePath(r, ns), query, new AbortController().signal, accept)) {
    // With a Table Accept header the server sends each object as a one-row Table.
    const table = TableSchema.safeParse(event.object);
    const rows = table.success ? table.data.rows : [{ cells: [], object: event.object }];
    const obj = (rows[0]?.object ?? {}) as KubeObject;
    const name = obj.metadata?.name ?? '';
    if (names.length > 1 && !names.includes(name)) continue;
    if (format.kind !== 'table') {
      ctx.out(formatObjects([obj], format, r, false));
    } else if (table.success) {
      const lines = tableCells(table.data, { wide: format.wide, withNamespace: opts.allNamespaces && r.namespaced, noHeaders: true });
      widths = columnWidths(lines).map((w, i) => Math.max(w, widths[i] ?? 0));
      ctx.out(alignColumns(lines, widths).join('\n'));
    } else {
      ctx.out(`${objectLabel(r, name)} ${event.type.toLowerCase()}`);
    }
  }
}

async function getCommand(ctx: CliContext, args: string[], opts: GetOptions): Promise<boolean> {
  const format = parseOutputFormat(opts.output);
  let groups = parseTypeAndNames(args);
  if (groups.length === 1 && groups[0]!.names.length === 0 && groups[0]!.type.includes(',')) {
    groups = groups[0]!.type.split(',').filter(Boolean).map((type) => ({ type, names: [] }));
  }
  if (opts.watch && groups.length > 1) throw syError('SY_ERR_CONFIG', 'you may only watch one resource type at a time');
  const client = ctx.client();
  const ns = opts.allNamespaces ? undefined : ctx.namespace();
  let ok = true;
  for (const [i, group] of groups.entries()) {
    const r = await client.resolve(group.type);
    if (opts.allNamespaces && group.names.length > 0) throw syError('SY_ERR_CONFIG', 'a resource cannot be retrieved by name across all namespaces');
    if (i > 0 && format.kind === 'table') ctx.out('');
    const result = await getType(ctx, client, r, group.names, ns, format, opts);
    ok &&= result.ok;
    if (opts.watch) await watchType(ctx, client, r, group.names, ns, format, opts, result);
  }
  return ok;
}

export function registerGet(program: Command): void {
  program.command('get')
    .description('Display one or many objects (tables are printed by the server, as for kubectl)')
    .argument('<type>', 'resource type: kind, plural, singular or short name (isvc, vs, tp...), or TYPE/NAME')
    .argument('[names...]', 'object names (default: all)')
    .option('-o, --output <format>', 'wide | json | yaml | name | jsonpath=TEMPLATE')
    .option('-A, --all-namespaces', 'list across all namespaces (adds a NAMESPACE column)')
    .option('-l, --selector <selector>', 'label selector, e.g. app=ranking,tier!=canary')
    .option('-w, --watch', 'after listing, keep printing changes until interrupted')
    .option('--no-headers', 'omit the table header')
    .addHelpText(
      'after',
      `
Examples:
  switchyard get isvc
  switchyard get inferenceservices sklearn-iris -o yaml
  switchyard get isvc/sklearn-iris -o jsonpath='{.status.url}'
  switchyard get vs,tp -A
  switchyard get isvc -l team=search -o wide
  switchyard get isvc sklearn-iris -w`,
    )
    .action(run(async (ctx, type: string, names: string[], opts: GetOptions) => getCommand(ctx, [type, ...names], opts)));
}
