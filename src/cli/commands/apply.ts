// `switchyard apply -f`: kubectl's client-side apply. Each object is read;
// absent ones are created with the last-applied annotation, present ones get
// a three-way merge patch, so fields removed from the file are removed live.
import type { Command } from 'commander';
import { SwitchyardError, syError } from '../../core/errors.ts';
import type { ApiClient } from '../client.ts';
import { run, type CliContext } from '../context.ts';
import { readManifests, type Manifest } from '../manifests.ts';
import { LAST_APPLIED, isMap, threeWayMergePatch, type JsonMap } from '../merge.ts';
import { objectLabel } from '../output.ts';
import { resourcePath, type ResourceInfo } from '../resources.ts';
import { ServerError, formatError } from '../status.ts';

const FIELD_MANAGER = 'kubectl-client-side-apply';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Files named as arguments or with kubectl's -f/--filename (either, or both): at least one. */
export function filesOf(args: readonly string[], filename: readonly string[] | undefined, command: string): string[] {
  const files = [...args, ...(filename ?? [])];
  if (files.length === 0) throw syError('SY_ERR_CONFIG', `no file given: switchyard ${command} FILE, or -f FILE`);
  return files;
}

/** The target namespace of an object: its own, else -n / the context's; a conflicting -n is an error. */
export function namespaceFor(r: ResourceInfo, obj: JsonMap, ctx: CliContext): string | undefined {
  if (!r.namespaced) return undefined;
  const own = isMap(obj.metadata) && typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : undefined;
  if (own && ctx.namespaceExplicit && own !== ctx.namespace()) {
    throw syError(
      'SY_ERR_NAMESPACE_MISMATCH',
      `the namespace from the provided object "${own}" does not match the namespace "${ctx.namespace()}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own ?? ctx.namespace();
}

/** The config with its last-applied annotation set to itself (without the annotation). */
export function withLastApplied(obj: JsonMap): JsonMap {
  const metadata = isMap(obj.metadata) ? obj.metadata : {};
  const annotations = isMap(metadata.annotations) ? { ...metadata.annotations } : {};
  delete annotations[LAST_APPLIED];
  const bare: JsonMap = { ...obj, metadata: { ...metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete (bare.metadata as JsonMap).annotations;
  const text = JSON.stringify(bare) + '\n';
  return { ...obj, metadata: { ...metadata, annotations: { ...annotations, [LAST_APPLIED]: text } } };
}

function lastAppliedOf(live: JsonMap): JsonMap | undefined {
  const meta = live.metadata;
  const text = isMap(meta) && isMap(meta.annotations) ? meta.annotations[LAST_APPLIED] : undefined;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isMap(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

type Outcome = 'created' | 'configured' | 'unchanged';

export async function applyObject(client: ApiClient, obj: JsonMap, ctx: CliContext): Promise<{ r: ResourceInfo; outcome: Outcome }> {
  const r = await client.resourceForKind(String(obj.apiVersion), String(obj.kind));
  const name = String((obj.metadata as JsonMap).name);
  const ns = namespaceFor(r, obj, ctx);
  const modified = withLastApplied(obj);
  let live: JsonMap | undefined;
  try {
    live = await client.get<JsonMap>(resourcePath(r, ns, name));
  } catch (err) {
    if (!(err instanceof ServerError && err.httpStatus === 404)) throw err;
  }
  if (!live) {
    await client.request('POST', resourcePath(r, ns), { body: modified, query: { fieldManager: FIELD_MANAGER } });
    return { r, outcome: 'created' };
  }
  const patch = threeWayMergePatch(lastAppliedOf(live), modified, live);
  if (Object.keys(patch).length === 0) return { r, outcome: 'unchanged' };
  await client.request('PATCH', resourcePath(r, ns, name), {
    body: patch,
    contentType: 'application/merge-patch+json',
    query: { fieldManager: FIELD_MANAGER },
  });
  return { r, outcome: 'configured' };
}

/** Reports a failure for one document, naming the file (and document) it came from. */
export function reportFailure(ctx: CliContext, m: Manifest, verb: string, err: unknown): void {
  if (err instanceof ServerError) {
    ctx.err(formatError(new ServerError(err.code, `error when ${verb} "${m.source}": ${err.message}`, err.serverReason, err.httpStatus, err.causes)));
  } else if (err instanceof SwitchyardError && !err.message.includes(m.source)) {
    ctx.err(formatError(new SwitchyardError(err.code, `error when ${verb} "${m.source}": ${err.message}`, { causes: err.causes })));
  } else {
    ctx.err(formatError(err));
  }
}

async function applyAll(ctx: CliContext, files: string[]): Promise<boolean> {
  const manifests = readManifests(files);
  const client = ctx.client();
  let ok = true;
  for (const m of manifests) {
    if (m.error || !m.object) {
      reportFailure(ctx, m, 'applying', m.error);
      ok = false;
      continue;
    }
    try {
      const { r, outcome } = await applyObject(client, m.object as JsonMap, ctx);
      ctx.out(`${objectLabel(r, String((m.object.metadata as JsonMap).name))} ${outcome}`);
    } catch (err) {
      reportFailure(ctx, m, 'applying', err);
      ok = false;
    }
  }
  return ok;
}

export function registerApply(program: Command): void {
  program.command('apply')
    .description('Create or update objects from YAML/JSON files (client-side apply, like kubectl apply)')
    .option('-f, --filename <path>', 'file, directory or - (stdin) with one or more documents; repeatable', collect, [])
    .addHelpText(
      'after',
      `
Valid documents are applied even when others fail; each failure is reported and the exit code is 1.
Output per object: KIND.GROUP/NAME created|configured|unchanged.

Examples:
  switchyard apply -f isvc.yaml
  switchyard apply -f examples/quickstart/ -n demo
  cat plan.yaml | switchyard apply -f -`,
    )
    .action(run(async (ctx, opts: { filename: string[] }) => applyAll(ctx, opts.filename)));
}
