// Namespace (v1): a scope for names. Namespace names are DNS-1123 labels.
import { z } from 'zod';
import { condition, kindObject } from '../common.ts';
import { objectMetaLabelName } from '../meta.ts';

export const namespaceSchema = kindObject({
  apiVersions: ['v1'],
  kind: 'Namespace',
  meta: objectMetaLabelName,
  extra: { spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional() },
  status: z.looseObject({ phase: z.enum(['Active', 'Terminating']).optional(), conditions: z.array(condition).optional() }),
}).describe('Namespace provides a scope for names.');

export type Namespace = z.infer<typeof namespaceSchema>;
