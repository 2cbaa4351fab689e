// The data dir (default .switchyard/): database, admin token, kubeconfig,
// tokens, volumes, logs, the prediction log's hash key. Created on first
// `up`, reused afterwards.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { kubeconfigDocument } from '../api/kubeconfig.ts';
import { syError } from '../core/errors.ts';
import { processAlive } from '../core/pid.ts';
import { TokenRegistry } from './auth.ts';

export interface DataDir {
  root: string;
  database: string;
  kubeconfig: string;
  adminTokenFile: string;
  volumes: string;
  logs: string;
  tls: string;
  /** 32 random bytes (hex): the key of the prediction log's keyed hashes. */
  predictionsKey: string;
  /** The pid and command (`switchyard up`, `switchyard sink`) holding this data dir, while it runs. */
  lock: string;
}

export function dataDirPaths(dir: string): DataDir {
  const root = resolve(dir);
  return {
    root,
    database: join(root, 'switchyard.db'),
    kubeconfig: join(root, 'kubeconfig'),
    adminTokenFile: join(root, 'admin.token'),
    volumes: join(root, 'volumes'),
    logs: join(root, 'logs'),
    tls: join(root, 'tls'),
    predictionsKey: join(root, 'predictions.key'),
    lock: join(root, 'switchyard.pid'),
  };
}

export function prepareDataDir(dir: string): { paths: DataDir; tokens: TokenRegistry; adminToken: string } {
  const paths = dataDirPaths(dir);
  for (const d of [paths.root, paths.volumes, paths.logs]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const tokens = new TokenRegistry(join(paths.root, 'tokens.json'));
  let adminToken: string;
  if (existsSync(paths.adminTokenFile)) {
    adminToken = readFileSync(paths.adminTokenFile, 'utf8').trim();
  } else {
    adminToken = tokens.create('admin', 'admin');
    writeFileSync(paths.adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
  }
  return { paths, tokens, adminToken };
}

/**
 * The prediction log's hash key, created on first use (mode 0600). Kept with the data so that
 * hashed values stay comparable across restarts; whoever holds it can test guesses against them.
 */
export function predictionsHashKey(paths: DataDir): Buffer {
  if (!existsSync(paths.predictionsKey)) writeFileSync(paths.predictionsKey, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  const key = Buffer.from(readFileSync(paths.predictionsKey, 'utf8').trim(), 'hex');
  if (key.length < 32) throw syError('SY_ERR_CONFIG', `${paths.predictionsKey} must hold at least 32 bytes as hex; remove it to have a new key generated (earlier hashes then no longer match)`);
  return key;
}

/** A kubeconfig kubectl reads as is: one cluster, the admin user with its bearer token, one context. */
export function writeKubeconfig(file: string, server: string, token: string, caPem?: string): void {
  const config = kubeconfigDocument({ server, ...(caPem ? { ca: caPem } : {}), user: 'switchyard-admin', token, role: 'admin', groups: [] });
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

/**
 * The locks this process holds. A lock naming our own pid that is not one of them was left by an
 * earlier process that had the same pid: a restarted container's command is pid 1 again.
 */
const held = new Set<string>();

/** The commands that hold a data dir while they run. */
export type DataDirCommand = 'switchyard up' | 'switchyard sink';

/**
 * Claims the data dir for this process: two commands on one data dir would write the same SQLite
 * files (and two `switchyard up` would both run its replicas and move its plans' traffic). One lock
 * per data dir, whichever command holds it; it records the pid and the command so a refusal names
 * both. A lock left by a process that is gone (killed, crashed, its container restarted) is taken
 * over. Returns the release, which removes the lock only while it is still ours.
 */
export function lockDataDir(paths: DataDir, command: DataDirCommand): () => void {
  const mine = `${process.pid} ${command}`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(paths.lock, `${mine}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const [pid = '', ...by] = readFileSync(paths.lock, 'utf8').trim().split(' ');
      const holder = Number(pid);
      const alive = Number.isInteger(holder) && holder > 0 && processAlive(holder);
      if (alive && (holder !== process.pid || held.has(paths.lock))) {
        throw syError('SY_ERR_CONFIG', `data dir ${paths.root} is in use by another ${by.join(' ') || 'switchyard command'} (pid ${holder}); stop it first, or choose another data dir with --data-dir`);
      }
      rmSync(paths.lock, { force: true });
    }
  }
  held.add(paths.lock);
  return () => {
    held.delete(paths.lock);
    try {
      if (readFileSync(paths.lock, 'utf8').trim() === mine) rmSync(paths.lock, { force: true });
    } catch {
      // already gone
    }
  };
}
