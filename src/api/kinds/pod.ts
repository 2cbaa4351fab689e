// Pod (v1): a read-only view of a local model-server replica, written by the
// server. Loose on purpose: it mirrors what kubectl expects to read.
import { z } from 'zod';
import { anyObject, condition } from '../common.ts';
import { looseObjectMeta } from '../meta.ts';

const podStatus = z.looseObject({
  phase: z.string().optional(),
  conditions: z.array(condition).optional(),
  containerStatuses: z.array(anyObject).optional(),
  podIP: z.string().optional(),
  startTime: z.string().optional(),
});

export const podSchema = z
  .looseObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Pod'),
    metadata: looseObjectMeta,
    spec: anyObject.optional(),
    status: podStatus.optional(),
  })
  .describe('Pod is a read-only view of one local model-server replica.');

export type Pod = z.infer<typeof podSchema>;
