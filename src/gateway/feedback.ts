// POST /switchyard/v1/feedback: applications say what happened after a
// prediction. The gateway serves it beside inference (the path is never
// routed to a model) and the API server serves the same handler, so the CLI
// can post with its kubeconfig. The handler checks the bearer token through a
// function the server passes in (the gateway knows no token store), reads a
// bounded body, refuses a bad batch whole (400 naming events[i].field) and
// answers each event's status. Failures are metav1.Status objects on both
// listeners; every refusal is counted for /metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { FEEDBACK_PATH, MAX_FEEDBACK_BODY_BYTES, parseFeedbackBatch, type FeedbackEvent, type FeedbackResult, type FeedbackStatus } from '../api/feedback.ts';
import { isSwitchyardError, statusOf, syError, type ErrorCode, type SwitchyardError } from '../core/errors.ts';
import { lingerBeforeClose } from '../core/http-limits.ts';
import { parseJson } from '../core/parse.ts';
import { bufferBody } from './capture.ts';

export interface FeedbackEndpoint {
  /** Checks the Authorization header: throws SY_ERR_UNAUTHORIZED (no or unknown token) or SY_ERR_FORBIDDEN (a role that may not post feedback). */
  authorize: (authorization: string | undefined) => void;
  /** Joins and stores a well-formed batch, all or nothing. */
  record: (events: FeedbackEvent[]) => Promise<FeedbackResult>;
  /** Counters shared by every listener that serves the endpoint. */
  stats: FeedbackStats;
  /** Which listener this is, for the counters' `listener` label. */
  listener: 'gateway' | 'apiserver' | 'sink';
  /** Default MAX_FEEDBACK_BODY_BYTES (1 MiB). */
  maxBodyBytes?: number;
}

/** Why a request was refused, as /metrics labels it. */
const REASONS: Partial<Record<ErrorCode, string>> = {
  SY_ERR_UNAUTHORIZED: 'unauthorized', SY_ERR_FORBIDDEN: 'forbidden', SY_ERR_INVALID_FEEDBACK: 'invalid', SY_ERR_MALFORMED_BODY: 'invalid',
  SY_ERR_BODY_TOO_LARGE: 'too_large', SY_ERR_TOO_MANY_EVENTS: 'too_large', SY_ERR_METHOD_NOT_ALLOWED: 'method', SY_ERR_UNSUPPORTED_MEDIA_TYPE: 'invalid',
  SY_ERR_UNAVAILABLE: 'unavailable',
};

/** Counts of the feedback endpoint: events by status, refused requests by reason. */
export class FeedbackStats {
  readonly registry = new Registry();
  private readonly events = new Counter({ name: 'switchyard_feedback_events_total', help: 'Feedback events stored, by status: accepted (joined to a prediction), duplicate (an id already stored), unmatched (no prediction to join).', labelNames: ['listener', 'status'], registers: [this.registry] });
  private readonly refused = new Counter({ name: 'switchyard_feedback_refused_total', help: 'Feedback requests refused, by reason: unauthorized, forbidden, invalid, too_large, method, unavailable, error (nothing of them was stored).', labelNames: ['listener', 'reason'], registers: [this.registry] });

  counted(listener: string, result: FeedbackResult): void {
    const by: Record<FeedbackStatus, number> = { accepted: result.accepted, duplicate: result.duplicates, unmatched: result.unmatched };
    for (const [status, n] of Object.entries(by)) if (n > 0) this.events.inc({ listener, status }, n);
  }

  refusedFor(listener: string, err: SwitchyardError): void {
    this.refused.inc({ listener, reason: REASONS[err.code] ?? 'error' });
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readEvents(req: IncomingMessage, limit: number): Promise<FeedbackEvent[]> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw syError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `feedback is JSON: send Content-Type: application/json, not "${type}"`);
  }
  const tooLarge = () => syError('SY_ERR_BODY_TOO_LARGE', `a feedback body holds at most ${limit} bytes: send the events in several batches`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const body = await bufferBody(req, limit);
  if (!Buffer.isBuffer(body)) throw tooLarge();
  const text = body.toString('utf8');
  if (text.trim() === '') throw syError('SY_ERR_INVALID_FEEDBACK', 'the request body is empty: send a feedback event or a JSON array of them');
  return parseFeedbackBatch(parseJson(text));
}

/** Serves one feedback request: 200 with each event's status, or a Status naming why nothing was stored. */
export async function serveFeedback(req: IncomingMessage, res: ServerResponse, ep: FeedbackEndpoint): Promise<void> {
  try {
    if (req.method !== 'POST') throw syError('SY_ERR_METHOD_NOT_ALLOWED', `${req.method} is not supported on the feedback endpoint: POST events to it`);
    ep.authorize(req.headers.authorization);
    const result = await ep.record(await readEvents(req, ep.maxBodyBytes ?? MAX_FEEDBACK_BODY_BYTES));
    ep.stats.counted(ep.listener, result);
    answer(res, 200, result);
  } catch (err) {
    const e = isSwitchyardError(err) ? err : syError('SY_ERR_INTERNAL', (err as Error)?.message ?? String(err));
    ep.stats.refusedFor(ep.listener, e);
    if (res.headersSent) return void res.destroy();
    // A body left unread (too large) makes the connection unusable: answered with Connection: close, without a reset.
    if (e.code === 'SY_ERR_BODY_TOO_LARGE') lingerBeforeClose(res);
    const headers: Record<string, string> = e.code === 'SY_ERR_METHOD_NOT_ALLOWED' ? { allow: 'POST' } : {};
    answer(res, e.status, statusOf(e), headers);
  }
}

/**
 * The gateway's /switchyard/ paths, served before any routing so none reaches a model: the
 * feedback endpoint when the server provides one, 404 for anything else.
 */
export function serveSwitchyardPath(req: IncomingMessage, res: ServerResponse, ep: FeedbackEndpoint | undefined): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (path === FEEDBACK_PATH && ep) return serveFeedback(req, res, ep);
  answer(res, 404, statusOf(syError('SY_ERR_NOT_FOUND', `no such endpoint on the gateway: ${req.method} ${path} (the gateway serves ${FEEDBACK_PATH}; /switchyard/ paths are never routed to a model)`)));
  return Promise.resolve();
}
