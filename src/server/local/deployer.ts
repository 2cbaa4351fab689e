// The Deployer port on this machine: a revision is a supervisor replica set
// whose init hook installs the runtime's Python environment when the command
// runs from one that is missing, then runs the storage initializer. The model
// is resolved per replica start into <run>/<namespace>/<revision>/model, a
// symlink the command's {{.ModelDir}} points at, and its digest is kept for
// the status.
import { mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../../core/canonical.ts';
import { revisionKey } from '../../core/revision-key.ts';
import type { Deployer, RevisionObservation, RevisionTemplate } from '../../controllers/isvc/index.ts';
import { resolveStorageUri, type Artifact, type ResolveOptions } from '../../runtime/storage/index.ts';
import type { InitHook, Supervisor } from '../../runtime/supervisor/index.ts';
import { environmentOfCommand, isInstalled, environmentDir } from '../../runtime/python/environments.ts';
import { ensureEnvironment, installHint } from '../../runtime/python/install.ts';

export interface LocalDeployerOptions {
  supervisor: Supervisor;
  dataDir: string;
  /** Where replica logs go (the data dir's logs/). */
  logDir: string;
  /** Where model dir links go; defaults to <dataDir>/run. */
  runDir?: string;
  /** Where the Python runtimes' environments live (src/runtime/python). */
  runtimesDir: string;
  resolve?: (uri: string, opts: ResolveOptions) => Promise<Artifact>;
  /** Storage credentials for a revision (its Secret or the environment), read when its model is fetched. */
  storageOptions?: (template: RevisionTemplate) => Promise<Pick<ResolveOptions, 's3' | 'gcs'>>;
  log?: (line: string) => void;
}

interface Running {
  template: RevisionTemplate;
  replicas: number;
  digest?: string;
  bytes?: number;
}

/** Point `link` at `target`, replacing an older link in one step. */
function relink(target: string, link: string): void {
  mkdirSync(dirname(link), { recursive: true });
  const tmp = `${link}.${process.pid}.${Date.now()}.tmp`;
  symlinkSync(target, tmp, 'dir');
  renameSync(tmp, link);
}

export class LocalDeployer implements Deployer {
  private readonly revisions = new Map<string, Running>();
  private readonly runDir: string;
  private readonly resolve: (uri: string, opts: ResolveOptions) => Promise<Artifact>;

  constructor(private readonly opts: LocalDeployerOptions) {
    this.runDir = opts.runDir ?? join(opts.dataDir, 'run');
    this.resolve = opts.resolve ?? resolveStorageUri;
  }

  ensure(template: RevisionTemplate, replicas: number): void {
    const key = revisionKey(template.namespace, template.revision);
    const known = this.revisions.get(key);
    if (known && canonicalJson(known.template) === canonicalJson(template)) {
      if (known.replicas !== replicas) {
        known.replicas = replicas;
        void this.opts.supervisor.scale(key, replicas);
      }
      return;
    }
    // Unknown, or a name reused for another template (a status write that never landed): start afresh.
    if (known) void this.opts.supervisor.stop(key);
    const entry: Running = { template, replicas };
    this.revisions.set(key, entry);
    const modelDir = join(this.runDir, template.namespace, template.revision, 'model');
    const fill = (s: string) => s.replaceAll('{{.ModelDir}}', modelDir);
    this.opts.supervisor.ensure({
      namespace: template.namespace,
      isvc: template.isvc,
      component: template.component,
      revision: template.revision,
      replicas,
      command: template.command.map(fill),
      env: Object.fromEntries(Object.entries(template.env).map(([k, v]) => [k, fill(v)])),
      readinessPath: template.readinessPath,
      logDir: this.opts.logDir,
      ...(template.workingDir ? { cwd: template.workingDir } : {}),
      ...(template.storageUri || this.environmentOf(template) ? { init: this.initHook(template, modelDir, entry) } : {}),
    });
  }

  private environmentOf(template: RevisionTemplate) {
    return environmentOfCommand(this.opts.runtimesDir, template.command[0]);
  }

  /**
   * Before the container starts: the runtime's Python environment, installed on first use with its
   * progress as pod events; then KServe's storage-initializer fetches (or locates) the artifact.
   */
  private initHook(template: RevisionTemplate, modelDir: string, entry: Running): InitHook {
    const uri = template.storageUri;
    const env = this.environmentOf(template);
    return async ({ event }) => {
      if (env && !isInstalled(environmentDir(this.opts.runtimesDir, env))) {
        const runtime = template.runtime.kind === 'InferenceService' ? env.runtimes[0]! : template.runtime.name;
        event('Installing', `Installing the Python environment "${env.name}" for runtime ${runtime} (first use; \`switchyard runtimes install\` does it ahead of time)`);
        await ensureEnvironment(env, {
          runtimesDir: this.opts.runtimesDir,
          hint: installHint(env.runtimes.includes(runtime) ? runtime : env.runtimes[0]!, this.opts.dataDir, this.opts.runtimesDir),
          onProgress: (line) => {
            this.opts.log?.(`runtime ${runtime}: ${line}`);
            event('Installing', line);
          },
        });
        event('Installed', `Python environment "${env.name}" ready for runtime ${runtime}`);
      }
      if (!uri) return;
      event('Pulling', `Fetching model from "${uri}"`);
      const extra = this.opts.storageOptions ? await this.opts.storageOptions(template) : {};
      const artifact = await this.resolve(uri, { dataDir: this.opts.dataDir, ...extra });
      relink(artifact.modelDir, modelDir);
      entry.digest = artifact.digest;
      entry.bytes = artifact.bytes;
      event('Pulled', `Model "${uri}" ready in ${artifact.modelDir} (${artifact.digest}, ${artifact.bytes} bytes)`);
    };
  }

  async stop(namespace: string, revision: string): Promise<void> {
    const key = revisionKey(namespace, revision);
    const entry = this.revisions.get(key);
    if (!entry) return;
    this.revisions.delete(key);
    await this.opts.supervisor.stop(key);
    rmSync(join(this.runDir, namespace, revision), { recursive: true, force: true });
  }

  observe(namespace: string, revision: string): RevisionObservation | undefined {
    const key = revisionKey(namespace, revision);
    const entry = this.revisions.get(key);
    if (!entry) return undefined;
    return {
      pods: this.opts.supervisor.pods(key),
      ...(entry.digest ? { digest: entry.digest } : {}),
      ...(entry.bytes !== undefined ? { bytes: entry.bytes } : {}),
    };
  }

  running(namespace: string, isvc: string): string[] {
    return [...this.revisions.values()].filter((r) => r.template.namespace === namespace && r.template.isvc === isvc).map((r) => r.template.revision);
  }

  /** The InferenceService a revision (by revisionKey) belongs to, as `namespace/name`. */
  ownerOf(key: string): string | undefined {
    const t = this.revisions.get(key)?.template;
    return t ? `${t.namespace}/${t.isvc}` : undefined;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.revisions.values()].map((r) => this.stop(r.template.namespace, r.template.revision)));
  }
}
