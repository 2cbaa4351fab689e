// Open Inference Protocol (KServe V2) over REST: model metadata and infer.
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import { acceptsDatatype, isV2Datatype } from './datatypes.ts';
import type { Feed } from './batcher.ts';
import type { TensorSpec } from './model.ts';
import type { ServedModel } from './served.ts';
import { decodeTensorData, elementCount, flatJson, shapeText } from './tensors.ts';

const Parameters = z.record(z.string(), z.unknown());

const InferRequest = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z.array(z.object({
    name: z.string(),
    shape: z.array(z.int().nonnegative()),
    datatype: z.string(),
    parameters: Parameters.optional(),
    data: z.array(z.unknown(), { error: 'expected an array (flat or nested, row-major)' }),
  })).min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
});

export function modelMetadataV2(served: ServedModel, name: string): object {
  const model = served.readyModel(name);
  return { name: served.name, versions: [served.version], platform: 'onnxruntime', inputs: model.inputs, outputs: model.outputs };
}

function names(specs: TensorSpec[]): string {
  return specs.map((s) => s.name).join(', ');
}

function shapeFits(expected: readonly number[], got: readonly number[]): boolean {
  if (expected.length !== got.length) return false;
  for (let i = 0; i < got.length; i++) if (expected[i] !== -1 && expected[i] !== got[i]) return false;
  return true;
}

function validationMessage(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `Invalid inference request: ${path}${issue.message}`;
}

export async function inferV2(served: ServedModel, name: string, body: unknown, requestId: string): Promise<string> {
  const model = served.readyModel(name);
  const parsed = InferRequest.safeParse(body);
  if (!parsed.success) throw syError('SY_ERR_MODEL_INPUT', validationMessage(parsed.error));
  const req = parsed.data;

  const feeds: Record<string, Feed> = {};
  for (const t of req.inputs) {
    const spec = model.inputs.find((s) => s.name === t.name);
    if (!spec) throw syError('SY_ERR_MODEL_INPUT', `Input "${t.name}" is not an input of model ${name} (inputs: ${names(model.inputs)})`);
    if (feeds[t.name]) throw syError('SY_ERR_MODEL_INPUT', `Input "${t.name}" appears more than once`);
    if (!isV2Datatype(t.datatype)) throw syError('SY_ERR_MODEL_INPUT', `Input "${t.name}": unknown datatype "${t.datatype}"`);
    if (!acceptsDatatype(spec.datatype, t.datatype)) {
      throw syError('SY_ERR_MODEL_INPUT', `Input "${t.name}": datatype mismatch: expected ${spec.datatype}, got ${t.datatype}`);
    }
    if (!shapeFits(spec.shape, t.shape)) {
      throw syError('SY_ERR_MODEL_INPUT', `Input "${t.name}": shape mismatch: expected ${shapeText(spec.shape)}, got ${shapeText(t.shape)}`);
    }
    const data = decodeTensorData(t.name, t.datatype, spec.datatype, t.shape, t.data);
    feeds[t.name] = { data, dims: t.shape, datatype: spec.datatype };
  }
  for (const spec of model.inputs) {
    if (!feeds[spec.name]) throw syError('SY_ERR_MODEL_INPUT', `Missing input "${spec.name}" for model ${name} (inputs: ${names(model.inputs)})`);
  }
  let wanted = model.outputs;
  if (req.outputs) {
    wanted = req.outputs.map((o) => {
      const spec = model.outputs.find((s) => s.name === o.name);
      if (!spec) throw syError('SY_ERR_MODEL_INPUT', `Output "${o.name}" is not an output of model ${name} (outputs: ${names(model.outputs)})`);
      return spec;
    });
  }

  const out = await served.infer(model, feeds);
  let s = `{"model_name":${JSON.stringify(served.name)},"model_version":${JSON.stringify(served.version)},"id":${JSON.stringify(req.id ?? requestId)},"outputs":[`;
  wanted.forEach((spec, i) => {
    const o = out[spec.name]!;
    if (elementCount(o.dims) !== o.data.length) throw syError('SY_ERR_INTERNAL', `output ${spec.name} data does not match its shape`);
    if (i > 0) s += ',';
    s += `{"name":${JSON.stringify(spec.name)},"datatype":"${spec.datatype}","shape":[${o.dims.join(',')}],"data":${flatJson(o.data, spec.datatype)}}`;
  });
  return s + ']}';
}
