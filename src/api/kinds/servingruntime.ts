// ServingRuntime and ClusterServingRuntime (serving.kserve.io/v1alpha1): which
// model formats a runtime serves and the container that serves them.
import { z } from 'zod';
import { anyObject, container, kindObject, podTemplateFields } from '../common.ts';
import { protocolVersion } from './inferenceservice.ts';

const supportedModelFormat = z.strictObject({
  name: z.string().min(1).describe('Model format name, e.g. onnx.'),
  version: z.string().optional().describe('Format version; an isvc modelFormat.version must match when both are set.'),
  autoSelect: z.boolean().optional().describe('Whether this runtime may be picked automatically for this format.'),
  priority: z.number().int().min(1).optional().describe('Higher wins when several runtimes auto-select the same format.'),
});

export const servingRuntimeSpec = z.strictObject({
  supportedModelFormats: z.array(supportedModelFormat).optional().describe('Model formats this runtime can load.'),
  protocolVersions: z.array(protocolVersion).optional().describe('Inference protocols the runtime speaks.'),
  containers: z.array(container).min(1).describe('The model server container(s); the first is the serving container.'),
  multiModel: z.boolean().optional().describe('Whether the runtime serves several models per process (ModelMesh style); false when absent.'),
  disabled: z.boolean().optional().describe('A disabled runtime is never selected; false when absent.'),
  grpcEndpoint: z.string().optional(),
  grpcDataEndpoint: z.string().optional(),
  httpDataEndpoint: z.string().optional(),
  replicas: z.number().int().min(0).optional(),
  storageHelper: z.strictObject({ disabled: z.boolean().optional() }).optional(),
  builtInAdapter: anyObject.optional(),
  ...podTemplateFields,
});

const runtimeStatus = z.looseObject({});

export const servingRuntimeSchema = kindObject({
  apiVersions: ['serving.kserve.io/v1alpha1'],
  kind: 'ServingRuntime',
  spec: servingRuntimeSpec,
  status: runtimeStatus,
}).describe('ServingRuntime is a namespaced template for the model server that loads a set of model formats.');

export const clusterServingRuntimeSchema = kindObject({
  apiVersions: ['serving.kserve.io/v1alpha1'],
  kind: 'ClusterServingRuntime',
  spec: servingRuntimeSpec,
  status: runtimeStatus,
}).describe('ClusterServingRuntime is a cluster-wide template for the model server that loads a set of model formats.');

export type ServingRuntime = z.infer<typeof servingRuntimeSchema>;
export type ServingRuntimeSpec = z.infer<typeof servingRuntimeSpec>;
