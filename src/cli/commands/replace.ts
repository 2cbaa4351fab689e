// `switchyard replace -f`: PUT each object whole. A metadata.resourceVersion
// in the file makes it conditional (409 if the object changed since).
import type { Command } from 'commander';
import { collect, namespaceFor, reportFailure } from './apply.ts';
import { run, type CliContext } from '../context.ts';
import { readManifests } from '../manifests.ts';
import type { JsonMap } from '../merge.ts';
import { objectLabel } from '../output.ts';
import { resourcePath } from '../resources.ts';

async function replaceCommand(ctx: CliContext, files: string[]): Promise<boolean> {
  const client = ctx.client();
  let ok = true;
  for (const m of readManifests(files)) {
    try {
      if (m.error || !m.object) throw m.error;
      const obj = m.object as JsonMap;
      const r = await client.resourceForKind(String(obj.apiVersion), String(obj.kind));
      const name = String((obj.metadata as JsonMap).name);
      await client.request('PUT', resourcePath(r, namespaceFor(r, obj, ctx), name), { body: obj, query: { fieldManager: 'kubectl-replace' } });
      ctx.out(`${objectLabel(r, name)} replaced`);
    } catch (err) {
      reportFailure(ctx, m, 'replacing', err);
      ok = false;
    }
  }
  return ok;
}

export function registerReplace(program: Command): void {
  program.command('replace')
    .description('Replace objects whole from files (PUT); fields absent from the file are cleared')
    .option('-f, --filename <path>', 'file, directory or - (stdin); repeatable', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  switchyard get isvc sklearn-iris -o yaml > isvc.yaml   # edit, keep metadata.resourceVersion
  switchyard replace -f isvc.yaml`,
    )
    .action(run(async (ctx, opts: { filename: string[] }) => replaceCommand(ctx, opts.filename)));
}
