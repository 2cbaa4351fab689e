// `switchyard patch`: a merge or JSON patch on one object (or its status).
import type { Command } from 'commander';
import { syError } from '../../core/errors.ts';
import { run, type CliContext } from '../context.ts';
import { objectLabel, parseTypeAndNames, type KubeObject } from '../output.ts';
import { resourcePath } from '../resources.ts';

interface PatchOptions {
  patch?: string;
  type: string;
  subresource?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

async function patchCommand(ctx: CliContext, args: string[], opts: PatchOptions): Promise<void> {
  const groups = parseTypeAndNames(args);
  const target = groups[0]!;
  if (groups.length !== 1 || target.names.length !== 1) throw syError('SY_ERR_CONFIG', 'patch needs exactly one object: TYPE NAME or TYPE/NAME');
  if (opts.patch === undefined) throw syError('SY_ERR_CONFIG', 'must specify -p/--patch with a JSON patch document');
  const contentType = CONTENT_TYPES[opts.type];
  if (!contentType) throw syError('SY_ERR_CONFIG', `--type must be "merge" or "json" (got "${opts.type}"); strategic merge is not supported`);
  if (opts.subresource !== undefined && opts.subresource !== 'status') throw syError('SY_ERR_CONFIG', `--subresource must be "status" (got "${opts.subresource}")`);
  let body: unknown;
  try {
    body = JSON.parse(opts.patch);
  } catch (err) {
    throw syError('SY_ERR_MALFORMED_BODY', `the patch is not valid JSON: ${(err as Error).message}`);
  }
  if (opts.type === 'json' && !Array.isArray(body)) throw syError('SY_ERR_MALFORMED_BODY', 'a JSON patch (--type json) must be an array of operations');
  if (opts.type === 'merge' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw syError('SY_ERR_MALFORMED_BODY', 'a merge patch (--type merge) must be a JSON object');
  }
  const client = ctx.client();
  const r = await client.resolve(target.type);
  const name = target.names[0]!;
  const ns = r.namespaced ? ctx.namespace() : undefined;
  const before = await client.get<KubeObject>(resourcePath(r, ns, name));
  const after = await client.request<KubeObject>('PATCH', resourcePath(r, ns, name, opts.subresource), {
    body,
    contentType,
    query: { fieldManager: 'kubectl-patch' },
  });
  const unchanged = before.metadata?.resourceVersion !== undefined && before.metadata.resourceVersion === after?.metadata?.resourceVersion;
  ctx.out(`${objectLabel(r, name)} patched${unchanged ? ' (no change)' : ''}`);
}

export function registerPatch(program: Command): void {
  program.command('patch')
    .description('Update fields of an object with a JSON merge patch or a JSON patch (RFC 6902)')
    .argument('<type>', 'resource type or TYPE/NAME')
    .argument('[name]', 'object name')
    .option('-p, --patch <json>', 'the patch document')
    .option('--type <type>', 'merge (RFC 7386) or json (RFC 6902)', 'merge')
    .option('--subresource <name>', 'patch a subresource instead (status)')
    .addHelpText(
      'after',
      `
Examples:
  switchyard patch isvc sklearn-iris -p '{"spec":{"predictor":{"canaryTrafficPercent":10}}}'
  switchyard patch isvc/sklearn-iris --type json -p '[{"op":"replace","path":"/spec/predictor/minReplicas","value":2}]'
  switchyard patch tp ranking-v2 --subresource status -p '{"status":{"phase":"Paused"}}'`,
    )
    .action(run(async (ctx, type: string, name: string | undefined, opts: PatchOptions) => patchCommand(ctx, name === undefined ? [type] : [type, name], opts)));
}
