// The API server: Kubernetes-style REST over the Store, close enough to
// kube-apiserver that unmodified kubectl works against it.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KINDS } from '../../api/registry.ts';
import { dns1123LabelErrors } from '../../api/meta.ts';
import { openApiV2Document, openApiV3ForPath, openApiV3Index } from '../../api/openapi.ts';
import { OPENAPI_V2_PROTOBUF, openApiV2Protobuf, wantsOpenApiV2Protobuf } from '../../api/openapi-proto.ts';
import { syError } from '../../core/errors.ts';
import { createLimitedServer } from '../../core/http-limits.ts';
import { drainable, type DrainReport } from '../../core/http-drain.ts';
import type { AuditQuery, Store } from '../../store/types.ts';
import type { Principal, TokenRegistry } from '../auth.ts';
import { requestUrl, sendError, sendJson } from '../http/respond.ts';
import { apiVersions, group, groupList, resourceList } from './discovery.ts';
import { handleResource, type HandlerContext, type PodLogReader } from './handler.ts';
import { handleHistory, type HistorySources } from './history.ts';
import { handleReview, isReviewPath } from './reviews.ts';
import { API_LIMITS, statusErrorBody, type ApiLimits } from './limits.ts';
import { parsePath } from './paths.ts';
import { Resources } from './resources.ts';
import { handleTokens } from './tokens.ts';
import { WatchSlots } from './watch.ts';
import { VERSION } from '../../core/version.ts';
import { FEEDBACK_PATH, type FeedbackEvent, type FeedbackResult } from '../../api/feedback.ts';
import { FeedbackStats, serveFeedback } from '../../gateway/feedback.ts';
import { comparePair } from '../../analysis/pairs.ts';

export interface ApiServerOptions extends HistorySources {
  store: Store;
  tokens: TokenRegistry;
  host?: string;
  port?: number;
  now?: () => Date;
  /** Deadlines, sizes and counts clients are held to; kube-apiserver's defaults (limits.ts) for what is not given. */
  limits?: Partial<ApiLimits>;
  /** Serve HTTPS with this certificate (kubectl only sends tokens over TLS). Plain HTTP without it. */
  tls?: { cert: string; key: string };
  /** Telemetry windows per variant (the gateway's recorder), for GET /switchyard/v1/namespaces/NS/telemetry. */
  telemetry?: (q: TelemetryQuery) => unknown;
  /** The prediction log, for GET /switchyard/v1/namespaces/NS/predictions. */
  predictions?: (q: PredictionsQuery) => unknown;
  /** What the prediction log keeps for a namespace's rows (a service's, when given): answered beside the rows. */
  predictionPolicy?: (namespace: string, service: string | undefined) => unknown;
  /** Serves pods/NAME/log (kubectl logs). */
  podLogs?: PodLogReader;
  /** Answers /readyz; the composition root flips it once controllers run. */
  ready?: () => boolean;
  /** Joins and stores feedback posted to /switchyard/v1/feedback (the prediction log's); absent: 503. */
  feedback?: (events: FeedbackEvent[]) => Promise<FeedbackResult>;
  /** Counters of the feedback endpoint, shared with the gateway (which shows them in its /metrics). */
  feedbackStats?: FeedbackStats;
  /** Serves the dashboard's files under /ui/ (public, like a login page; the API calls they make carry a token). */
  ui?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface ApiServer {
  server: Server;
  port: number;
  url: string;
  resources: Resources;
  /** Stops accepting, ends watches, waits up to drainMs (default 5 s) for requests in flight, then closes; says what it drained. */
  close(drainMs?: number): Promise<DrainReport>;
}

function serverVersion(): Record<string, string> {
  const [major = '0', minor = '0'] = VERSION.split('.');
  return {
    major, minor, gitVersion: `v${VERSION}`, gitCommit: '', gitTreeState: 'clean', buildDate: '',
    goVersion: `node${process.versions.node}`, compiler: 'switchyard', platform: `${process.platform}/${process.arch}`,
  };
}

export interface TelemetryQuery {
  namespace: string;
  service: string;
  revision?: string;
  variant?: string;
  role?: 'primary' | 'mirror';
  windowMs: number;
}

export interface PredictionsQuery {
  namespace: string;
  service?: string;
  sinceMs?: number;
  paired: boolean;
  limit: number;
  revision?: string;
  variant?: string;
  minStatus?: number;
  maxStatus?: number;
}

/** status=503 (one code) or status=5xx (a class) as the range of codes it means. */
function statusRange(url: URL): { minStatus?: number; maxStatus?: number } {
  const raw = url.searchParams.get('status');
  if (raw === null || raw === '') return {};
  const m = /^([1-5])(xx|\d\d)$/.exec(raw);
  if (!m) throw syError('SY_ERR_BAD_REQUEST', `query parameter status must be an HTTP status (e.g. 503) or a class (2xx, 4xx, 5xx), got "${raw}"`);
  return m[2] === 'xx' ? { minStatus: Number(m[1]) * 100, maxStatus: Number(m[1]) * 100 + 99 } : { minStatus: Number(raw), maxStatus: Number(raw) };
}

function positiveNumber(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw syError('SY_ERR_BAD_REQUEST', `query parameter ${name} must be a positive number, got "${raw}"`);
  return n;
}

/**
 * GET /switchyard/v1/audit's query: resource ('group/resource/namespace/name'), namespace and
 * verbPrefix ('plan/') narrow the list, e.g. to one plan's transitions; newest=true lists the
 * last `limit` records rather than the first.
 */
function auditQuery(url: URL): AuditQuery {
  const newest = url.searchParams.get('newest');
  if (newest !== null && newest !== 'true' && newest !== 'false') throw syError('SY_ERR_BAD_REQUEST', `query parameter newest must be true or false, got "${newest}"`);
  const namespace = url.searchParams.get('namespace');
  if (namespace !== null && dns1123LabelErrors(namespace).length > 0) throw syError('SY_ERR_BAD_REQUEST', `query parameter namespace must be a namespace name (a DNS-1123 label), got "${namespace}"`);
  return {
    sinceSeq: wholeNumber(url, 'sinceSeq', 0), limit: wholeNumber(url, 'limit', 1000),
    ...optional(url, 'resource'), ...optional(url, 'verbPrefix'), ...(namespace ? { namespace } : {}), ...(newest === 'true' ? { newest: true } : {}),
  };
}

function wholeNumber(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw syError('SY_ERR_BAD_REQUEST', `query parameter ${name} must be a whole number, got "${raw}"`);
  return n;
}

function optional(url: URL, name: string): Record<string, string> {
  const v = url.searchParams.get(name);
  return v ? { [name]: v } : {};
}

async function handleNamespaced(url: URL, path: string, opts: ApiServerOptions, res: ServerResponse): Promise<boolean> {
  const m = /^\/switchyard\/v1\/namespaces\/([^/]+)\/(telemetry|predictions)$/.exec(path);
  if (!m) return false;
  const namespace = decodeURIComponent(m[1]!);
  if (m[2] === 'telemetry') {
    if (!opts.telemetry) throw syError('SY_ERR_UNAVAILABLE', 'telemetry is not recorded by this server');
    const service = url.searchParams.get('service');
    if (!service) throw syError('SY_ERR_BAD_REQUEST', 'query parameter service is required');
    const role = url.searchParams.get('role');
    if (role !== null && role !== 'primary' && role !== 'mirror') throw syError('SY_ERR_BAD_REQUEST', `role must be primary or mirror, got "${role}"`);
    sendJson(res, 200, opts.telemetry({ namespace, service, ...optional(url, 'revision'), ...optional(url, 'variant'), ...(role ? { role } : {}), windowMs: positiveNumber(url, 'windowMs', 60_000) }));
    return true;
  }
  if (!opts.predictions) throw syError('SY_ERR_UNAVAILABLE', 'the prediction log is not kept by this server');
  const since = url.searchParams.get('sinceMs');
  const paired = url.searchParams.get('paired') === 'true';
  const items = opts.predictions({
    namespace, ...optional(url, 'service'), ...optional(url, 'revision'), ...optional(url, 'variant'), ...statusRange(url),
    paired,
    limit: Math.min(10_000, positiveNumber(url, 'limit', 100)),
    ...(since !== null ? { sinceMs: positiveNumber(url, 'sinceMs', 0) } : {}),
  });
  const policies = opts.predictionPolicy ? policiesFor(namespace, url.searchParams.get('service') ?? undefined, items as unknown[], opts.predictionPolicy) : undefined;
  sendJson(res, 200, {
    items: paired ? withComparison(items as ComparablePair[]) : items,
    // `policy` when one policy covers every row; `policies`, each with the services it covers here, always.
    ...(policies ? { ...(policies.length === 1 ? { policy: policies[0]!.view } : {}), policies: policies.map((p) => ({ services: p.services, ...(p.view as object) })) } : {}),
  });
  return true;
}

/**
 * The PredictionLogPolicy of each service the rows come from (of the asked service; of the namespace
 * when there are no rows), grouped: a namespace's services may keep different inputs, and one line
 * for them all would say something false of some.
 */
function policiesFor(namespace: string, service: string | undefined, items: unknown[], policyOf: NonNullable<ApiServerOptions['predictionPolicy']>): Array<{ services: string[]; view: unknown }> {
  const services = service !== undefined ? [service]
    : [...new Set(items.map((i) => ((i as { primary?: { service?: string } }).primary ?? (i as { service?: string })).service).filter((x): x is string => typeof x === 'string'))].sort();
  if (services.length === 0) return [{ services: [], view: policyOf(namespace, undefined) }];
  const groups = new Map<string, { services: string[]; view: unknown }>();
  for (const s of services) {
    const view = policyOf(namespace, s);
    const key = JSON.stringify(view);
    const g = groups.get(key) ?? { services: [], view };
    g.services.push(s);
    groups.set(key, g);
  }
  return [...groups.values()];
}

interface ComparablePair { primary: { output: unknown }; mirror: { output: unknown } }

/**
 * Each pair says how its answers compare, as a shadow phase judges them (labels, the argmax of
 * probability rows): agree, disagree, incomparable or invalid (a failed or unreadable answer).
 * Comparing the raw JSON would call every V2 pair different (each answer has its own id).
 */
function withComparison(pairs: ComparablePair[]): Array<ComparablePair & { compared: ReturnType<typeof comparePair> }> {
  return pairs.map((p) => ({ ...p, compared: comparePair(p.primary.output, p.mirror.output) }));
}

async function handleExtension(req: IncomingMessage, res: ServerResponse, url: URL, p: Principal, opts: ApiServerOptions): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  if (req.method === 'GET' && (await handleNamespaced(url, path, opts, res))) return;
  if (req.method === 'GET' && handleHistory(url, path, opts, res)) return;
  if (path === '/switchyard/v1/audit' && req.method === 'GET') {
    return sendJson(res, 200, { items: await opts.store.listAudit(auditQuery(url)) });
  }
  if (path === '/switchyard/v1/audit/verify' && req.method === 'GET') {
    return sendJson(res, 200, await opts.store.verifyAudit());
  }
  if (path === '/switchyard/v1/tokens') return handleTokens(req, res, p, opts.tokens, opts.store);
  throw syError('SY_ERR_NOT_FOUND', `no such endpoint: ${req.method} ${url.pathname}`);
}

// The documents are derived from static schemas: build each once.
const openApiCache = new Map<string, string | undefined>();
function cachedJson(key: string, build: () => unknown): string | undefined {
  if (!openApiCache.has(key)) {
    const doc = build();
    openApiCache.set(key, doc === undefined ? undefined : JSON.stringify(doc));
  }
  return openApiCache.get(key);
}

function handleOpenApi(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const path = url.pathname.replace(/\/+$/, '');
  // kubectl 1.27 reads the v2 document as gnostic protobuf for validation and explain.
  if (path === '/openapi/v2' && wantsOpenApiV2Protobuf(req.headers.accept)) {
    const body = openApiV2Protobuf();
    res.writeHead(200, { 'content-type': OPENAPI_V2_PROTOBUF, 'content-length': body.length, vary: 'Accept' });
    return void res.end(body);
  }
  const text = path === '/openapi/v2' ? cachedJson(path, openApiV2Document)
    : path === '/openapi/v3' ? cachedJson(path, openApiV3Index)
    : cachedJson(path, () => openApiV3ForPath(path));
  if (text === undefined) throw syError('SY_ERR_NOT_FOUND', `no OpenAPI document at ${path}`);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const now = opts.now ?? (() => new Date());
  const resources = new Resources(opts.store, KINDS);
  const limits: ApiLimits = { ...API_LIMITS, ...opts.limits };
  const ctx: HandlerContext = {
    store: opts.store, resources, now, bodyLimit: limits.maxBodyBytes, watches: new WatchSlots(limits.maxWatches),
    ...(opts.podLogs ? { podLogs: opts.podLogs } : {}),
  };
  let address = '';
  const feedbackEndpoint = {
    authorize: (header: string | undefined) => void opts.tokens.authorizeFeedback(header),
    record: opts.feedback ?? (() => Promise.reject(syError('SY_ERR_UNAVAILABLE', 'feedback is not stored by this server (it keeps no prediction log)'))),
    stats: opts.feedbackStats ?? new FeedbackStats(), listener: 'apiserver' as const,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const path = url.pathname;
    if (path === '/livez' || path === '/healthz') return void res.end('ok');
    if (path === '/readyz') {
      const ready = opts.ready?.() ?? true;
      res.statusCode = ready ? 200 : 503;
      return void res.end(ready ? 'ok' : 'not ready');
    }
    if (path === '/version') return sendJson(res, 200, serverVersion());
    // Its own token check (feedback or admin tokens), so refusals are counted with the gateway's.
    if (path.replace(/\/+$/, '') === FEEDBACK_PATH) return serveFeedback(req, res, feedbackEndpoint);
    if (opts.ui && (path === '/ui' || path.startsWith('/ui/'))) return opts.ui(req, res);
    const principal = opts.tokens.authenticate(req.headers.authorization);
    if (principal.role === 'feedback') {
      throw syError('SY_ERR_FORBIDDEN', `forbidden: feedback "${principal.name}" may only POST ${FEEDBACK_PATH}`);
    }
    if (isReviewPath(path)) return handleReview(req, res, path, principal);
    if (path.startsWith('/openapi/')) return handleOpenApi(req, res, url);
    if (path.startsWith('/switchyard/')) return handleExtension(req, res, url, principal, opts);
    const target = parsePath(KINDS, path);
    if (!target) throw syError('SY_ERR_NOT_FOUND', `the server could not find the requested resource (${path})`);
    switch (target.type) {
      case 'root': return sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/openapi/v2', '/openapi/v3', '/version', '/livez', '/readyz', '/switchyard/v1/audit', FEEDBACK_PATH] });
      case 'apiVersions': return sendJson(res, 200, apiVersions(address));
      case 'groupList': return sendJson(res, 200, groupList(KINDS));
      case 'group': return sendJson(res, 200, group(KINDS, target.group));
      case 'resourceList': return sendJson(res, 200, resourceList(KINDS, target.group, target.version));
      case 'resource': return handleResource(req, res, url, target, principal, ctx);
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err) => sendError(res, err));
  };
  const server: Server = createLimitedServer({ limits, errorBody: statusErrorBody, ...(opts.tls ? { tls: opts.tls } : {}) }, listener);
  const drain = drainable(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8081, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server, port, url: `${opts.tls ? 'https' : 'http'}://${address}`, resources,
    close: (drainMs = 5000) => {
      const closing = drain.close(drainMs);
      ctx.watches.endAll();
      return closing;
    },
  };
}
