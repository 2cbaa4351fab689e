// `switchyard predictions`: rows of the prediction log, and primary/shadow
// pairs joined on the request id, read over the API.
import type { Command } from 'commander';
import { z } from 'zod';
import { parseGoDuration } from '../../core/duration.ts';
import { syError } from '../../core/errors.ts';
import { answerText, clip, compactNumbers } from '../../analysis/answer-text.ts';
import { readOutputs } from '../../analysis/pairs.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat } from '../output.ts';
import { alignColumns } from '../table.ts';

const Row = z.looseObject({
  requestId: z.string(), time: z.number(), service: z.string(), variant: z.string().nullable(), revision: z.string().nullable(),
  role: z.string(), status: z.number(), latencyMs: z.number(), output: z.unknown(),
});
// `compared`: the server's comparison of the two answers, the one a shadow phase judges.
const Pair = z.object({ primary: Row, mirror: Row.nullable().optional(), compared: z.enum(['agree', 'disagree', 'incomparable', 'invalid']) });
const Policy = z.looseObject({
  policy: z.string().nullable(),
  inputs: z.looseObject({ sampleRate: z.number(), keep: z.array(z.string()).optional(), drop: z.array(z.string()), hash: z.array(z.string()) }).nullable(),
  retention: z.string(),
});
const Rows = z.looseObject({ items: z.array(z.union([Pair, Row])), policy: Policy.optional(), policies: z.array(Policy.extend({ services: z.array(z.string()) })).optional() });
type Item = z.infer<typeof Row> | z.infer<typeof Pair>;
const isPair = (item: Item): item is z.infer<typeof Pair> => 'primary' in item && typeof item.primary === 'object';
const disagrees = (item: Item): boolean => isPair(item) && item.compared !== 'agree';

/** A Go duration as kubectl's --since takes it ("90s", "1h30m"), or days ("7d": rows are kept for 168h by default) → milliseconds. */
export function parseSince(text: string): number {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(text.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : parseGoDuration(text);
  if (ms === undefined || !(ms > 0)) throw syError('SY_ERR_CONFIG', `--since must be a duration like 30s, 5m, 1h30m or 1d, got "${text}"`);
  return ms;
}

const short = (v: unknown): string => clip(v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v), 60);

/** What a model answered, without its envelope (answer-text.ts). */
export const outputText = (output: unknown): string => answerText(output, 60);
/** One line saying what the log keeps here: the PredictionLogPolicy that applies, or the default. */
export function policyLine(p: z.infer<typeof Policy>): string {
  const i = p.inputs;
  const paths = i ? [i.keep ? `keep ${i.keep.join(', ')}` : '', i.drop.length ? `drop ${i.drop.join(', ')}` : '', i.hash.length ? `hash ${i.hash.join(', ')}` : ''].filter(Boolean) : [];
  const inputs = i ? `inputs of ${Math.round(i.sampleRate * 1000) / 10}% of requests${paths.length ? ` (${paths.join('; ')})` : ''}` : 'inputs not stored';
  return `Policy: ${p.policy ?? 'default (no PredictionLogPolicy)'}: ${inputs}; rows kept ${p.retention}`;
}

/** One line per policy in force for the rows shown, naming its services when they differ. */
export function policyLines(body: { policy?: z.infer<typeof Policy> | undefined; policies?: Array<z.infer<typeof Policy> & { services: string[] }> | undefined }): string[] {
  if (body.policies && body.policies.length > 1) return body.policies.map((p) => policyLine(p).replace(/^Policy: /, `Policy for ${p.services.join(', ')}: `));
  return body.policy ? [policyLine(body.policy)] : [];
}

const cells = (r: z.infer<typeof Row>) => [new Date(r.time).toISOString(), r.requestId, r.service, r.revision ?? '', r.variant ?? '', r.role, String(r.status), r.latencyMs.toFixed(1), outputText(r.output)];

/** A shadow answer as it was compared: each output's labels (the argmax of probability rows), else its numbers. */
export function comparedText(output: unknown): string {
  const read = readOutputs(output);
  if (typeof read === 'string') return outputText(output);
  return short([...read].map(([name, o]) => (o.labels ? `${name} labels [${o.labels.join(', ')}]` : `${name}=${JSON.stringify(compactNumbers(o.scores ?? []))}`)).join(' '));
}

/** Shadow pairs whose answers differ: both outputs and both revisions side by side, with the input where the policy keeps it. */
function disagreements(ctx: CliContext, items: Item[], limit: number): void {
  const all = items.filter(isPair).filter(disagrees);
  if (all.length === 0) {
    ctx.err(`No disagreeing pairs among ${items.length} in namespace ${ctx.namespace()}`);
    return;
  }
  const pairs = all.slice(0, limit);
  const header = ['TIME', 'REQUEST ID', 'BASELINE', 'BASELINE OUTPUT', 'CANDIDATE', 'CANDIDATE OUTPUT', 'INPUT'];
  const rows = pairs.map((p) => [
    new Date(p.primary.time).toISOString(), p.primary.requestId, p.primary.revision ?? '', comparedText(p.primary.output), p.mirror!.revision ?? '',
    p.mirror!.status >= 500 || p.mirror!.status === 0 ? `(failed: ${p.mirror!.status})` : comparedText(p.mirror!.output), short((p.primary as { input?: unknown }).input ?? '(not kept)'),
  ]);
  ctx.out(alignColumns([header, ...rows]).join('\n'));
  ctx.err(`${all.length} of ${items.length} pairs disagree${pairs.length < all.length ? ` (the latest ${pairs.length} shown: --limit)` : ''}`);
}

interface ListOptions {
  service?: string;
  since: string;
  paired?: boolean;
  disagreements?: boolean;
  limit?: string;
  output?: string;
}

/** Pairs read to find disagreements among (the latest ones in --since). */
const DISAGREEMENT_SCAN = 10_000;

function shownLimit(text: string | undefined): number {
  if (text === undefined) return 100;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw syError('SY_ERR_CONFIG', `--limit must be a whole number of rows, at least 1, got "${text}"`);
  return n;
}

async function list(ctx: CliContext, opts: ListOptions): Promise<void> {
  const format = parseDataFormat(opts.output);
  shownLimit(opts.limit); // a bad --limit is refused before anything is read
  const sinceMs = Date.now() - parseSince(opts.since);
  const paired = opts.paired || opts.disagreements;
  const answer = await ctx.client().get(`/switchyard/v1/namespaces/${encodeURIComponent(ctx.namespace())}/predictions`, {
    // Disagreements are found among the pairs read: read many, and let --limit cap what is shown.
    query: { service: opts.service, sinceMs: String(Math.floor(sinceMs)), paired: paired ? 'true' : undefined, limit: opts.disagreements ? String(DISAGREEMENT_SCAN) : opts.limit },
  });
  const body = Rows.parse(answer);
  if (format !== 'text') {
    ctx.out(formatData(opts.disagreements ? { ...(answer as object), items: body.items.filter(disagrees).slice(0, shownLimit(opts.limit)) } : answer, format));
    return;
  }
  for (const line of policyLines(body)) ctx.out(line);
  if (body.items.length === 0) {
    ctx.err(`No predictions in namespace ${ctx.namespace()} since ${opts.since} ago`);
    return;
  }
  if (opts.disagreements) return disagreements(ctx, body.items, shownLimit(opts.limit));
  const header = ['TIME', 'REQUEST ID', 'SERVICE', 'REVISION', 'VARIANT', 'ROLE', 'STATUS', 'LATENCY MS', 'OUTPUT'];
  const rows = body.items.flatMap((item: Item) => (isPair(item) ? [cells(item.primary), ...(item.mirror ? [cells(item.mirror)] : [])] : [cells(item)]));
  ctx.out(alignColumns([header, ...rows]).join('\n'));
}

export function registerPredictions(program: Command): void {
  program.command('predictions')
    .description('Show the prediction log: request id, revision, variant, role, status, latency and output per request, under a line saying what is kept (inputs only where a PredictionLogPolicy asks)')
    .option('--service <name>', 'only this InferenceService')
    .option('--since <duration>', 'how far back (30s, 5m, 1h30m, 1d)', '5m')
    .option('--paired', 'join primary and shadow (mirror) rows on the request id')
    .option('--disagreements', 'only shadow pairs whose answers differ (implies --paired): both outputs and revisions, the input where the policy keeps it')
    .option('--limit <n>', 'at most this many rows (default 100); with --disagreements, disagreeing pairs shown, found among the latest 10000 pairs')
    .option('-o, --output <format>', 'json | yaml: the rows as the API answers them ({items: [...]})')
    .addHelpText('after', '\nExamples:\n  switchyard predictions -n quickstart --service iris --since 5m\n  switchyard predictions -n quickstart --service iris --paired\n  switchyard predictions -n quickstart --service iris --paired --disagreements --since 1h\n  switchyard predictions -n quickstart -o json | jq \'.items[].output\'')
    .action(run(async (ctx, opts: ListOptions) => list(ctx, opts)));
}
