// KServe V1 predict: {"instances": [...]} (or "inputs") → {"predictions": [...]}.
// Each instance is one row of the model's single input; each prediction is the
// matching row of the first (or configured) output.
import { z } from 'zod';
import { syError } from '../../core/errors.ts';
import type { ServedModel } from './served.ts';
import { decodeTensorData, nestedJson, elementCount, shapeText } from './tensors.ts';

const V1Request = z.looseObject({
  instances: z.array(z.unknown(), { error: 'Expected "instances" to be a list' }).optional(),
  inputs: z.array(z.unknown(), { error: 'Expected "inputs" to be a list' }).optional(),
});

/** The dims of a nested array, read along its first elements. */
function shapeOf(v: unknown): number[] {
  const dims: number[] = [];
  while (Array.isArray(v)) {
    dims.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return dims;
}

function matches(expected: readonly number[], got: readonly number[]): boolean {
  if (expected.length !== got.length) return false;
  for (let i = 0; i < got.length; i++) if (expected[i] !== -1 && expected[i] !== got[i]) return false;
  return true;
}

export async function predictV1(served: ServedModel, name: string, body: unknown): Promise<string> {
  const model = served.readyModel(name);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw syError('SY_ERR_MODEL_INPUT', 'Expected a JSON object with key "instances" in request body');
  }
  const parsed = V1Request.safeParse(body);
  if (!parsed.success) throw syError('SY_ERR_MODEL_INPUT', parsed.error.issues[0]!.message);
  const instances = parsed.data.instances ?? parsed.data.inputs;
  if (instances === undefined) throw syError('SY_ERR_MODEL_INPUT', 'Expected key "instances" in request body');
  if (model.inputs.length !== 1) {
    throw syError('SY_ERR_MODEL_INPUT', `V1 instances need a model with one input; ${name} has ${model.inputs.length} (use the V2 infer endpoint)`);
  }
  if (instances.length === 0) return '{"predictions":[]}';

  const input = model.inputs[0]!;
  const instanceShape = input.shape.slice(1);
  if (input.shape[0] !== -1 && input.shape[0] !== instances.length) {
    throw syError('SY_ERR_MODEL_INPUT', `Model input "${input.name}" takes exactly ${input.shape[0]} instances, got ${instances.length}`);
  }
  for (let i = 0; i < instances.length; i++) {
    const got = shapeOf(instances[i]);
    if (!matches(instanceShape, got)) {
      throw syError('SY_ERR_MODEL_INPUT', `Instance ${i} has shape ${shapeText(got)} but model input "${input.name}" expects ${shapeText(instanceShape)} per instance`);
    }
  }
  const dims = [instances.length, ...shapeOf(instances[0])];
  // V1 carries no datatype: JSON values are read as the model input's own type.
  const data = decodeTensorData(input.name, input.datatype, input.datatype, dims, instances);
  const out = await served.infer(model, { [input.name]: { data, dims, datatype: input.datatype } });

  const outName = served.outputName ?? model.outputs[0]!.name;
  const spec = model.outputs.find((o) => o.name === outName)!;
  const result = out[outName]!;
  const rows = result.dims[0] ?? 1;
  const rowDims = result.dims.slice(1);
  const rowSize = elementCount(rowDims);
  let s = '{"predictions":[';
  for (let i = 0; i < rows; i++) {
    if (i > 0) s += ',';
    s += nestedJson(result.data, spec.datatype, rowDims, i * rowSize);
  }
  return s + ']}';
}
