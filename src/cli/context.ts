// What every client verb shares: the global flags, the connection they
// resolve to, output streams, and turning thrown errors into exit code 1.
// The connection flags are the program's own options, so (as with kubectl)
// they go before or after the verb: commander recognises a program option
// anywhere on the command line unless positional options are turned on.
import type { Command } from 'commander';
import { parseGoDuration } from '../core/duration.ts';
import { syError } from '../core/errors.ts';
import { ApiClient } from './client.ts';
import { loadConnection, type ConnectionSettings } from './kubeconfig.ts';
import { formatError } from './status.ts';

export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

export interface CliContext {
  client(): ApiClient;
  /** Where client() connects: server, token, CA (e.g. to write a kubeconfig for the same server). */
  connection(): ConnectionSettings;
  /** -n, else the context's namespace, else `default`. */
  namespace(): string;
  /** True when -n was given on the command line. */
  namespaceExplicit: boolean;
  /** A line (newline added if missing). */
  out(text: string): void;
  /** Exactly this text, e.g. jsonpath output, which kubectl prints without a newline. */
  write(text: string): void;
  err(text: string): void;
}

/** Adds kubectl's connection flags to the program: every verb reads them with optsWithGlobals(). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then .switchyard/kubeconfig)')
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)')
    .option('-s, --server <url>', 'API server URL, overriding the kubeconfig')
    .option('--token <token>', 'bearer token, overriding the kubeconfig')
    .option('--insecure-skip-tls-verify', "don't check the server's certificate (unsafe)")
    .option('-n, --namespace <ns>', 'namespace (default: the context namespace, then "default")')
    .configureHelp({ showGlobalOptions: true });
}

export function contextFor(cmd: Command): CliContext {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  let client: ApiClient | undefined;
  let conn: ConnectionSettings | undefined;
  const connection = () => (conn ??= loadConnection(flags));
  const connect = () => (client ??= new ApiClient(connection()));
  return {
    client: connect,
    connection,
    namespace: () => flags.namespace ?? connection().namespace ?? 'default',
    namespaceExplicit: Boolean(flags.namespace),
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
    write: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  };
}

/**
 * Wraps a verb's action: errors are printed kubectl-style and set exit code 1;
 * a verb that reports partial failure returns false.
 */
export function run<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<boolean | void>) {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = contextFor(cmd);
    try {
      const ok = await fn(ctx, ...args);
      if (ok === false) process.exitCode = 1;
    } catch (err) {
      ctx.err(formatError(err));
      process.exitCode = 1;
    }
  };
}

/** A --timeout or --wait value in milliseconds: a Go duration (30s, 2m, 1m30s, 500ms) or a bare number of seconds. */
export function parseDuration(text: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
  if (ms === undefined || ms < 0) throw syError('SY_ERR_CONFIG', `invalid duration "${text}" (use e.g. 30s, 2m, 1h)`);
  return ms;
}
