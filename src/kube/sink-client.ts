// The controller's side of the logger sink (`switchyard sink`): the sink
// receives KServe's payload-logger CloudEvents and keeps each revision's
// output telemetry and a prediction log; the controller reads a window's
// outputs and a step's outcome totals from it over HTTP. Answers are checked
// with zod: a sink of another version must not feed the gates garbage.
import { z } from 'zod';
import { syError } from '../core/errors.ts';

export const SINK_API = '/switchyard/v1/sink';

const atoms = z.array(z.tuple([z.number(), z.number().nonnegative()]));

export const SinkOutputsSchema = z.object({
  outputs: z.number().int().nonnegative(),
  invalidOutputs: z.number().int().nonnegative(),
  labels: z.record(z.string(), z.number().nonnegative()),
  /** Score atoms (value, count), ascending. */
  scores: atoms,
});
export type SinkOutputs = z.infer<typeof SinkOutputsSchema>;

const arm = z.object({
  exposed: z.number(), converted: z.number(), sum: z.number(), sumSq: z.number(), events: z.number(),
  den: z.number().optional(), denSq: z.number().optional(), cross: z.number().optional(),
});
const pair = z.object({ baseline: arm, candidate: arm });
export const SinkOutcomesSchema = pair.extend({ slices: z.record(z.string(), pair).optional() });
export type SinkOutcomes = z.infer<typeof SinkOutcomesSchema>;

export interface OutputsQuery {
  namespace: string;
  service: string;
  revision: string;
  fromMs: number;
  toMs: number;
}

export interface SinkReader {
  outputs(q: OutputsQuery): Promise<SinkOutputs>;
  outcomes(q: Record<string, string | number | undefined>): Promise<SinkOutcomes>;
}

async function getJson<T>(base: string, path: string, query: Record<string, string | number | undefined>, schema: z.ZodType<T>, timeoutMs: number): Promise<T> {
  const url = new URL(`${base.replace(/\/+$/, '')}${SINK_API}${path}`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    throw syError('SY_ERR_CONNECT', `sink ${url.origin}: ${(err as Error).message}`);
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw syError('SY_ERR_UNAVAILABLE', `sink ${url.origin}${path}: HTTP ${res.status}: ${(body as { message?: string } | undefined)?.message ?? ''}`);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw syError('SY_ERR_INTERNAL', `sink ${url.origin}${path}: unexpected answer: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

export function sinkReader(baseUrl: string, timeoutMs = 5000): SinkReader {
  return {
    outputs: (q) => getJson(baseUrl, '/outputs', { ...q }, SinkOutputsSchema, timeoutMs),
    outcomes: (q) => getJson(baseUrl, '/outcomes', q, SinkOutcomesSchema, timeoutMs),
  };
}
