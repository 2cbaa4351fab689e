// The prediction log's writer (src/store/predictions-write.ts) on its own: CPU per row written to
// SQLite, with one row per INSERT statement against several rows per statement, alternating in
// one run on fresh database files (this machine is shared: only the side-by-side ratio counts).
// Rows look like the gateway's at defaults: a request id, the route, a revision and its digest,
// the status, latency and a small JSON answer; no input (no policy keeps one), no unit key.
// Run: node --import tsx bench/prediction-log.ts [--rows 200000] [--rounds 5] [--group 32]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.ts';
import { randomUUID } from 'node:crypto';
import { encodeRow, PredictionWriter } from '../src/store/predictions-write.ts';

const values = benchArgs(import.meta.url, { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' }, group: { type: 'string', default: '32' } });
const ROWS = Number(values.rows);
const BATCH = 500; // the log's default batchSize: rows per postMessage and per transaction
const work = mkdtempSync(join(tmpdir(), 'sy-bench-log-'));

const start = Date.now();
const flat: unknown[] = [];
for (let i = 0; i < ROWS; i++) {
  const candidate = i % 10 === 0;
  encodeRow({
    requestId: randomUUID(), time: start + i, namespace: 'bench', service: 'split', route: 'split-route', variant: candidate ? 'latest' : 'prev',
    revision: candidate ? 'split-predictor-00002' : 'split-predictor-00001', digest: `sha256:${'ab'.repeat(32)}`, role: 'primary', status: 200,
    latencyMs: 0.8 + (i % 7) / 10, output: `{"predictions":[${i % 3}]}`,
  }, flat);
}
const batches: unknown[][] = [];
for (let i = 0; i < ROWS; i += BATCH) batches.push(flat.slice(i * 17, Math.min(ROWS, i + BATCH) * 17));

function round(rowsPerStatement: number, n: number): number {
  const path = join(work, `${rowsPerStatement}-${n}.db`);
  const writer = new PredictionWriter(path, { batchSize: BATCH, maxBodyBytes: 65536, retentionMs: 86_400_000, hashKey: new Uint8Array(32), policies: [], joinWindowMs: 60_000, scanRows: 100_000, rowsPerStatement });
  const cpu = process.cpuUsage();
  let written = 0;
  for (const b of batches) written += writer.writeAll(b).written;
  const used = process.cpuUsage(cpu);
  writer.close();
  if (written !== ROWS) throw new Error(`wrote ${written} of ${ROWS} rows`);
  return (used.user + used.system) / ROWS;
}

const group = Number(values.group);
const results: Record<string, number[]> = { one: [], group: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  results.one!.push(round(1, r));
  results.group!.push(round(group, r));
}
rmSync(work, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
console.log(`prediction log writer, ${ROWS} rows per round, ${BATCH} per transaction, CPU µs per row (user + system):`);
console.log(`  1 row per INSERT:       median ${median(results.one!).toFixed(2)}  (${fmt(results.one!)})`);
console.log(`  ${group} rows per INSERT:      median ${median(results.group!).toFixed(2)}  (${fmt(results.group!)})`);
console.log(`  ratio (${group} rows / 1 row): ${(median(results.group!) / median(results.one!)).toFixed(2)}`);
