// Loads one ONNX model from a model directory and describes its tensors the way
// V2 model metadata does (datatype names, -1 for dynamic dimensions).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { syError } from '../../core/errors.ts';
import { DATATYPES, datatypeOfOrt, type TensorData, type V2Datatype } from './datatypes.ts';

export interface TensorSpec {
  name: string;
  datatype: V2Datatype;
  /** -1 marks a dynamic (symbolic or unknown) dimension. */
  shape: number[];
}

export interface RunOutput {
  data: TensorData;
  dims: readonly number[];
}

export interface LoadedModel {
  file: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  run(feeds: Record<string, { data: TensorData; dims: number[]; datatype: V2Datatype }>): Promise<Record<string, RunOutput>>;
  close(): Promise<void>;
}

/** model.onnx if present, else the only *.onnx file in the directory. */
export async function findModelFile(modelDir: string): Promise<string> {
  const info = await stat(modelDir).catch(() => undefined);
  if (info?.isFile() && modelDir.endsWith('.onnx')) return modelDir;
  if (!info?.isDirectory()) throw syError('SY_ERR_MODEL_LOAD', `model directory ${modelDir} does not exist`);
  const files = (await readdir(modelDir)).filter((f) => f.endsWith('.onnx')).sort();
  if (files.includes('model.onnx')) return join(modelDir, 'model.onnx');
  if (files.length === 1) return join(modelDir, files[0]!);
  if (files.length === 0) throw syError('SY_ERR_MODEL_LOAD', `no .onnx file in ${modelDir}`);
  throw syError('SY_ERR_MODEL_LOAD', `${modelDir} holds ${files.length} .onnx files (${files.join(', ')}); name one model.onnx`);
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[], file: string): TensorSpec[] {
  return meta.map((m) => {
    if (!m.isTensor) throw syError('SY_ERR_MODEL_LOAD', `${file}: ${m.name} is not a tensor; only tensor inputs and outputs are served`);
    const datatype = datatypeOfOrt(m.type);
    if (!datatype) throw syError('SY_ERR_MODEL_LOAD', `${file}: ${m.name} has element type ${m.type}, which the V2 protocol cannot carry`);
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
  });
}

export interface LoadOptions {
  /** Threads per operator. 1 suits tiny models serving many small requests. */
  intraOpNumThreads?: number;
}

export async function loadModel(modelDir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const file = await findModelFile(modelDir);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: opts.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw syError('SY_ERR_MODEL_LOAD', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const inputs = describe(session.inputMetadata, file);
  const outputs = describe(session.outputMetadata, file);
  const outputNames = outputs.map((o) => o.name);
  return {
    file,
    inputs,
    outputs,
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) {
        tensors[name] = new ort.Tensor(DATATYPES[f.datatype].ort, f.data as never, f.dims);
      }
      const result = await session.run(tensors, outputNames);
      const out: Record<string, RunOutput> = {};
      for (const name of outputNames) {
        const t = result[name]!;
        out[name] = { data: t.data as TensorData, dims: t.dims };
      }
      return out;
    },
    close: () => session.release(),
  };
}

