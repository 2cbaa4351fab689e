// Dynamic batching: requests for a single-input model whose first dimension is
// the batch are concatenated along that dimension and run together, then each
// request gets back its own rows of every output. A batch closes when it holds
// maxBatchSize rows or maxDelayMs after its first request (0 = the end of the
// current event-loop turn, which gathers what arrived in the same I/O poll).
// A batch that fails is retried request by request, so an input the model
// refuses fails only its own request.
import { syError } from '../../core/errors.ts';
import { DATATYPES, type TensorData, type V2Datatype } from './datatypes.ts';
import type { LoadedModel, RunOutput } from './model.ts';

export interface BatchingOptions {
  maxBatchSize: number;
  maxDelayMs: number;
}

export interface Feed {
  data: TensorData;
  dims: number[];
  datatype: V2Datatype;
}

interface Pending {
  feed: Feed;
  resolve: (out: Record<string, RunOutput>) => void;
  reject: (err: unknown) => void;
}

/** Batching is only sound when the batch axis is the first, dynamic axis of the one input and every output. */
export function canBatch(model: LoadedModel): boolean {
  return model.inputs.length === 1 && model.inputs[0]!.shape[0] === -1 && model.outputs.every((o) => o.shape[0] === -1);
}

function concat(feeds: Pending[], rows: number): Feed {
  const first = feeds[0]!.feed;
  const total = feeds.reduce((n, p) => n + p.feed.data.length, 0);
  const data = DATATYPES[first.datatype].alloc(total);
  let at = 0;
  for (const { feed } of feeds) {
    if (Array.isArray(data)) for (let i = 0; i < feed.data.length; i++) data[at + i] = feed.data[i] as string;
    else (data as Float32Array).set(feed.data as Float32Array, at);
    at += feed.data.length;
  }
  return { data, dims: [rows, ...first.dims.slice(1)], datatype: first.datatype };
}

export class Batcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private scheduled = false;
  private readonly inputName: string;
  private readonly flushNow = () => this.flush();

  constructor(private readonly model: LoadedModel, private readonly opts: BatchingOptions) {
    this.inputName = model.inputs[0]!.name;
  }

  submit(feed: Feed): Promise<Record<string, RunOutput>> {
    const rows = feed.dims[0]!;
    if (rows >= this.opts.maxBatchSize) return this.model.run({ [this.inputName]: feed });
    return new Promise((resolve, reject) => {
      // Requests with different trailing dims (e.g. a variable second axis) cannot share a batch.
      const head = this.queue[0];
      if (head && !sameTrailingDims(head.feed, feed)) this.flush();
      this.queue.push({ feed, resolve, reject });
      this.queuedRows += rows;
      if (this.queuedRows >= this.opts.maxBatchSize) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.opts.maxDelayMs > 0) setTimeout(this.flushNow, this.opts.maxDelayMs);
    else setImmediate(this.flushNow);
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      let rows = 0;
      let take = 0;
      while (take < this.queue.length) {
        const n = this.queue[take]!.feed.dims[0]!;
        if (take > 0 && rows + n > this.opts.maxBatchSize) break;
        rows += n;
        take++;
      }
      const batch = this.queue.splice(0, take);
      this.queuedRows -= rows;
      this.runBatch(batch, rows);
    }
  }

  private runBatch(batch: Pending[], rows: number): void {
    const feed = batch.length === 1 ? batch[0]!.feed : concat(batch, rows);
    this.model.run({ [this.inputName]: feed }).then(
      (out) => {
        if (batch.length === 1) return batch[0]!.resolve(out);
        const outputs = Object.entries(out);
        for (const [name, o] of outputs) {
          if (o.dims[0] !== rows) throw syError('SY_ERR_INTERNAL', `output ${name} has ${o.dims[0]} rows for a batch of ${rows}`);
        }
        let offset = 0;
        for (const p of batch) {
          const n = p.feed.dims[0]!;
          const mine: Record<string, RunOutput> = {};
          for (const [name, o] of outputs) {
            const rowSize = o.data.length / rows;
            const data = Array.isArray(o.data)
              ? o.data.slice(offset * rowSize, (offset + n) * rowSize)
              : (o.data as Float32Array).subarray(offset * rowSize, (offset + n) * rowSize);
            mine[name] = { data, dims: [n, ...o.dims.slice(1)] };
          }
          offset += n;
          p.resolve(mine);
        }
      },
    ).catch((err: unknown) => {
      // One request's rows must not fail the others': a failed batch is run again request by request.
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const p of batch) this.runBatch([p], p.feed.dims[0]!);
    });
  }
}

function sameTrailingDims(a: Feed, b: Feed): boolean {
  if (a.dims.length !== b.dims.length || a.datatype !== b.datatype) return false;
  for (let i = 1; i < a.dims.length; i++) if (a.dims[i] !== b.dims[i]) return false;
  return true;
}
