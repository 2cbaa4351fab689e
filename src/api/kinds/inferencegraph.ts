// InferenceGraph (serving.kserve.io/v1alpha1): a request flow over services.
// Splitter weights must add up to 100, as KServe's webhook requires.
import { z } from 'zod';
import { condition, invalid, kindObject } from '../common.ts';

export const ROUTER_TYPES = ['Sequence', 'Splitter', 'Ensemble', 'Switch'] as const;

const step = z
  .strictObject({
    name: z.string().optional().describe('Name of the step, used by $response references and Ensemble outputs.'),
    serviceName: z.string().optional().describe('An InferenceService in the same namespace to call.'),
    serviceUrl: z.string().optional().describe('A URL to call instead of an InferenceService.'),
    nodeName: z.string().optional().describe('Another node of this graph to run.'),
    data: z.enum(['$request', '$response']).optional().describe('Input of the step: the original request or the previous step response.'),
    weight: z.number().int().min(0).max(100).optional().describe('Percent of traffic for this step in a Splitter node.'),
    condition: z.string().optional().describe('GJSON condition on the request; the step runs only when it matches (Switch).'),
    dependency: z.enum(['Soft', 'Hard']).optional().describe('Soft (the default when absent) or Hard: a failing Hard step fails the whole graph.'),
  })
  .superRefine((s, ctx) => {
    const targets = ['serviceName', 'serviceUrl', 'nodeName'].filter((k) => (s as Record<string, unknown>)[k] !== undefined);
    if (targets.length !== 1) invalid(ctx, [], undefined, 'a step must set exactly one of serviceName, serviceUrl, nodeName', targets.length === 0 ? 'FieldValueRequired' : 'FieldValueInvalid');
  });

const node = z
  .strictObject({
    routerType: z.enum(ROUTER_TYPES).describe('How the node routes: Sequence, Splitter, Ensemble or Switch.'),
    steps: z.array(step).min(1),
  })
  .superRefine((n, ctx) => {
    if (n.routerType !== 'Splitter') return;
    const weights = n.steps.map((s) => s.weight);
    weights.forEach((w, i) => {
      if (w === undefined) invalid(ctx, ['steps', i, 'weight'], undefined, 'Splitter steps must each set a weight', 'FieldValueRequired');
    });
    const sum = weights.reduce<number>((a, w) => a + (w ?? 0), 0);
    if (weights.every((w) => w !== undefined) && sum !== 100) invalid(ctx, ['steps'], sum, `Splitter weights must sum to 100, got ${sum}`);
  });

export const inferenceGraphSpec = z
  .strictObject({
    nodes: z.record(z.string(), node).describe('Graph nodes by name; the entry point is "root".'),
    resources: z.record(z.string(), z.unknown()).optional(),
    timeout: z.number().int().min(1).optional(),
    minReplicas: z.number().int().min(0).optional(),
    maxReplicas: z.number().int().min(0).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.nodes.root === undefined) invalid(ctx, ['nodes'], undefined, 'the graph must have a node named "root"', 'FieldValueRequired');
    for (const [name, n] of Object.entries(spec.nodes)) {
      n.steps.forEach((s, i) => {
        if (s.nodeName !== undefined && spec.nodes[s.nodeName] === undefined) invalid(ctx, ['nodes', name, 'steps', i, 'nodeName'], s.nodeName, 'names a node that does not exist in this graph');
      });
    }
  });

export const inferenceGraphSchema = kindObject({
  apiVersions: ['serving.kserve.io/v1alpha1'],
  kind: 'InferenceGraph',
  spec: inferenceGraphSpec,
  status: z.looseObject({ url: z.string().optional(), conditions: z.array(condition).optional(), observedGeneration: z.number().int().optional() }),
}).describe('InferenceGraph chains, splits, ensembles or switches requests across InferenceServices.');

export type InferenceGraph = z.infer<typeof inferenceGraphSchema>;
