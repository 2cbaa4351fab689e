// `switchyard wait`: block until objects meet a condition or are deleted.
// Lists first, then watches from the list's resourceVersion (as kubectl does),
// so no change between the two is missed.
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import type { ApiClient } from '../client.ts';
import { parseDuration, run, type CliContext } from '../context.ts';
import { objectLabel, parseTypeAndNames, type KubeObject } from '../output.ts';
import { qualifiedPlural, resourcePath, type ResourceInfo } from '../resources.ts';
import { ServerError, formatError } from '../status.ts';
import { sleep } from '../../core/sleep.ts';

export type WaitFor = { kind: 'delete' } | { kind: 'condition'; condition: string; value: string };

export function parseWaitFor(text: string | undefined): WaitFor {
  if (text === 'delete') return { kind: 'delete' };
  const m = /^condition=([^=]+)(?:=(.*))?$/.exec(text ?? '');
  if (!m) throw syError('SY_ERR_CONFIG', `--for must be "delete" or "condition=NAME[=VALUE]" (got "${text ?? ''}")`);
  return { kind: 'condition', condition: m[1]!, value: m[2] ?? 'True' };
}

/** Condition names and values compare case-insensitively, as in kubectl. */
export function conditionMet(obj: KubeObject | undefined, condition: string, value: string): boolean {
  const conditions: unknown = obj?.status?.conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some(
    (c: { type?: unknown; status?: unknown }) =>
      String(c.type).toLowerCase() === condition.toLowerCase() && String(c.status).toLowerCase() === value.toLowerCase(),
  );
}

function satisfied(waitFor: WaitFor, obj: KubeObject | undefined): boolean {
  return waitFor.kind === 'delete' ? obj === undefined : conditionMet(obj, waitFor.condition, waitFor.value);
}


async function waitForOne(client: ApiClient, r: ResourceInfo, ns: string | undefined, name: string, waitFor: WaitFor, deadline: number): Promise<void> {
  const fieldSelector = `metadata.name=${name}`;
  let first = true;
  while (Date.now() < deadline) {
    const list = await client.get<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>(resourcePath(r, ns), { query: { fieldSelector } });
    const obj = (list.items ?? []).find((o) => o.metadata?.name === name);
    if (satisfied(waitFor, obj)) return;
    if (first && !obj && waitFor.kind === 'condition') {
      throw new ServerError('SY_ERR_NOT_FOUND', `${qualifiedPlural(r)} "${name}" not found`, 'NotFound', 404, []);
    }
    first = false;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      const query = { fieldSelector, resourceVersion: list.metadata?.resourceVersion || undefined };
      for await (const event of client.watch(resourcePath(r, ns), query, abort.signal)) {
        if (event.object?.metadata && (event.object.metadata as { name?: string }).name !== name) continue;
        const current = event.type === 'DELETED' ? undefined : (event.object as KubeObject);
        if (event.type !== 'ERROR' && satisfied(waitFor, current)) return;
      }
    } catch (err) {
      // An expired resourceVersion means: list again.
      if (!(err instanceof ServerError && err.httpStatus === 410) && !abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    if (Date.now() < deadline) await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
  }
  throw syError('SY_ERR_TIMEOUT', `timed out waiting for the condition on ${r.plural}/${name}`);
}

interface WaitOptions {
  for?: string;
  timeout: string;
}

async function waitCommand(ctx: CliContext, args: string[], opts: WaitOptions): Promise<boolean> {
  const waitFor = parseWaitFor(opts.for);
  const deadline = Date.now() + parseDuration(opts.timeout);
  const client = ctx.client();
  let ok = true;
  for (const group of parseTypeAndNames(args)) {
    if (group.names.length === 0) throw syError('SY_ERR_CONFIG', 'wait needs object names: TYPE NAME... or TYPE/NAME');
    const r = await client.resolve(group.type);
    const ns = r.namespaced ? ctx.namespace() : undefined;
    for (const name of group.names) {
      try {
        await waitForOne(client, r, ns, name, waitFor, deadline);
        ctx.out(`${objectLabel(r, name)} condition met`);
      } catch (err) {
        ctx.err(formatError(err));
        ok = false;
      }
    }
  }
  return ok;
}

export function registerWait(program: Command): void {
  program.command('wait')
    .description('Wait until objects have a condition, or are deleted')
    .argument('<args...>', 'TYPE/NAME... or TYPE NAME...')
    .option('--for <what>', 'condition=NAME[=VALUE] (VALUE defaults to True) or delete')
    .option('--timeout <duration>', 'give up after this long (e.g. 30s, 5m); exit code 1', '30s')
    .addHelpText(
      'after',
      `
Examples:
  switchyard wait isvc/sklearn-iris --for=condition=Ready --timeout=2m
  switchyard wait tp ranking-v2 --for=condition=Promoted=True -n search
  switchyard wait isvc/old-model --for=delete`,
    )
    .action(run(async (ctx, args: string[], opts: WaitOptions) => waitCommand(ctx, args, opts)));
}
