// `switchyard version`: the client's version and the server's /version.
import type { Command } from 'commander';
import { VERSION } from '../../core/version.ts';
import { run, withGlobalOptions, type CliContext } from '../context.ts';

export function clientVersion(): string {
  return `v${VERSION}`;
}

async function version(ctx: CliContext, opts: { client?: boolean; output?: string }): Promise<void> {
  const client = { gitVersion: clientVersion(), platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
  if (opts.client) {
    ctx.out(opts.output === 'json' ? JSON.stringify({ clientVersion: client }, null, 2) : `Client Version: ${client.gitVersion}`);
    return;
  }
  if (opts.output !== 'json') ctx.out(`Client Version: ${client.gitVersion}`);
  const server = await ctx.client().get<{ gitVersion?: string }>('/version');
  if (opts.output === 'json') ctx.out(JSON.stringify({ clientVersion: client, serverVersion: server }, null, 2));
  else ctx.out(`Server Version: ${server?.gitVersion ?? 'unknown'}`);
}

export function registerVersion(program: Command): void {
  withGlobalOptions(program.command('version'), { namespace: false })
    .description('Print the client and server versions')
    .option('--client', 'only the client version (no server needed)')
    .option('-o, --output <format>', 'json for machine-readable output')
    .addHelpText('after', '\nExamples:\n  switchyard version\n  switchyard version --client -o json')
    .action(run(async (ctx, opts: { client?: boolean; output?: string }) => version(ctx, opts)));
}
