// ServiceAccount (v1): which Secrets an InferenceService's storage
// initializer may use. As in KServe, a predictor's serviceAccountName (else
// `default`) names it, and the first listed Secret that holds S3 or GCS
// credentials is used.
import { z } from 'zod';
import { anyObject, kindObject } from '../common.ts';
import { objectMeta } from '../meta.ts';

const objectReference = z.looseObject({ name: z.string().min(1).describe('Name of a Secret in the same namespace.') });

export const serviceAccountSchema = kindObject({
  apiVersions: ['v1'],
  kind: 'ServiceAccount',
  meta: objectMeta,
  extra: {
    secrets: z.array(objectReference).optional().describe('Secrets whose credentials pods running as this account may use (KServe reads storage credentials from them).'),
    imagePullSecrets: z.array(anyObject).optional(),
    automountServiceAccountToken: z.boolean().optional(),
  },
}).describe('ServiceAccount names the Secrets an InferenceService may use for its storage.');

export type ServiceAccount = z.infer<typeof serviceAccountSchema>;
