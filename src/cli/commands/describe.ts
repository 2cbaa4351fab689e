// `switchyard describe TYPE NAME`: an object and its Events in readable form.
import type { Command } from 'commander';
import { run, type CliContext } from '../context.ts';
import { describeObject } from '../describe.ts';
import { formatData, oneOrList, parseDataFormat, parseTypeAndNames, type KubeObject } from '../output.ts';
import { resourcePath } from '../resources.ts';
import { formatError } from '../status.ts';

async function describeCommand(ctx: CliContext, args: string[], opts: { output?: string }): Promise<boolean> {
  const format = parseDataFormat(opts.output);
  const client = ctx.client();
  const described: KubeObject[] = [];
  let ok = true;
  let first = true;
  for (const group of parseTypeAndNames(args)) {
    const r = await client.resolve(group.type);
    const ns = r.namespaced ? ctx.namespace() : undefined;
    let names = group.names;
    if (names.length === 0) {
      const list = await client.get<{ items?: KubeObject[] }>(resourcePath(r, ns));
      names = (list.items ?? []).map((o) => o.metadata?.name ?? '');
    }
    for (const name of names) {
      try {
        const obj = await client.get<KubeObject>(resourcePath(r, ns, name));
        if (format !== 'text') {
          described.push(obj);
          continue;
        }
        // Events are best effort: a server without them must not break describe.
        const events = await client
          .get<{ items?: KubeObject[] }>(`/api/v1/namespaces/${encodeURIComponent(ns ?? 'default')}/events`, {
            query: { fieldSelector: `involvedObject.name=${name}` },
          })
          .then((l) => (l?.items ?? []).filter((e) => !e.involvedObject?.kind || e.involvedObject.kind === obj.kind))
          .catch(() => []);
        if (!first) ctx.out('\n');
        first = false;
        ctx.out(describeObject(obj, events, Date.now()));
      } catch (err) {
        ctx.err(formatError(err));
        ok = false;
      }
    }
  }
  // As `get -o` prints them.
  if (format !== 'text' && described.length > 0) ctx.out(formatData(oneOrList(described), format));
  return ok;
}

export function registerDescribe(program: Command): void {
  program.command('describe')
    .description('Show an object in detail: metadata, spec, status, conditions and events')
    .argument('<type>', 'resource type (isvc, vs, tp...) or TYPE/NAME')
    .argument('[names...]', 'object names (default: every object of the type)')
    .option('-o, --output <format>', 'json | yaml: the objects themselves (as get -o prints them)')
    .addHelpText(
      'after',
      `
Examples:
  switchyard describe isvc sklearn-iris
  switchyard describe tp/ranking-v2 -n search`,
    )
    .action(run(async (ctx, type: string, names: string[], opts: { output?: string }) => describeCommand(ctx, [type, ...names], opts)));
}
