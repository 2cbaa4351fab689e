// The one model this process serves: its name, load state and how it runs.
// The KServe error wording lives here because every protocol shares it.
import { syError } from '../../core/errors.ts';
import { Batcher, canBatch, type BatchingOptions, type Feed } from './batcher.ts';
import type { LoadedModel, RunOutput } from './model.ts';

export type LoadState = { phase: 'loading' } | { phase: 'ready'; model: LoadedModel } | { phase: 'failed'; reason: string };

export class ServedModel {
  state: LoadState = { phase: 'loading' };
  private batcher: Batcher | undefined;

  constructor(
    readonly name: string,
    readonly version: string,
    private readonly batching: BatchingOptions | false,
    readonly outputName: string | undefined,
  ) {}

  setReady(model: LoadedModel): void {
    if (this.outputName !== undefined && !model.outputs.some((o) => o.name === this.outputName)) {
      throw syError('SY_ERR_MODEL_LOAD', `--output ${this.outputName} is not an output of ${model.file} (outputs: ${model.outputs.map((o) => o.name).join(', ')})`);
    }
    this.batcher = this.batching && canBatch(model) ? new Batcher(model, this.batching) : undefined;
    this.state = { phase: 'ready', model };
  }

  setFailed(reason: string): void {
    this.state = { phase: 'failed', reason };
  }

  get batched(): boolean {
    return this.batcher !== undefined;
  }

  /** 404 unless `name` is this model (KServe's ModelNotFound wording). */
  checkName(name: string): void {
    if (name !== this.name) throw syError('SY_ERR_MODEL_NOT_FOUND', `Model with name ${name} does not exist.`);
  }

  /** The loaded model, or 503 with KServe's ModelNotReady wording. */
  readyModel(name: string): LoadedModel {
    this.checkName(name);
    if (this.state.phase === 'ready') return this.state.model;
    const detail = this.state.phase === 'failed' ? ` ${this.state.reason}` : '';
    throw syError('SY_ERR_MODEL_NOT_READY', `Model with name ${name} is not ready.${detail}`);
  }

  /** Runs one validated request, through the batcher when batching applies. */
  infer(model: LoadedModel, feeds: Record<string, Feed>): Promise<Record<string, RunOutput>> {
    if (this.batcher) {
      const only = feeds[model.inputs[0]!.name];
      if (only) return this.batcher.submit(only);
    }
    return model.run(feeds);
  }
}
