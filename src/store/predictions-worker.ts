// The prediction log's worker thread: owns a PredictionWriter (its own SQLite
// connection) and answers each batch with what was written, so the main
// thread can keep its counters and bound what is in flight.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { PredictionWriter, type WriterConfig, type WriteResult } from './predictions-write.ts';

/** `rows`: predictions-write.ts encodeRow's flat encoding. */
export type WorkerRequest = { seq: number; rows: unknown[]; nowMs: number } | { close: true };
export type WorkerReply = ({ seq: number } & WriteResult) | { closed: true };

const { path, cfg } = workerData as { path: string; cfg: WriterConfig };
// On Linux the nice value is per thread: when the CPUs are busy, requests come
// before the log's writes (a writer that falls behind fills the bounded queue,
// which drops and counts). Elsewhere this fails harmlessly.
try {
  setPriority(0, 10);
} catch {
  // not permitted or not supported: the writer runs at the process's priority
}
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
