// PredictionLogPolicy (switchyard.dev): what the prediction log may keep of
// request bodies for the services of one namespace, and for how long rows
// are kept. Without one, rows carry no inputs at all — only what gates,
// paired evidence and feedback joins need (request id, revision, artifact
// digest, variant, role, status, latency, output, cohort). A namespace-scoped
// kind rather than a server flag, because the team that owns the data decides
// it, changes are audited and reviewed like any manifest, and take effect
// without a restart (see docs/predictions.md).
import { z } from 'zod';
import { duration, invalid, kindObject } from '../common.ts';
import { parseJsonPath } from '../jsonpath.ts';

/** Why a JSON path cannot select parts of a body, or undefined when it can (fields, [n], [*]; no filters). */
export function bodyPathProblem(path: string): string | undefined {
  try {
    const steps = parseJsonPath(path);
    if (steps.some((s) => s.kind === 'filter')) return 'filters are not supported in body paths; use fields, [n] and [*]';
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const bodyPaths = (what: string) =>
  z.array(z.string().min(1)).superRefine((paths, ctx) => {
    paths.forEach((p, i) => {
      const problem = bodyPathProblem(p);
      if (problem) invalid(ctx, [i], p, problem);
    });
  }).describe(what);

export const predictionLogInputs = z.strictObject({
  sampleRate: z.number().min(0).max(1).optional()
    .describe('Fraction of requests whose input is kept (default 1), decided by the request id so a primary and its shadow agree.'),
  keep: bodyPaths('JSON paths of the request body to keep (e.g. $.instances); everything else is left out. Absent: the whole body.').optional(),
  drop: bodyPaths('JSON paths removed from what is kept (e.g. $.instances[*].ssn).').optional(),
  hash: bodyPaths('JSON paths replaced by "hmac-sha256:<hex>", keyed with a secret of the data dir, so values can be joined without being stored.').optional(),
});

export const predictionLogPolicySpec = z.strictObject({
  services: z.array(z.string().min(1)).min(1).optional()
    .describe('InferenceServices of this namespace the policy applies to. Absent: every service of the namespace; a policy naming a service wins over one that does not.'),
  inputs: predictionLogInputs.optional()
    .describe('Keep request bodies (inputs) of a sample of requests. Absent: inputs are never stored.'),
  retention: duration.optional()
    .describe('How long rows of these services are kept before they are deleted, as a Go duration (e.g. 24h, 720h). Default 168h.'),
});

export type PredictionLogPolicySpec = z.infer<typeof predictionLogPolicySpec>;

export const predictionLogPolicySchema = kindObject({
  apiVersions: ['switchyard.dev/v1alpha1'],
  kind: 'PredictionLogPolicy',
  spec: predictionLogPolicySpec,
}).describe('PredictionLogPolicy says which parts of request bodies the prediction log keeps for some services, and for how long their rows are kept.');

export type PredictionLogPolicy = z.infer<typeof predictionLogPolicySchema>;
