// Secret (v1): credentials the storage initializer reads, with KServe's keys
// and annotations (docs/storage.md). As in Kubernetes, `stringData` is
// write-only: it is folded into `data` (base64) when the object is written.
import { z } from 'zod';
import { kindObject, stringMap } from '../common.ts';
import { objectMeta } from '../meta.ts';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64-encoded (use stringData for plain text)');

export const secretSchema = kindObject({
  apiVersions: ['v1'],
  kind: 'Secret',
  meta: objectMeta,
  extra: {
    type: z.string().default('Opaque').describe('Used to facilitate programmatic handling of secret data; Opaque by default.'),
    data: z.record(z.string(), base64).optional().describe('Secret values, base64-encoded. KServe reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and gcloud-application-credentials.json.'),
    stringData: stringMap.optional().describe('Write-only plain-text values, merged into data (winning over it) when written.'),
    immutable: z.boolean().optional(),
  },
})
  .transform((obj) => {
    const { stringData, ...secret } = obj as typeof obj & { stringData?: Record<string, string>; data?: Record<string, string> };
    if (!stringData) return secret;
    const folded = Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
    return { ...secret, data: { ...secret.data, ...folded } };
  })
  .describe('Secret holds credentials, such as the keys the storage initializer uses for s3:// and gs://.');

export type Secret = z.infer<typeof secretSchema>;

/** The Secret's values as text, for the code that uses them. */
export function secretValues(secret: { data?: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}
