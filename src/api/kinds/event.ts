// Event (v1): a read-only record of something that happened to an object.
import { z } from 'zod';
import { anyObject } from '../common.ts';
import { looseObjectMeta } from '../meta.ts';

export const eventSchema = z
  .looseObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Event'),
    metadata: looseObjectMeta,
    involvedObject: z.looseObject({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }),
    reason: z.string().optional(),
    message: z.string().optional(),
    type: z.string().optional(),
    count: z.number().int().optional(),
    firstTimestamp: z.string().nullable().optional(),
    lastTimestamp: z.string().nullable().optional(),
    eventTime: z.string().nullable().optional(),
    source: anyObject.optional(),
  })
  .describe('Event is a read-only report of something that happened to an object.');

export type Event = z.infer<typeof eventSchema>;
