// Where the CLI finds its API server and credentials: a kubeconfig file in
// kubectl's format, so the same file works for `kubectl --kubeconfig`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { syError } from '../core/errors.ts';

export const DEFAULT_KUBECONFIG = '.switchyard/kubeconfig';

export interface KubeconfigSource {
  path: string;
  /** Which rule picked the path, for error messages. */
  from: '--kubeconfig' | '$KUBECONFIG' | 'default';
}

export interface ConnectionSettings {
  server: string;
  token?: string;
  namespace?: string;
  /** PEM of the CA that signs the server's certificate (https servers). */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
}

/** --kubeconfig wins, then the first entry of $KUBECONFIG, then .switchyard/kubeconfig in cwd. */
export function resolveKubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): KubeconfigSource {
  if (flag) return { path: resolve(cwd, flag), from: '--kubeconfig' };
  const first = (env.KUBECONFIG ?? '').split(':').find((p) => p.trim() !== '');
  if (first) return { path: resolve(cwd, first), from: '$KUBECONFIG' };
  return { path: resolve(cwd, DEFAULT_KUBECONFIG), from: 'default' };
}

const name = z.string().min(1);

const KubeconfigSchema = z.looseObject({
  clusters: z.array(
    z.looseObject({
      name,
      cluster: z.looseObject({
        server: z.url(),
        'certificate-authority-data': z.base64().optional(),
        'certificate-authority': z.string().optional(),
        'insecure-skip-tls-verify': z.boolean().optional(),
      }),
    }),
  ),
  users: z.array(z.looseObject({ name, user: z.looseObject({ token: z.string().optional() }) })).default([]),
  contexts: z.array(
    z.looseObject({
      name,
      context: z.looseObject({ cluster: z.string().min(1), user: z.string().optional(), namespace: z.string().optional() }),
    }),
  ),
  'current-context': z.string().min(1),
});

export type Kubeconfig = z.infer<typeof KubeconfigSchema>;

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Parses and validates kubeconfig text; `file` only names the source in errors. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw syError('SY_ERR_CONFIG', `kubeconfig ${file} is not valid YAML: ${(err as Error).message}`);
  }
  const result = KubeconfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const causes = result.error.issues.map((issue) => {
      const field = fieldPath(issue.path);
      const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
      return { field, message: missing ? `missing field ${field}` : `${field}: ${issue.message}` };
    });
    const first = causes[0]!;
    throw syError('SY_ERR_CONFIG', `kubeconfig ${file}: ${first.message}`, { causes });
  }
  return result.data;
}

/** The server, token and namespace of the named context (--context), else of current-context. */
export function currentConnection(config: Kubeconfig, file: string, contextName?: string): ConnectionSettings {
  const ctxName = contextName ?? config['current-context'];
  const ctx = config.contexts.find((c) => c.name === ctxName);
  if (!ctx) {
    const known = config.contexts.map((c) => c.name).join(', ');
    throw syError('SY_ERR_CONFIG', contextName === undefined
      ? `kubeconfig ${file}: current-context "${ctxName}" is not in contexts`
      : `context "${contextName}" does not exist in kubeconfig ${file} (contexts: ${known})`);
  }
  const cluster = config.clusters.find((c) => c.name === ctx.context.cluster);
  if (!cluster) throw syError('SY_ERR_CONFIG', `kubeconfig ${file}: context "${ctxName}" names cluster "${ctx.context.cluster}", which is not in clusters`);
  const userName = ctx.context.user;
  const user = userName === undefined ? undefined : config.users.find((u) => u.name === userName);
  if (userName !== undefined && !user) throw syError('SY_ERR_CONFIG', `kubeconfig ${file}: context "${ctxName}" names user "${userName}", which is not in users`);
  const c = cluster.cluster;
  return {
    server: c.server.replace(/\/+$/, ''),
    ...(user?.user.token ? { token: user.user.token } : {}),
    ...(ctx.context.namespace ? { namespace: ctx.context.namespace } : {}),
    ...caOf(c, file),
    ...(c['insecure-skip-tls-verify'] ? { insecureSkipTlsVerify: true } : {}),
  };
}

function caOf(cluster: { 'certificate-authority-data'?: string; 'certificate-authority'?: string }, file: string): { ca?: string } {
  if (cluster['certificate-authority-data']) return { ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') };
  const path = cluster['certificate-authority'];
  if (!path) return {};
  // kubectl resolves a relative CA path against the kubeconfig's directory.
  const full = resolve(dirname(file), path);
  try {
    return { ca: readFileSync(full, 'utf8') };
  } catch {
    throw syError('SY_ERR_CONFIG', `kubeconfig ${file}: certificate-authority file ${full} cannot be read`);
  }
}

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Flags override the kubeconfig; with --server the kubeconfig is optional. */
export function loadConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConnectionSettings {
  const source = resolveKubeconfigPath(flags.kubeconfig, env, cwd);
  let fromFile: ConnectionSettings | undefined;
  if (existsSync(source.path)) {
    fromFile = currentConnection(parseKubeconfig(readFileSync(source.path, 'utf8'), source.path), source.path, flags.context);
  } else if (!flags.server || flags.context) {
    const hint = source.from === 'default' ? 'start the server with `switchyard up`, or pass --kubeconfig or --server' : 'check the path';
    throw syError('SY_ERR_CONFIG', `kubeconfig not found: ${source.path} (from ${source.from}); ${hint}`);
  }
  const server = (flags.server ?? fromFile!.server).replace(/\/+$/, '');
  const token = flags.token ?? fromFile?.token;
  return {
    server,
    ...(token ? { token } : {}),
    ...(fromFile?.namespace ? { namespace: fromFile.namespace } : {}),
    ...(fromFile?.ca ? { ca: fromFile.ca } : {}),
    ...(flags.insecureSkipTlsVerify || fromFile?.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  };
}
