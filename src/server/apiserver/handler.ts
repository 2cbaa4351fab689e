// Dispatches Kubernetes REST requests on stored kinds: verb from method and
// query, auth check, then Resources; answers objects, lists or Tables.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KindInfo } from '../../api/types.ts';
import { toTable } from '../../api/table.ts';
import { syError } from '../../core/errors.ts';
import { parseLabelSelector } from '../../store/labels.ts';
import type { KubeObject, Store } from '../../store/types.ts';
import { isAllowed, type Principal } from '../auth.ts';
import { readBody } from '../../core/http-body.ts';
import { decodeBody, mediaType } from '../http/body.ts';
import { sendJson, sendStatusSuccess } from '../http/respond.ts';
import { parseFieldSelector } from './fieldselector.ts';
import type { Target } from './paths.ts';
import { Resources, type PatchType, type Scope } from './resources.ts';
import { serveWatch, type WatchSlots } from './watch.ts';

/** Reads a local pod's log lines (the supervisor's rotated files). */
export type PodLogReader = (namespace: string, pod: string, opts: { tailLines?: number; follow?: boolean; signal?: AbortSignal }) => AsyncIterable<string>;

export interface HandlerContext {
  store: Store;
  resources: Resources;
  now: () => Date;
  bodyLimit: number;
  watches: WatchSlots;
  podLogs?: PodLogReader;
}

/** GET /api/v1/namespaces/NS/pods/NAME/log: plain text, optionally followed (`kubectl logs -f`). */
async function servePodLog(req: IncomingMessage, res: ServerResponse, url: URL, scope: Scope, ctx: HandlerContext): Promise<void> {
  await ctx.resources.get(scope); // 404 for an unknown pod
  if (!ctx.podLogs) throw syError('SY_ERR_UNAVAILABLE', 'pod logs are not available on this server');
  const tail = Number(url.searchParams.get('tailLines') ?? NaN);
  const follow = url.searchParams.get('follow') === 'true';
  const abort = new AbortController();
  req.on('close', () => abort.abort());
  const lines = ctx.podLogs(scope.namespace, scope.name ?? '', { ...(Number.isInteger(tail) && tail >= 0 ? { tailLines: tail } : {}), follow, signal: abort.signal });
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
  try {
    for await (const line of lines) {
      if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
    }
  } catch (err) {
    if (!abort.signal.aborted) res.write(`error reading log: ${(err as Error).message}\n`);
  }
  res.end();
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
};

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function verbOf(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET': return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return hasName ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

function apiVersionOf(info: KindInfo, version: string): string {
  return info.group === '' ? version : `${info.group}/${version}`;
}

/** ?dryRun=All makes a write a dry run (every check, nothing stored); other values are refused, as Kubernetes does. */
function writeResources(url: URL, resources: Resources): Resources {
  const values = url.searchParams.getAll('dryRun');
  return values.length === 0 ? resources : dryRunResources(values, resources);
}

function dryRunResources(values: unknown[], resources: Resources): Resources {
  const bad = values.find((v) => v !== 'All');
  if (bad !== undefined) throw syError('SY_ERR_BAD_REQUEST', `Invalid dry run value: ${JSON.stringify(bad)}: supported values: "All"`);
  return resources.dryRun();
}

async function readObject(req: IncomingMessage, ctx: HandlerContext): Promise<{ body: unknown; type: string }> {
  const type = mediaType(req);
  return { body: decodeBody(await readBody(req, ctx.bodyLimit), type), type };
}

export async function handleResource(
  req: IncomingMessage, res: ServerResponse, url: URL, target: Extract<Target, { type: 'resource' }>,
  principal: Principal, ctx: HandlerContext,
): Promise<void> {
  const { info } = target;
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const method = req.method ?? 'GET';
  const verb = verbOf(method, target.name !== undefined, watch);
  if (!isAllowed(principal.role, verb, info.plural)) {
    throw syError('SY_ERR_FORBIDDEN', `${info.plural}${info.group ? `.${info.group}` : ''} is forbidden: ${principal.role} "${principal.name}" cannot ${verb} this resource`, { details: { kind: info.plural, group: info.group } });
  }
  if (target.subresource === 'log' && info.kind === 'Pod' && method === 'GET') {
    if (!isAllowed(principal.role, 'get', info.plural)) throw syError('SY_ERR_FORBIDDEN', 'pods/log is forbidden');
    return servePodLog(req, res, url, { info, version: target.version, namespace: target.namespace, name: target.name ?? '' }, ctx);
  }
  if (target.subresource !== undefined && target.subresource !== 'status') {
    throw syError('SY_ERR_UNKNOWN_KIND', `the server could not find the requested resource: ${info.plural}/${target.subresource}`);
  }
  if (target.subresource === 'status' && !info.hasStatus) {
    throw syError('SY_ERR_UNKNOWN_KIND', `${info.plural} has no status subresource`);
  }
  if (info.namespaced && !target.namespace && !(method === 'GET' && target.name === undefined)) {
    throw syError('SY_ERR_BAD_REQUEST', `${info.plural} are namespaced: the path must name a namespace`);
  }
  const scope: Scope = {
    info, version: target.version, namespace: target.namespace,
    ...(target.name !== undefined ? { name: target.name } : {}),
    ...(target.subresource === 'status' ? { subresource: 'status' as const } : {}),
  };
  const actor = { name: `${principal.role}:${principal.name}`, principal };
  const resources = writeResources(url, ctx.resources);
  const table = wantsTable(req);
  const includeObject = includeObjectOf(url);
  const one = (obj: KubeObject): unknown => (table ? toTable(info, [obj], { now: ctx.now(), includeObject }) : obj);

  switch (verb) {
    case 'get':
      return sendJson(res, 200, one(await ctx.resources.get(scope)));
    case 'list':
    case 'watch': {
      const labels = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
      const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
      if (verb === 'watch') {
        const rv = url.searchParams.get('resourceVersion') ?? undefined;
        const timeout = Number(url.searchParams.get('timeoutSeconds') ?? NaN);
        ctx.watches.take(res);
        return serveWatch(ctx.store, req, res, {
          scope, labels, fields, encode: (o) => one(ctx.resources.present(scope, o)),
          ...(rv !== undefined ? { resourceVersion: rv } : {}),
          ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutSeconds: timeout } : {}),
        });
      }
      const list = await ctx.resources.list(scope, { labels, fields });
      if (table) return sendJson(res, 200, toTable(info, list.items, { now: ctx.now(), resourceVersion: list.resourceVersion, includeObject }));
      return sendJson(res, 200, { apiVersion: apiVersionOf(info, target.version), kind: `${info.kind}List`, metadata: { resourceVersion: list.resourceVersion }, items: list.items });
    }
    case 'create': {
      if (target.subresource) throw syError('SY_ERR_METHOD_NOT_ALLOWED', 'POST is not allowed on a subresource');
      const { body } = await readObject(req, ctx);
      return sendJson(res, 201, one(await resources.create(scope, body, actor)));
    }
    case 'update': {
      const { body } = await readObject(req, ctx);
      return sendJson(res, 200, one(await resources.replace(scope, body, actor)));
    }
    case 'patch': {
      const type = mediaType(req);
      // Strategic merge needs merge keys only built-in kinds have: in a cluster the KServe, Istio and
      // Switchyard kinds are custom resources, which take merge and JSON patches only.
      const accepted = Object.keys(PATCH_TYPES).filter((t) => info.group === '' || PATCH_TYPES[t] !== 'strategic');
      const patchType = accepted.includes(type) ? PATCH_TYPES[type] : undefined;
      if (!patchType) {
        throw syError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
      }
      const body = decodeBody(await readBody(req, ctx.bodyLimit), 'application/json');
      return sendJson(res, 200, one(await resources.patch(scope, patchType, body, actor)));
    }
    case 'delete': {
      let rv: string | undefined;
      let deleter = resources;
      if (Number(req.headers['content-length'] ?? 0) > 0) {
        const { body } = await readObject(req, ctx);
        const options = body as { preconditions?: { resourceVersion?: string }; dryRun?: unknown } | null;
        rv = options?.preconditions?.resourceVersion;
        // kubectl sends a delete's dry run in its DeleteOptions body rather than the query.
        if (Array.isArray(options?.dryRun) && options.dryRun.length > 0) deleter = dryRunResources(options.dryRun, ctx.resources);
      }
      const deleted = await deleter.delete(scope, actor, rv);
      // CRDs answer the deleted object; kubectl prints "<kind> deleted" either way.
      if (info.group === '') return sendStatusSuccess(res, { name: deleted.metadata.name, kind: info.plural, uid: deleted.metadata.uid });
      return sendJson(res, 200, deleted);
    }
    default:
      throw syError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not supported on ${info.plural}`);
  }
}

/**
 * A Table row's object, as kube-apiserver's `includeObject` asks: the object's metadata (default),
 * the whole object (kubectl's --sort-by and custom columns read fields beyond metadata) or none.
 */
function includeObjectOf(url: URL): 'None' | 'Metadata' | 'Object' {
  const v = url.searchParams.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw syError('SY_ERR_BAD_REQUEST', `includeObject must be None, Metadata or Object, got "${v}"`);
}
