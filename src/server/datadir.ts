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
  /** The pid of the `switchyard up` using this data dir, while it runs. */
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
    lock: join(root, 'up.pid'),
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
 * Claims the data dir for this process: two `switchyard up` on one data dir would both run its
 * replicas and both move its plans' traffic. A lock left by a process that is gone (killed,
 * crashed) is taken over. Returns the release, which removes the lock only while it is still ours.
 */
export function lockDataDir(paths: DataDir): () => void {
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(paths.lock, `${mine}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number(readFileSync(paths.lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw syError('SY_ERR_CONFIG', `data dir ${paths.root} is in use by another switchyard up (pid ${holder}); stop it first, or choose another data dir with --data-dir`);
      }
      rmSync(paths.lock, { force: true });
    }
  }
  return () => {
    try {
      if (readFileSync(paths.lock, 'utf8').trim() === mine) rmSync(paths.lock, { force: true });
    } catch {
      // already gone
    }
  };
}
