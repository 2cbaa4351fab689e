// `switchyard sink`: the receiver for KServe's payload logger in a cluster.
// Point an InferenceService's spec.predictor.logger.url at it; it joins each
// request with its response (same ce-id, same logging pod), reads the answer
// the way the gateway does (labels, scores, invalid outputs: the same
// analyseOutput), keeps per-revision output windows for the plan controller
// and writes a prediction log row per answer, which outcome feedback joins:
// applications post feedback to its /switchyard/v1/feedback with a token from
// its tokens file. The controller reads it over HTTP (src/kube/sink-client.ts).
// One replica with a volume: the prediction log is a SQLite file (docs/cluster.md).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { WindowAccumulator, WindowRing } from '../analysis/windows.ts';
import { sketchAtoms } from '../analysis/evidence.ts';
import { syError } from '../core/errors.ts';
import { readBody } from '../core/http-body.ts';
import { FEEDBACK_PATH } from '../api/feedback.ts';
import { FeedbackStats, serveFeedback, type FeedbackEndpoint } from '../gateway/feedback.ts';
import { analyseOutput, countInstances } from '../gateway/telemetry/outputs.ts';
import { parseLoggedEvent, type LoggedEvent } from '../kube/logger-events.ts';
import { SINK_API, type SinkOutputs } from '../kube/sink-client.ts';
import { readOutcomes } from '../store/outcomes.ts';
import { PredictionLog } from '../store/predictions.ts';
import { lockDataDir, predictionsHashKey, dataDirPaths, type DataDir } from './datadir.ts';
import { sendError, sendJson } from './http/respond.ts';
import { fileTokenCheck } from './sink-tokens.ts';

/** A request waits this long for its response; then it is dropped (the model did not answer 200, or the logger logs requests only). */
const PENDING_MS = 60_000;
/** Logged payloads above this are refused (413): KServe's agent logs whole bodies. */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

export interface SinkOptions {
  dataDir: string;
  port: number;
  listen: string;
  /** A request header KServe's logger passes in ce-metadata (spec.predictor.logger.metadataHeaders) that names the unit, for per-unit outcomes. */
  unitHeader?: string;
  /** Bearer tokens that may post outcome feedback, one per line (sink-tokens.ts); without it the sink takes no feedback (401). */
  feedbackTokensFile?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RunningSink {
  url: string;
  server: Server;
  predictions: PredictionLog;
  stop(): Promise<void>;
}

interface Pending {
  body: Buffer;
  atMs: number;
  unit?: string;
}

function number(q: URLSearchParams, name: string): number {
  const v = Number(q.get(name));
  if (!q.has(name) || !Number.isFinite(v)) throw syError('SY_ERR_BAD_REQUEST', `query parameter ${name} must be a number`);
  return v;
}

function text(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw syError('SY_ERR_BAD_REQUEST', `query parameter ${name} is required`);
  return v;
}

/** The unit named by `header` in KServe's ce-metadata extension ({"Header": ["value"]}), if any. */
function unitOf(headers: IncomingMessage['headers'], header: string | undefined): string | undefined {
  const raw = headers['ce-metadata'];
  if (!header || typeof raw !== 'string') return undefined;
  try {
    const meta = JSON.parse(raw) as Record<string, string[]>;
    const hit = Object.entries(meta).find(([k]) => k.toLowerCase() === header.toLowerCase());
    return hit?.[1]?.[0];
  } catch {
    return undefined;
  }
}

export async function startSink(opts: SinkOptions): Promise<RunningSink> {
  const paths = dataDirPaths(opts.dataDir);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(paths, 'switchyard sink');
  try {
    return await serve(opts, paths, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

/** The sink on a data dir this process holds (`unlock` lets it go at stop). */
async function serve(opts: SinkOptions, paths: DataDir, unlock: () => void): Promise<RunningSink> {
  const now = opts.now ?? Date.now;
  const predictions = new PredictionLog({ path: join(paths.root, 'predictions.db'), hashKey: predictionsHashKey(paths) }, now);
  const rings = new Map<string, WindowRing>();
  const pending = new Map<string, Pending>();
  const registry = new Registry();
  const events = new Counter({ name: 'switchyard_sink_events_total', help: 'Logger CloudEvents received, by type and outcome', labelNames: ['type', 'outcome'], registers: [registry] });
  const feedback: FeedbackEndpoint = {
    authorize: fileTokenCheck(opts.feedbackTokensFile),
    record: (batch) => predictions.postFeedback(batch),
    stats: new FeedbackStats(),
    listener: 'sink',
  };

  const seriesKey = (ns: string, svc: string, rev: string) => `${ns}/${svc}/${rev}`;
  const pendingKey = (e: LoggedEvent) => `${e.namespace}/${e.service}/${e.source}/${e.id}`;
  const sweep = setInterval(() => {
    for (const [k, p] of pending) if (now() - p.atMs > PENDING_MS) pending.delete(k);
  }, 10_000);
  sweep.unref();

  function record(e: LoggedEvent, request: Pending | undefined): void {
    const at = now();
    const analysis = analyseOutput(e.body, request ? countInstances(request.body) : undefined);
    const key = seriesKey(e.namespace, e.service, e.revision!);
    let ring = rings.get(key);
    if (!ring) rings.set(key, (ring = new WindowRing({ bucketMs: 1000, retentionMs: 3_600_000 })));
    ring.recordOutput(at, analysis);
    predictions.enqueue({
      requestId: e.id, time: at, namespace: e.namespace, service: e.service, revision: e.revision!, role: 'primary', status: 200, latencyMs: 0,
      output: e.body, ...(request ? { input: request.body } : {}), ...(request?.unit ? { unit: request.unit } : {}),
    });
  }

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_EVENT_BYTES);
    const e = parseLoggedEvent(req.headers, body);
    if ('error' in e) {
      events.inc({ type: 'unknown', outcome: 'refused' });
      throw syError('SY_ERR_BAD_REQUEST', e.error);
    }
    if (e.component !== 'predictor' || !e.revision) {
      // Only a predictor revision's answers are judged; an event whose source names no revision cannot be attributed.
      events.inc({ type: e.kind, outcome: e.revision ? 'other-component' : 'unattributed' });
    } else if (e.kind === 'request') {
      const unit = unitOf(req.headers, opts.unitHeader);
      pending.set(pendingKey(e), { body: e.body, atMs: now(), ...(unit ? { unit } : {}) });
      events.inc({ type: 'request', outcome: 'accepted' });
    } else {
      const key = pendingKey(e);
      const request = pending.get(key);
      pending.delete(key);
      record(e, request);
      events.inc({ type: 'response', outcome: request ? 'joined' : 'alone' });
    }
    res.writeHead(202).end();
  }

  function outputs(q: URLSearchParams): SinkOutputs {
    const ring = rings.get(seriesKey(text(q, 'namespace'), text(q, 'service'), text(q, 'revision')));
    const acc = new WindowAccumulator();
    // [fromMs, toMs): the ring reads every bucket overlapping [from, to - 1].
    if (ring) ring.collect(number(q, 'fromMs'), number(q, 'toMs') - 1, acc);
    const w = acc.result({ fromMs: 0, toMs: 0, truncated: false });
    return { outputs: w.outputs, invalidOutputs: w.invalidOutputs, labels: w.labels, scores: sketchAtoms(w.scores) };
  }

  function outcomes(q: URLSearchParams) {
    const per = q.get('per') === 'unit' ? 'unit' : 'request';
    return readOutcomes(predictions.db, {
      namespace: text(q, 'namespace'), service: text(q, 'service'), baselineRevision: text(q, 'baselineRevision'), candidateRevision: text(q, 'candidateRevision'),
      metric: text(q, 'metric'), per, fromMs: number(q, 'fromMs'), toMs: number(q, 'toMs'), attributionMs: number(q, 'attributionMs'),
      ...(q.get('denominator') ? { denominator: q.get('denominator')! } : {}), ...(q.get('stratum') ? { stratum: q.get('stratum')! } : {}),
      ...(q.get('fromCandidateStart') === 'true' ? { fromCandidateStart: true } : {}),
    });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const handle = async () => {
      if (req.method === 'GET' && url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const body = (await registry.metrics()) + (await feedback.stats.metricsText());
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
        return;
      }
      if (req.method === 'GET' && url.pathname === `${SINK_API}/outputs`) return sendJson(res, 200, outputs(url.searchParams));
      if (req.method === 'GET' && url.pathname === `${SINK_API}/outcomes`) return sendJson(res, 200, outcomes(url.searchParams));
      if (url.pathname.replace(/\/+$/, '') === FEEDBACK_PATH) return serveFeedback(req, res, feedback);
      if (req.method === 'POST' && !url.pathname.startsWith('/switchyard/')) return receive(req, res);
      throw syError('SY_ERR_NOT_FOUND', `no such endpoint: ${req.method} ${url.pathname}`);
    };
    handle().catch((err) => sendError(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.listen, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.listen.includes(':') ? `[${opts.listen}]` : opts.listen}:${port}`;
  opts.log?.(`logger sink listening on ${url}`);
  return {
    url, server, predictions,
    async stop() {
      clearInterval(sweep);
      await new Promise((r) => server.close(r));
      await predictions.close();
      unlock();
    },
  };
}
