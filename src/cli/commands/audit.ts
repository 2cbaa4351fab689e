// `switchyard audit verify|log`: the hash-chained audit log, read over the API.
import type { Command } from 'commander';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat } from '../output.ts';
import { alignColumns } from '../table.ts';

const VerificationSchema = z.looseObject({ ok: z.boolean(), records: z.number(), problems: z.array(z.string()).default([]) });

const AuditListSchema = z.looseObject({
  items: z.array(
    z.looseObject({
      seq: z.number(),
      time: z.string(),
      actor: z.string(),
      verb: z.string(),
      resource: z.string(),
      evidence: z.unknown().optional(),
    }),
  ),
});

interface Evidence {
  from?: string;
  to?: string;
  reason?: string;
  step?: { percent?: number };
  overridden?: string[];
  /** A refused plan write (verb `forbidden`). */
  command?: string;
  change?: string;
  groups?: string[];
  owner?: { team?: string; canHalt?: string[] };
}

/** One line of what a record's evidence says: a plan transition's move and reason, an override's ids, a refusal's reason. */
export function evidenceSummary(evidence: unknown): string {
  if (evidence === undefined || evidence === null || typeof evidence !== 'object') return '';
  const e = evidence as Evidence;
  if (e.from && e.to) return `${e.from} → ${e.to} at ${e.step?.percent ?? 0}%: ${e.reason ?? ''}`;
  if (Array.isArray(e.overridden)) return `overridden: ${e.overridden.join(', ')}`;
  if (e.owner && (e.command || e.change)) {
    const groups = (e.groups ?? []).join(', ') || 'none';
    return `refused ${e.command ?? (e.change === 'delete' ? 'delete' : `change of ${e.change}`)}: groups [${groups}], owner team ${e.owner.team ?? ''}, canHalt [${(e.owner.canHalt ?? []).join(', ')}]`;
  }
  return '';
}

async function verify(ctx: CliContext, opts: { output?: string }): Promise<boolean> {
  const format = parseDataFormat(opts.output);
  const result = VerificationSchema.parse(await ctx.client().get('/switchyard/v1/audit/verify'));
  if (format !== 'text') {
    ctx.out(formatData(result, format));
    return result.ok;
  }
  if (result.ok) {
    ctx.out(`audit chain ok: ${result.records} records`);
    return true;
  }
  ctx.err(`audit chain BROKEN (${result.records} records checked) (SY_ERR_AUDIT_CHAIN_BROKEN)`);
  for (const problem of result.problems) ctx.err(`  ${problem}`);
  return false;
}

/** Record rows as printed by `audit log`. */
export function auditRows(items: z.infer<typeof AuditListSchema>['items']): string[] {
  return alignColumns([['SEQ', 'TIME', 'ACTOR', 'VERB', 'RESOURCE', 'DETAIL'], ...items.map((r) => [String(r.seq), r.time, r.actor, r.verb, r.resource, evidenceSummary(r.evidence)])]);
}

interface LogOptions { sinceSeq?: string; limit?: string; verb?: string; output?: string }

/**
 * Which records `audit log` asks for: one object's (TYPE/NAME, in -n's namespace) or one
 * namespace's when -n is given, else every one; the newest --limit of them unless --since-seq
 * pages forward from a sequence number.
 */
async function logQuery(ctx: CliContext, object: string | undefined, opts: LogOptions): Promise<Record<string, string | undefined>> {
  const query: Record<string, string | undefined> = { limit: opts.limit ?? '1000', verbPrefix: opts.verb };
  if (opts.sinceSeq !== undefined) query.sinceSeq = opts.sinceSeq;
  else query.newest = 'true';
  if (object !== undefined) {
    const slash = object.indexOf('/');
    if (slash <= 0 || slash === object.length - 1) throw syError('SY_ERR_CONFIG', `the object must be TYPE/NAME (e.g. trafficplan/iris-v2 or isvc/iris), got "${object}"`);
    const r = await ctx.client().resolve(object.slice(0, slash));
    query.resource = `${r.group}/${r.plural}/${r.namespaced ? ctx.namespace() : ''}/${object.slice(slash + 1)}`;
  } else if (ctx.namespaceExplicit) query.namespace = ctx.namespace();
  return query;
}

async function log(ctx: CliContext, object: string | undefined, opts: LogOptions): Promise<void> {
  const format = parseDataFormat(opts.output);
  const body = AuditListSchema.parse(await ctx.client().get('/switchyard/v1/audit', { query: await logQuery(ctx, object, opts) }));
  if (format !== 'text') {
    ctx.out(formatData(body.items, format));
    return;
  }
  if (body.items.length === 0) {
    ctx.err('No audit records found');
    return;
  }
  ctx.out(auditRows(body.items).join('\n'));
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('Inspect the append-only, hash-chained audit log')
    .addHelpText('after', '\nExamples:\n  switchyard audit verify\n  switchyard audit log --since-seq 100');
  audit.command('verify')
    .description('Check the audit hash chain; exit 1 and list each problem if a record was edited, deleted or truncated')
    .option('-o, --output <format>', 'json | yaml: {ok, records, problems}')
    .addHelpText('after', '\nExample:\n  switchyard audit verify   # audit chain ok: 42 records')
    .action(run(async (ctx, opts: { output?: string }) => verify(ctx, opts)));
  audit.command('log')
    .description('Print audit records (who did what to which object, and when), oldest first: the newest --limit of them, of one object (TYPE/NAME) or one namespace (-n) when given')
    .argument('[object]', 'only this object\'s records, as TYPE/NAME in the -n namespace (e.g. trafficplan/iris-v2, isvc/iris)')
    .option('--verb <prefix>', 'only records whose verb starts with this (plan/ for plan transitions and commands, update, forbidden)')
    .option('--since-seq <n>', 'the records after this sequence number, oldest first (pages forward instead of showing the newest)')
    .option('--limit <n>', 'at most this many records (default 1000)')
    .option('-o, --output <format>', 'json | yaml: every record with its full evidence (gate values, windows, thresholds, request counts)')
    .addHelpText('after', '\nExamples:\n  switchyard audit log\n  switchyard audit log trafficplan/iris-v2 -n quickstart --verb plan/\n  switchyard audit log -n quickstart --limit 50\n  switchyard audit log --since-seq 120 --limit 20\n  switchyard audit log -o json | jq \'.[] | select(.verb | startswith("plan/"))\'')
    .action(run(async (ctx, object: string | undefined, opts: LogOptions) => log(ctx, object, opts)));
}
