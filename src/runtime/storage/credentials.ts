// Object-store settings with KServe's names. KServe turns a Secret (its data
// and `serving.kserve.io/s3-*` annotations) into environment variables of the
// storage initializer, which reads them with boto3; Switchyard reads the same
// variables, from that Secret or from its own environment. Pure: the caller
// finds the Secret. See docs/storage.md.
import { z } from 'zod';
import { syError } from '../../core/errors.ts';

export const S3Config = z.object({
  /** Full endpoint URL (http://127.0.0.1:9000); the AWS endpoint for the region when unset. */
  endpoint: z.string().url().optional(),
  region: z.string().min(1).default('us-east-1'),
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().optional(),
  /** Unsigned requests (a public bucket): KServe's awsAnonymousCredential. */
  anonymous: z.boolean().default(false),
  verifySsl: z.boolean().default(true),
  /** PEM file of extra CAs to trust (AWS_CA_BUNDLE). */
  caBundle: z.string().optional(),
  /** Virtual-hosted addressing (bucket.host); path style otherwise when an endpoint is given. */
  virtualBucket: z.boolean().default(false),
  /** Where these came from, for error messages: `Secret NS/NAME` or `the environment`. */
  source: z.string().default('the environment'),
});
export type S3Config = z.output<typeof S3Config>;

export const GcsConfig = z.object({
  /** Service-account key JSON (gcloud-application-credentials.json / GOOGLE_APPLICATION_CREDENTIALS); anonymous without it. */
  credentials: z.record(z.string(), z.unknown()).optional(),
  /** API root; STORAGE_EMULATOR_HOST (an emulator) or https://storage.googleapis.com. */
  endpoint: z.string().url().default('https://storage.googleapis.com'),
  source: z.string().default('the environment'),
});
export type GcsConfig = z.output<typeof GcsConfig>;

/** KServe's Secret keys (inferenceservice-config credentials defaults). */
export const S3_ACCESS_KEY_ID = 'AWS_ACCESS_KEY_ID';
export const S3_SECRET_ACCESS_KEY = 'AWS_SECRET_ACCESS_KEY';
export const GCS_CREDENTIALS_FILE = 'gcloud-application-credentials.json';
const ANNOTATION = (name: string) => `serving.kserve.io/${name}`;

const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes'].includes(v.trim().toLowerCase());
const falsy = (v: string | undefined) => v !== undefined && ['0', 'false', 'no'].includes(v.trim().toLowerCase());

function parsed<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw syError('SY_ERR_STORAGE_URI', `object store settings from ${source} are invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The storage initializer's reading of its environment (AWS_*, S3_*, awsAnonymousCredential). */
export function s3FromEnv(env: Record<string, string | undefined>, source = 'the environment'): S3Config {
  let endpoint = env.AWS_ENDPOINT_URL;
  if (!endpoint && env.S3_ENDPOINT) endpoint = `${falsy(env.S3_USE_HTTPS) ? 'http' : 'https'}://${env.S3_ENDPOINT}`;
  return parsed(S3Config, {
    ...(endpoint ? { endpoint } : {}),
    ...(env.AWS_DEFAULT_REGION || env.AWS_REGION ? { region: env.AWS_DEFAULT_REGION || env.AWS_REGION } : {}),
    ...(env.AWS_ACCESS_KEY_ID ? { accessKeyId: env.AWS_ACCESS_KEY_ID } : {}),
    ...(env.AWS_SECRET_ACCESS_KEY ? { secretAccessKey: env.AWS_SECRET_ACCESS_KEY } : {}),
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    anonymous: truthy(env.awsAnonymousCredential),
    verifySsl: !falsy(env.S3_VERIFY_SSL),
    ...(env.AWS_CA_BUNDLE ? { caBundle: env.AWS_CA_BUNDLE } : {}),
    virtualBucket: truthy(env.S3_USER_VIRTUAL_BUCKET),
    source,
  }, source);
}

export interface SecretLike {
  namespace: string;
  name: string;
  annotations: Record<string, string>;
  /** Decoded data (stringData merged in). */
  data: Record<string, string>;
}

export function isS3Secret(s: SecretLike): boolean {
  return s.data[S3_SECRET_ACCESS_KEY] !== undefined;
}

export function isGcsSecret(s: SecretLike): boolean {
  return s.data[GCS_CREDENTIALS_FILE] !== undefined;
}

/**
 * KServe's BuildSecretEnvs then the storage initializer: keys from the Secret's data; endpoint,
 * region and flags from its `serving.kserve.io/s3-*` annotations, else from data keys of the
 * variables' names. An endpoint without a scheme is https unless s3-usehttps is "0".
 */
export function s3FromSecret(s: SecretLike): S3Config {
  const pick = (annotation: string, dataKey: string) => s.annotations[ANNOTATION(annotation)] ?? s.data[dataKey];
  const env: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: s.data[S3_ACCESS_KEY_ID],
    AWS_SECRET_ACCESS_KEY: s.data[S3_SECRET_ACCESS_KEY],
    AWS_DEFAULT_REGION: pick('s3-region', 'AWS_DEFAULT_REGION'),
    S3_VERIFY_SSL: pick('s3-verifyssl', 'S3_VERIFY_SSL'),
    awsAnonymousCredential: pick('s3-useanoncredential', 'awsAnonymousCredential'),
    S3_USER_VIRTUAL_BUCKET: pick('s3-usevirtualbucket', 'S3_USER_VIRTUAL_BUCKET'),
    AWS_CA_BUNDLE: pick('s3-cabundle', 'AWS_CA_BUNDLE'),
  };
  const endpoint = pick('s3-endpoint', 'S3_ENDPOINT')?.trim();
  if (endpoint) env.AWS_ENDPOINT_URL = /^https?:\/\//i.test(endpoint) ? endpoint : `${pick('s3-usehttps', 'S3_USE_HTTPS') === '0' ? 'http' : 'https'}://${endpoint}`;
  return s3FromEnv(env, `Secret ${s.namespace}/${s.name}`);
}

function credentialsJson(text: string, source: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw syError('SY_ERR_STORAGE_URI', `the GCS credentials from ${source} are not a service-account key (JSON object)`);
}

export function gcsFromSecret(s: SecretLike, env: Record<string, string | undefined> = process.env): GcsConfig {
  const source = `Secret ${s.namespace}/${s.name}`;
  return parsed(GcsConfig, { credentials: credentialsJson(s.data[GCS_CREDENTIALS_FILE]!, source), ...emulator(env), source }, source);
}

function emulator(env: Record<string, string | undefined>): { endpoint?: string } {
  const host = env.STORAGE_EMULATOR_HOST;
  return host ? { endpoint: /^https?:\/\//.test(host) ? host : `http://${host}` } : {};
}

/** GOOGLE_APPLICATION_CREDENTIALS (a key file) or anonymous; STORAGE_EMULATOR_HOST points at an emulator. */
export function gcsFromEnv(env: Record<string, string | undefined>, readFile: (path: string) => string): GcsConfig {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  const source = file ? `GOOGLE_APPLICATION_CREDENTIALS (${file})` : 'the environment';
  return parsed(GcsConfig, { ...(file ? { credentials: credentialsJson(readFile(file), source) } : {}), ...emulator(env), source }, source);
}
