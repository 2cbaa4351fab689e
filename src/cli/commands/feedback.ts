// `switchyard feedback post|import`: tell Switchyard what happened after a
// prediction, through the API server's /switchyard/v1/feedback (a feedback or
// admin token). Events are checked here first with the server's own schema,
// so a bad line of a file is named before anything is sent.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { FEEDBACK_PATH, MAX_FEEDBACK_EVENTS, parseFeedbackBatch, type FeedbackEventInput, type FeedbackResult } from '../../api/feedback.ts';
import { isSwitchyardError, syError } from '../../core/errors.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat, type DataFormat } from '../output.ts';

const Answer = z.object({
  accepted: z.number(), duplicates: z.number(), unmatched: z.number(),
  events: z.array(z.object({ id: z.string(), status: z.enum(['accepted', 'duplicate', 'unmatched']) })),
});

interface PostOptions {
  requestId?: string;
  unit?: string;
  metric?: string;
  value?: string;
  time?: string;
  id?: string;
  output?: string;
}

/** -n names the namespace of a unit (else the context's, else default); a request id's only when given, since the id alone finds a keyed prediction anywhere. */
function namespaceFor(ctx: CliContext, e: { unit?: unknown; namespace?: unknown }): string | undefined {
  if (e.namespace !== undefined) return undefined;
  return e.unit !== undefined || ctx.namespaceExplicit ? ctx.namespace() : undefined;
}

/** "1714557600000" is epoch ms; anything else is sent as written (RFC 3339). */
const timeOf = (t: string): string | number => (/^\d+$/.test(t) ? Number(t) : t);

function eventOf(ctx: CliContext, o: PostOptions): FeedbackEventInput {
  if ((o.requestId === undefined) === (o.unit === undefined)) throw syError('SY_ERR_CONFIG', 'give exactly one of --request-id and --unit');
  if (o.metric === undefined) throw syError('SY_ERR_CONFIG', '--metric is required (e.g. click, purchase, revenue)');
  const value = Number(o.value);
  if (o.value === undefined || o.value.trim() === '' || !Number.isFinite(value)) throw syError('SY_ERR_CONFIG', `--value must be a finite number (1/0 for a conversion, an amount for revenue), got "${o.value ?? ''}"`);
  const e: FeedbackEventInput = {
    metric: o.metric, value,
    ...(o.requestId !== undefined ? { requestId: o.requestId } : { unit: o.unit! }),
    ...(o.time !== undefined ? { time: timeOf(o.time) } : {}),
    ...(o.id !== undefined ? { id: o.id } : {}),
  };
  const ns = namespaceFor(ctx, e);
  return ns === undefined ? e : { ...e, namespace: ns };
}

async function send(ctx: CliContext, events: unknown[]): Promise<FeedbackResult> {
  return Answer.parse(await ctx.client().request('POST', FEEDBACK_PATH, { body: events }));
}

function report(ctx: CliContext, r: FeedbackResult, format: DataFormat): void {
  if (format !== 'text') return ctx.out(formatData(r, format));
  ctx.out(`accepted ${r.accepted}, duplicates ${r.duplicates}, unmatched ${r.unmatched}`);
  const unmatched = r.events.filter((e) => e.status === 'unmatched').map((e) => e.id);
  if (unmatched.length > 0) ctx.err(`unmatched (no prediction found to join; stored and counted, see docs/feedback.md): ${unmatched.slice(0, 10).join(', ')}${unmatched.length > 10 ? ` and ${unmatched.length - 10} more` : ''}`);
}

async function post(ctx: CliContext, o: PostOptions): Promise<void> {
  const format = parseDataFormat(o.output);
  const event = eventOf(ctx, o);
  parseFeedbackBatch(event);
  report(ctx, await send(ctx, [event]), format);
}

/** The events of a JSON Lines file (blank lines skipped), checked whole: a bad line is named by its number and field. */
export function readJsonLines(text: string, withNamespace: (e: Record<string, unknown>) => string | undefined): unknown[] {
  const lines: number[] = [];
  const events: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw syError('SY_ERR_INVALID_FEEDBACK', `line ${i + 1} is not JSON (${(err as Error).message}); nothing was sent`);
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const ns = withNamespace(value as Record<string, unknown>);
      if (ns !== undefined) value = { ...value, namespace: ns };
    }
    lines.push(i + 1);
    events.push(value);
  });
  if (events.length === 0) throw syError('SY_ERR_INVALID_FEEDBACK', 'the file holds no events');
  try {
    parseFeedbackBatch(events, Infinity);
  } catch (err) {
    if (!isSwitchyardError(err)) throw err;
    // events[i] → the line it came from, so the message points into the file.
    const named = err.message.replace(/events\[(\d+)\]/g, (m, i: string) => `${m} (line ${lines[Number(i)]})`).replace('nothing of the batch was stored', 'nothing was sent');
    throw syError(err.code, named, { causes: err.causes });
  }
  return events;
}

async function importFile(ctx: CliContext, file: string, o: { output?: string }): Promise<void> {
  const format = parseDataFormat(o.output);
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw syError('SY_ERR_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  const events = readJsonLines(text, (e) => namespaceFor(ctx, e));
  const total: FeedbackResult = { accepted: 0, duplicates: 0, unmatched: 0, events: [] };
  for (let from = 0; from < events.length; from += MAX_FEEDBACK_EVENTS) {
    const r = await send(ctx, events.slice(from, from + MAX_FEEDBACK_EVENTS));
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
    total.unmatched += r.unmatched;
    total.events.push(...r.events);
  }
  report(ctx, total, format);
}

export function registerFeedback(program: Command): void {
  const feedback = program.command('feedback')
    .description('Tell Switchyard what happened after predictions (a click, a purchase, a refund, a fraud label): joined to the revision that answered (docs/feedback.md)');
  feedback.command('post')
    .description('Post one event, for a request id (the x-request-id the gateway answered) or for a unit (the plan\'s cohorts.unit key, e.g. a user id)')
    .option('--request-id <id>', 'the prediction\'s request id (x-request-id of its answer)')
    .option('--unit <key>', 'the unit the event belongs to (its first prediction in the namespace is joined); needs the namespace (-n, or the context\'s)')
    .option('--metric <name>', 'what happened: click, purchase, revenue... (letters, digits, underscores)')
    .option('--value <number>', '1 or 0 for a conversion, an amount for revenue')
    .option('--time <time>', 'when it happened: RFC 3339 or epoch milliseconds (default: when received)')
    .option('--id <id>', 'the event\'s idempotency key (default: a digest of its content, so a retry counts once)')
    .option('-o, --output <format>', 'json | yaml: the answer as the API gives it ({accepted, duplicates, unmatched, events})')
    .addHelpText('after', `
Needs a token with the feedback (or admin) role: switchyard token create --role feedback.
Prints "accepted N, duplicates N, unmatched N"; unmatched events (no prediction found) are stored and counted.

Examples:
  switchyard feedback post --request-id 0190a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b --metric click --value 1
  switchyard feedback post -n shop --unit user-42 --metric revenue --value 19.90 --id order-8812
  switchyard feedback post --request-id "$RID" --metric fraud_label --value 0 --time 2024-05-01T12:00:00Z -o json`)
    .action(run(async (ctx, o: PostOptions) => post(ctx, o)));
  feedback.command('import')
    .argument('<file>', 'a JSON Lines file, one event per line ({"requestId"|"unit", "metric", "value", "time"?, "id"?, "namespace"?}), or - for stdin')
    .description('Post the events of a JSON Lines file; every line is checked first, and a bad one is named (line and field) before anything is sent')
    .option('-o, --output <format>', 'json | yaml: the totals and each event\'s status')
    .addHelpText('after', `
Events without a namespace take -n's; unit events without one take the context's (then "default").
Files over ${MAX_FEEDBACK_EVENTS} events go in batches of ${MAX_FEEDBACK_EVENTS}; events are idempotent (by id, else by content),
so importing a file again counts nothing twice.

Examples:
  switchyard feedback import clicks.jsonl
  switchyard feedback import -n shop purchases.jsonl -o json
  kafka-console-consumer ... | switchyard feedback import -`)
    .action(run(async (ctx, file: string, o: { output?: string }) => importFile(ctx, file, o)));
}
