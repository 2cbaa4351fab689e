// `switchyard version`: the client's version and the server's /version.
import type { Command } from 'commander';
import { VERSION } from '../../core/version.ts';
import { run, type CliContext } from '../context.ts';
import { formatData, parseDataFormat } from '../output.ts';

export function clientVersion(): string {
  return `v${VERSION}`;
}

async function version(ctx: CliContext, opts: { client?: boolean; output?: string }): Promise<void> {
  const format = parseDataFormat(opts.output);
  const client = { gitVersion: clientVersion(), platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
  if (opts.client) {
    ctx.out(format === 'text' ? `Client Version: ${client.gitVersion}` : formatData({ clientVersion: client }, format));
    return;
  }
  if (format === 'text') ctx.out(`Client Version: ${client.gitVersion}`);
  const server = await ctx.client().get<{ gitVersion?: string }>('/version');
  if (format === 'text') ctx.out(`Server Version: ${server?.gitVersion ?? 'unknown'}`);
  else ctx.out(formatData({ clientVersion: client, serverVersion: server }, format));
}

export function registerVersion(program: Command): void {
  program.command('version')
    .description('Print the client and server versions')
    .option('--client', 'only the client version (no server needed)')
    .option('-o, --output <format>', 'json | yaml')
    .addHelpText('after', '\nExamples:\n  switchyard version\n  switchyard version --client -o json')
    .action(run(async (ctx, opts: { client?: boolean; output?: string }) => version(ctx, opts)));
}
