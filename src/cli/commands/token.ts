// `switchyard token create|list`: mint a bearer token with a role and groups,
// and list the tokens (admin only; the secret is shown once, at creation).
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import { kubeconfigDocument } from '../../api/kubeconfig.ts';
import { syError } from '../../core/errors.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat } from '../output.ts';
import { alignColumns } from '../table.ts';

const ROLES = ['viewer', 'operator', 'admin', 'feedback'] as const;
const Created = z.looseObject({ name: z.string(), role: z.string(), groups: z.array(z.string()).default([]), token: z.string() });
const Listed = z.looseObject({ items: z.array(z.looseObject({ name: z.string(), role: z.string(), groups: z.array(z.string()).default([]), created: z.string() })) });

interface CreateOptions {
  role?: string;
  name?: string;
  group: string[];
  output?: string;
}

/** --group is repeatable and takes comma-separated lists, as kubectl's list flags do. */
const collectGroups = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((g) => g.trim()).filter(Boolean)];

async function create(ctx: CliContext, opts: CreateOptions): Promise<void> {
  if (!opts.role || !(ROLES as readonly string[]).includes(opts.role)) {
    throw syError('SY_ERR_CONFIG', `--role must be one of ${ROLES.join(', ')} (got "${opts.role ?? ''}")`);
  }
  if (opts.output !== undefined && opts.output !== 'kubeconfig') {
    throw syError('SY_ERR_CONFIG', `unable to match a printer suitable for the output format "${opts.output}", allowed formats are: kubeconfig`);
  }
  const body = { role: opts.role, groups: opts.group, ...(opts.name ? { name: opts.name } : {}) };
  const created = Created.parse(await ctx.client().request('POST', '/switchyard/v1/tokens', { body }));
  if (opts.output !== 'kubeconfig') return ctx.out(created.token);
  const conn = ctx.connection();
  ctx.out(stringify(kubeconfigDocument({
    server: conn.server, ...(conn.ca ? { ca: conn.ca } : {}), ...(conn.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    user: created.name, token: created.token, role: created.role, groups: created.groups,
  })));
}

async function list(ctx: CliContext, opts: { output?: string }): Promise<void> {
  const format = parseDataFormat(opts.output);
  const answer = await ctx.client().get('/switchyard/v1/tokens');
  const { items } = Listed.parse(answer);
  if (format !== 'text') return ctx.out(formatData(answer, format));
  ctx.out(alignColumns([['NAME', 'ROLE', 'GROUPS', 'CREATED'], ...items.map((t) => [t.name, t.role, t.groups.join(',') || '<none>', t.created])]).join('\n'));
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('Manage API bearer tokens: their role and the groups (teams) they speak for');
  token.command('create')
    .description('Create a token with a role (viewer: read; operator: drive TrafficPlans; admin: all; feedback: only post feedback) and groups, and print it')
    .option('--role <role>', 'viewer | operator | admin | feedback')
    .option('--name <name>', 'a name to recognise the token by in the audit log')
    .option('--group <group>', "a group the token speaks for, as a TrafficPlan's spec.owner.team and canHalt name them (repeatable, or comma-separated)", collectGroups, [])
    .option('-o, --output <format>', 'kubeconfig: print a kubeconfig for the same server using the new token (its role and groups in the user\'s extensions)')
    .addHelpText(
      'after',
      `
An operator may drive a TrafficPlan whose spec.owner.team is one of its groups;
one in spec.owner.canHalt may pause, roll back, abort or kill it. Admins may always.
A feedback token is for applications: it may POST /switchyard/v1/feedback (gateway or
API server) and is refused everything else, reads included (docs/feedback.md).

Examples:
  switchyard token create --role viewer --name dashboard
  switchyard token create --role operator --name alice --group sre
  switchyard token create --role operator --name bob --group search,oncall -o kubeconfig > bob.kubeconfig
  switchyard token create --role feedback --name checkout-app
  TOKEN=$(switchyard token create --role operator --group sre) && kubectl --token "$TOKEN" get tp -A`,
    )
    .action(run(async (ctx, opts: CreateOptions) => create(ctx, opts)));
  token.command('list')
    .description('List the tokens: name, role, groups and when created (never the secret; admin only)')
    .option('-o, --output <format>', 'json | yaml')
    .addHelpText('after', '\nExamples:\n  switchyard token list\n  switchyard token list -o json | jq \'.items[] | select(.groups | index("sre"))\'')
    .action(run(async (ctx, opts: { output?: string }) => list(ctx, opts)));
}
