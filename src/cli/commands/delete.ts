// `switchyard delete`: by TYPE NAME..., TYPE/NAME, label selector, or the
// objects named in files.
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import type { ApiClient } from '../client.ts';
import { collect, namespaceFor } from './apply.ts';
import { run, type CliContext } from '../context.ts';
import { readManifests } from '../manifests.ts';
import type { JsonMap } from '../merge.ts';
import { parseTypeAndNames, type KubeObject } from '../output.ts';
import { qualifiedSingular, resourcePath, type ResourceInfo } from '../resources.ts';
import { ServerError, formatError } from '../status.ts';

interface DeleteOptions {
  filename: string[];
  ignoreNotFound?: boolean;
  selector?: string;
}

async function deleteOne(ctx: CliContext, client: ApiClient, r: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions): Promise<boolean> {
  try {
    await client.request('DELETE', resourcePath(r, ns, name));
    ctx.out(`${qualifiedSingular(r)} "${name}" deleted`);
    return true;
  } catch (err) {
    if (opts.ignoreNotFound && err instanceof ServerError && err.httpStatus === 404) return true;
    ctx.err(formatError(err));
    return false;
  }
}

async function deleteCommand(ctx: CliContext, args: string[], opts: DeleteOptions): Promise<boolean> {
  if (opts.filename.length > 0 && args.length > 0) throw syError('SY_ERR_CONFIG', 'give either -f FILE or TYPE NAME..., not both');
  const client = ctx.client();
  let ok = true;
  if (opts.filename.length > 0) {
    for (const m of readManifests(opts.filename)) {
      if (m.error || !m.object) {
        ctx.err(formatError(m.error));
        ok = false;
        continue;
      }
      const obj = m.object as JsonMap;
      try {
        const r = await client.resourceForKind(String(obj.apiVersion), String(obj.kind));
        ok = (await deleteOne(ctx, client, r, namespaceFor(r, obj, ctx), String((obj.metadata as JsonMap).name), opts)) && ok;
      } catch (err) {
        ctx.err(formatError(err));
        ok = false;
      }
    }
    return ok;
  }
  for (const group of parseTypeAndNames(args)) {
    const r = await client.resolve(group.type);
    const ns = r.namespaced ? ctx.namespace() : undefined;
    let names = group.names;
    if (names.length === 0) {
      if (!opts.selector) throw syError('SY_ERR_CONFIG', 'resource(s) were provided, but no name was specified: give NAME..., -l SELECTOR or -f FILE');
      const list = await client.get<{ items?: KubeObject[] }>(resourcePath(r, ns), { query: { labelSelector: opts.selector } });
      names = (list.items ?? []).map((o) => o.metadata?.name ?? '');
      if (names.length === 0) ctx.err(ns ? `No resources found in ${ns} namespace.` : 'No resources found');
    }
    for (const name of names) ok = (await deleteOne(ctx, client, r, ns, name, opts)) && ok;
  }
  return ok;
}

export function registerDelete(program: Command): void {
  program.command('delete')
    .description('Delete objects by type and name, by label selector, or as named in files')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME...')
    .option('-f, --filename <path>', 'delete the objects defined in these files; repeatable', collect, [])
    .option('-l, --selector <selector>', 'delete every object of TYPE matching the label selector')
    .option('--ignore-not-found', 'treat "not found" as success')
    .addHelpText(
      'after',
      `
Examples:
  switchyard delete isvc sklearn-iris
  switchyard delete vs/ranking tp/ranking-v2 -n search
  switchyard delete -f examples/quickstart/
  switchyard delete isvc -l team=search --ignore-not-found`,
    )
    .action(run(async (ctx, args: string[], opts: DeleteOptions) => deleteCommand(ctx, args, opts)));
}
