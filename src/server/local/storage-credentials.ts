// Which credentials a revision's storage initializer uses, found as KServe
// finds them: the Secret named by the InferenceService's
// serving.kserve.io/storageSecretName annotation, else the Secrets listed by
// its service account (the predictor's serviceAccountName, else `default`);
// the first with S3 keys gives s3://, the first with a GCS key file gives
// gs://. With none, the storage initializer reads this process's environment.
import { secretValues } from '../../api/kinds/secret.ts';
import { syError } from '../../core/errors.ts';
import type { RevisionTemplate } from '../../controllers/isvc/index.ts';
import { gcsFromSecret, isGcsSecret, isS3Secret, s3FromSecret, type GcsConfig, type S3Config, type SecretLike } from '../../runtime/storage/index.ts';
import type { Store } from '../../store/types.ts';

const SECRETS = { group: '', resource: 'secrets' };
const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };

async function secretNames(store: Store, t: RevisionTemplate): Promise<{ names: string[]; via: string }> {
  if (t.storageSecretName) return { names: [t.storageSecretName], via: 'named by the annotation serving.kserve.io/storageSecretName' };
  const account = t.serviceAccountName ?? 'default';
  const sa = await store.get({ ...SERVICE_ACCOUNTS, namespace: t.namespace, name: account });
  const refs = (sa as { secrets?: { name?: string }[] } | undefined)?.secrets ?? [];
  return { names: refs.flatMap((r) => (r.name ? [r.name] : [])), via: `listed by ServiceAccount ${t.namespace}/${account}` };
}

export async function storageCredentials(store: Store, t: RevisionTemplate): Promise<{ s3?: S3Config; gcs?: GcsConfig }> {
  const { names, via } = await secretNames(store, t);
  const out: { s3?: S3Config; gcs?: GcsConfig } = {};
  for (const name of names) {
    const obj = await store.get({ ...SECRETS, namespace: t.namespace, name });
    if (!obj) {
      throw syError('SY_ERR_STORAGE_ACCESS', `storageUri "${t.storageUri}": Secret ${t.namespace}/${name} (${via}) does not exist; create it or change the reference`);
    }
    const secret: SecretLike = { namespace: t.namespace, name, annotations: obj.metadata.annotations ?? {}, data: secretValues(obj as { data?: Record<string, string> }) };
    if (!out.s3 && isS3Secret(secret)) out.s3 = s3FromSecret(secret);
    if (!out.gcs && isGcsSecret(secret)) out.gcs = gcsFromSecret(secret);
  }
  return out;
}
