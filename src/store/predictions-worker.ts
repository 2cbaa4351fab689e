// The prediction log's worker thread: owns a PredictionWriter (its own SQLite
// connection) and answers each batch with what was written, so the main
// thread can keep its counters and bound what is in flight.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { FeedbackEvent } from '../api/feedback.ts';
import type { PolicySource } from './predictions-policy.ts';
import { PredictionWriter, type WriterConfig, type WriteResult } from './predictions-write.ts';

/**
 * `rows`: predictions-write.ts encodeRow's flat encoding; `feedback`: a batch to join and store after
 * them; `policies` replace those in force; `prune` enforces retention.
 */
export type WorkerRequest =
  | { seq: number; nowMs: number; rows?: unknown[]; feedback?: { events: FeedbackEvent[]; receivedMs: number }; policies?: PolicySource[]; prune?: boolean }
  | { close: true };
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
  if (m.policies) writer.setPolicies(m.policies);
  const r: WriteResult = m.rows ? writer.writeAll(m.rows) : { written: 0, failed: 0 };
  if (m.feedback) Object.assign(r, writer.ingestFeedback(m.feedback.events, m.feedback.receivedMs));
  if (m.prune) {
    const p = writer.prune(m.nowMs);
    r.pruned = p.pruned ?? 0;
    r.feedbackPruned = p.feedbackPruned ?? 0;
    if (p.error !== undefined) r.error = p.error;
  }
  port.postMessage({ seq: m.seq, ...r } satisfies WorkerReply);
});
