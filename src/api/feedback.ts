// A feedback event: what an application says happened after a prediction (a
// click, a purchase, a refund, a fraud label), posted to
// POST /switchyard/v1/feedback alone or in a batch. This module only decides
// whether a batch is well formed and what each event means; joining it to the
// prediction it follows and storing it is the store's (src/store/feedback.ts).
// A batch is all or nothing: one bad event refuses the whole batch, naming
// events[i] and the field, so a client never has to work out what was kept.
import { z } from 'zod';
import { sha256Hex } from '../core/canonical.ts';
import { syError } from '../core/errors.ts';
import { dns1123LabelErrors } from './meta.ts';
import { formatCauses, zodIssuesToCauses } from './validate.ts';

/** Events in one request; more is 413 (send several batches). */
export const MAX_FEEDBACK_EVENTS = 1000;
/** Bytes of one request body; more is 413. A full batch of ordinary events is ≈ 200 KB. */
export const MAX_FEEDBACK_BODY_BYTES = 1024 * 1024;
export const FEEDBACK_PATH = '/switchyard/v1/feedback';

/** Prometheus label-name rules: a letter or underscore, then letters, digits and underscores. */
export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Causes listed in one refusal; the message says how many more there were. */
const MAX_CAUSES = 20;

const text = (max: number) => z.string().min(1).max(max);

/** The wire form, as an application posts it. Unknown fields are refused (a `request_id` typo must not pass as a unit-less event). */
export const FeedbackEventInput = z.strictObject({
  requestId: text(256).optional(),
  unit: text(1024).optional(),
  namespace: text(63).refine((v) => dns1123LabelErrors(v).length === 0, 'must be a namespace name (an RFC 1123 label)').optional(),
  metric: text(128).regex(METRIC_NAME, 'must start with a letter or underscore and hold only letters, digits and underscores (Prometheus label-name rules)'),
  // JSON has no NaN or Infinity, and zod 4 refuses them: a value is always finite.
  value: z.number(),
  time: z.union([
    z.number().int().min(0).max(8.64e15),
    z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time (2024-05-01T12:00:00Z) or epoch milliseconds' }),
  ]).optional(),
  id: text(256).optional(),
}).superRefine((e, ctx) => {
  if ((e.requestId === undefined) === (e.unit === undefined)) {
    ctx.addIssue({ code: 'custom', path: [e.requestId === undefined ? 'requestId' : 'unit'], message: 'exactly one of requestId and unit must be given', params: { reason: 'FieldValueRequired' } });
  }
  if (e.unit !== undefined && e.namespace === undefined) {
    ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'a unit event needs the namespace its unit belongs to', params: { reason: 'FieldValueRequired' } });
  }
});
export type FeedbackEventInput = z.input<typeof FeedbackEventInput>;

/** An event as the store takes it: its id settled and its time in epoch ms (absent: the time it is received). */
export interface FeedbackEvent {
  id: string;
  requestId?: string;
  unit?: string;
  namespace?: string;
  metric: string;
  value: number;
  eventMs?: number;
}

/**
 * The id an event without one gets: a digest of what it says (request id or unit, namespace,
 * metric, value and time in epoch ms), so a retry of the same event is recognised. Two events
 * that say exactly the same thing (and carry no time) are therefore one event.
 */
export function contentId(e: Omit<FeedbackEvent, 'id'>): string {
  return `sha256:${sha256Hex({ requestId: e.requestId, unit: e.unit, namespace: e.namespace, metric: e.metric, value: e.value, time: e.eventMs })}`;
}

function normalize(e: z.output<typeof FeedbackEventInput>): FeedbackEvent {
  const event: Omit<FeedbackEvent, 'id'> = {
    metric: e.metric, value: e.value,
    ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
    ...(e.unit !== undefined ? { unit: e.unit } : {}),
    ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
    ...(e.time !== undefined ? { eventMs: typeof e.time === 'number' ? e.time : Date.parse(e.time) } : {}),
  };
  return { id: e.id ?? contentId(event), ...event };
}

/**
 * A request body (one event or an array of them) as events, or a refusal: SY_ERR_INVALID_FEEDBACK
 * naming `events[i].field` of every bad event (the whole batch is refused), SY_ERR_TOO_MANY_EVENTS
 * over the batch limit.
 */
export function parseFeedbackBatch(body: unknown, maxEvents = MAX_FEEDBACK_EVENTS): FeedbackEvent[] {
  const items = Array.isArray(body) ? body : [body];
  if (typeof body !== 'object' || body === null) {
    throw syError('SY_ERR_INVALID_FEEDBACK', 'the body must be a feedback event (a JSON object) or a JSON array of them');
  }
  if (items.length === 0) throw syError('SY_ERR_INVALID_FEEDBACK', 'the batch holds no events');
  if (items.length > maxEvents) {
    throw syError('SY_ERR_TOO_MANY_EVENTS', `a batch holds at most ${maxEvents} events, this one ${items.length}: send it in several batches`);
  }
  const events: FeedbackEvent[] = [];
  const causes: ReturnType<typeof zodIssuesToCauses> = [];
  items.forEach((item, i) => {
    const parsed = FeedbackEventInput.safeParse(item);
    if (parsed.success) return void events.push(normalize(parsed.data));
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return void causes.push({ field: `events[${i}]`, reason: 'FieldValueInvalid', message: 'Invalid value: an event must be a JSON object' });
    }
    for (const c of zodIssuesToCauses(parsed.error.issues, item)) {
      causes.push({ ...c, field: `events[${i}]${c.field === '' ? '' : `.${c.field}`}`, message: c.message.replace(/unknown field "/, `unknown field "events[${i}].`) });
    }
  });
  if (causes.length > 0) {
    const shown = causes.slice(0, MAX_CAUSES);
    const more = causes.length - shown.length;
    throw syError('SY_ERR_INVALID_FEEDBACK', `feedback refused, nothing of the batch was stored: ${formatCauses(shown)}${more > 0 ? ` (and ${more} more)` : ''}`, { causes: shown });
  }
  return events;
}

/** What happened to one event: stored and joined to its prediction, already stored (same namespace and id), or stored without a prediction to join. */
export type FeedbackStatus = 'accepted' | 'duplicate' | 'unmatched';

/** The answer to a batch: counts, and each event's status in the order posted. */
export interface FeedbackResult {
  accepted: number;
  duplicates: number;
  unmatched: number;
  events: Array<{ id: string; status: FeedbackStatus }>;
}
