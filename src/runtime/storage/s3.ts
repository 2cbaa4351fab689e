// S3 (and S3-compatible stores: MinIO, moto, Ceph) through the AWS SDK's S3
// client, loaded on first use (every CLI start would pay for it otherwise).
// Credentials come only from the config (a Secret or AWS_* variables): the
// SDK's default chain is never used, so nothing probes instance metadata.
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { syError } from '../../core/errors.ts';
import type { S3Config } from './credentials.ts';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';

const ACCESS_ERRORS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'Forbidden']);

function agent(cfg: S3Config): Agent | undefined {
  if (cfg.verifySsl && !cfg.caBundle) return undefined;
  let ca: string | undefined;
  if (cfg.caBundle) {
    try {
      ca = readFileSync(cfg.caBundle, 'utf8');
    } catch (err) {
      throw syError('SY_ERR_STORAGE_URI', `the CA bundle ${cfg.caBundle} from ${cfg.source} cannot be read: ${(err as Error).message}`);
    }
  }
  return new Agent({ keepAlive: true, rejectUnauthorized: cfg.verifySsl, ...(ca ? { ca } : {}) });
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'));

function clientFor({ S3Client }: Sdk, cfg: S3Config, stallMs: number): S3Client {
  if (!cfg.anonymous && (!cfg.accessKeyId || !cfg.secretAccessKey)) {
    throw new ObjectStoreError('access', `no S3 credentials: ${cfg.source} sets no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; give the InferenceService a Secret (serviceAccountName or serving.kserve.io/storageSecretName) or mark the bucket public with serving.kserve.io/s3-useanoncredential: "true"`);
  }
  const httpsAgent = agent(cfg);
  return new S3Client({
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint, forcePathStyle: !cfg.virtualBucket } : {}),
    credentials: cfg.anonymous ? { accessKeyId: '', secretAccessKey: '' } : { accessKeyId: cfg.accessKeyId!, secretAccessKey: cfg.secretAccessKey!, ...(cfg.sessionToken ? { sessionToken: cfg.sessionToken } : {}) },
    // Anonymous: requests go unsigned, as boto3 does with signature_version=UNSIGNED.
    ...(cfg.anonymous ? { signer: { sign: async (request) => request } } : {}),
    requestHandler: { connectionTimeout: stallMs, requestTimeout: stallMs, ...(httpsAgent ? { httpsAgent } : {}) },
    maxAttempts: 3,
  });
}

function failure({ S3ServiceException }: Sdk, err: unknown, cfg: S3Config, what: string): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    const detail = `${err.name}${err.message && err.message !== err.name ? `: ${err.message}` : ''}`;
    if (ACCESS_ERRORS.has(err.name) || status === 403 || status === 401) {
      return new ObjectStoreError('access', `the object store refused ${what} (${detail}) with the credentials from ${cfg.source}; check its access key, secret key and bucket permissions`, { cause: err });
    }
    if (err.name === 'NoSuchBucket' || err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404) {
      return new ObjectStoreError('not-found', `${what} failed: ${detail}`, { cause: err });
    }
    return new ObjectStoreError('other', `${what} failed: ${detail}${status ? ` (HTTP ${status})` : ''}`, { cause: err });
  }
  const e = err as NodeJS.ErrnoException;
  const where = cfg.endpoint ?? `the AWS endpoint of ${cfg.region}`;
  return new ObjectStoreError('other', `${what} failed: could not reach ${where} (${e.code ?? e.name}: ${e.message})`, { cause: err });
}

export function s3Store(cfg: S3Config, stallMs: number): ObjectStore {
  let client: S3Client | undefined;
  const c = (s: Sdk) => (client ??= clientFor(s, cfg, stallMs));
  return {
    scheme: 's3://',
    async list(bucket, prefix, signal) {
      const s = await loadSdk();
      const out: ObjectInfo[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await c(s).send(new s.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
          for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, version: o.ETag ?? '' });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw failure(s, err, cfg, `listing s3://${bucket}/${prefix}`);
      }
      return out;
    },
    async get(bucket, key, signal) {
      const s = await loadSdk();
      try {
        const res = await c(s).send(new s.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
        if (!res.Body) throw new ObjectStoreError('other', `s3://${bucket}/${key} came back without a body`);
        return res.Body as AsyncIterable<Uint8Array>;
      } catch (err) {
        throw failure(s, err, cfg, `reading s3://${bucket}/${key}`);
      }
    },
  };
}
