// The prediction log's worker thread: owns a PredictionWriter (its own SQLite
// connection) and answers each batch with what was written, so the main
// thread can keep its counters and bound what is in flight.
import { parentPort, workerData } from 'node:worker_threads';
import type { PredictionEntry } from './predictions.ts';
import { PredictionWriter, type WriterConfig, type WriteResult } from './predictions-write.ts';

export type WorkerRequest = { seq: number; rows: PredictionEntry[]; nowMs: number } | { close: true };
export type WorkerReply = ({ seq: number } & WriteResult) | { closed: true };

const { path, cfg } = workerData as { path: string; cfg: WriterConfig };
const writer = new PredictionWriter(path, cfg);
const port = parentPort!;

port.on('message', (m: WorkerRequest) => {
  if ('close' in m) {
    writer.close();
    port.postMessage({ closed: true } satisfies WorkerReply);
    port.close();
    return;
  }
  port.postMessage({ seq: m.seq, ...writer.writeAll(m.rows, m.nowMs) } satisfies WorkerReply);
});
