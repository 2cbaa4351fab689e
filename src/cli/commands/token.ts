// `switchyard token create`: mint a bearer token (admin only).
import type { Command } from 'commander';
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { run, type CliContext } from '../context.ts';

const ROLES = ['viewer', 'operator', 'admin'] as const;
const TokenSchema = z.looseObject({ name: z.string().optional(), role: z.string(), token: z.string() });

async function create(ctx: CliContext, opts: { role?: string; name?: string }): Promise<void> {
  if (!opts.role || !(ROLES as readonly string[]).includes(opts.role)) {
    throw syError('SY_ERR_CONFIG', `--role must be one of ${ROLES.join(', ')} (got "${opts.role ?? ''}")`);
  }
  const body = { role: opts.role, ...(opts.name ? { name: opts.name } : {}) };
  const created = TokenSchema.parse(await ctx.client().request('POST', '/switchyard/v1/tokens', { body }));
  ctx.out(created.token);
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('Manage API bearer tokens');
  token.command('create')
    .description('Create a token with a role (viewer: read; operator: promote, rollback, pause, kill; admin: all) and print it')
    .option('--role <role>', 'viewer | operator | admin')
    .option('--name <name>', 'a name to recognise the token by in the audit log')
    .addHelpText(
      'after',
      `
Examples:
  switchyard token create --role viewer --name dashboard
  TOKEN=$(switchyard token create --role operator) && kubectl --token "$TOKEN" --server http://127.0.0.1:8081 get isvc`,
    )
    .action(run(async (ctx, opts: { role?: string; name?: string }) => create(ctx, opts)));
}
