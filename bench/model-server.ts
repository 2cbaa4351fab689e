// Benchmark: the iris model behind the model server (one process), with and
// without dynamic batching, against a minimal node:http server that returns
// constant JSON (the ceiling). Load: wrk, concurrency 32, V1 predict of one row.
// Run: node --import tsx bench/model-server.ts [--duration 5] [--rounds 3] [--connections 32]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '5' },
  rounds: { type: 'string', default: '3' },
  connections: { type: 'string', default: '32' },
  threads: { type: 'string', default: '1' },
} });
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'sy-bench-'));
const BODY = '{"instances":[[6.8,2.8,4.8,1.4]]}';

const ceilingSource = `
import { createServer } from 'node:http';
const body = '{"predictions":[1]}';
const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
const server = createServer((req, res) => { res.writeHead(200, headers); res.end(body); });
server.listen(0, '127.0.0.1', () => console.error('PORT ' + server.address().port));
`;
const modelServerSource = (batching: string) => `
import { startModelServer } from './src/runtime/modelserver/index.ts';
const s = await startModelServer({ modelDir: 'examples/models/iris-v1', name: 'iris', port: 0, batching: ${batching} });
await s.ready;
console.error('PORT ' + s.port);
`;

interface Target { name: string; source: string; path: string }
const targets: Target[] = [
  { name: 'ceiling (constant JSON)', source: ceilingSource, path: '/' },
  { name: 'iris, unbatched', source: modelServerSource('false'), path: '/v1/models/iris:predict' },
  { name: 'iris, batched (default 32 rows / 0 ms)', source: modelServerSource('{ maxBatchSize: 32, maxDelayMs: 0 }'), path: '/v1/models/iris:predict' },
];

/** Starts a server in its own process; stdout (the access log) goes to a file, as under the supervisor. */
async function startServer(t: Target, i: number): Promise<{ child: ChildProcess; port: number }> {
  const log = openSync(join(work, `server-${i}.log`), 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', t.source], { cwd: root, stdio: ['ignore', log, 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = err.match(/PORT (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${t.name} exited ${code}: ${err}`)));
  });
  return { child, port };
}

function wrk(port: number, path: string, seconds: string): { rps: number; p50: string; p99: string } {
  const script = join(work, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${BODY}'\nwrk.headers["Content-Type"] = "application/json"\n`);
  const out = execFileSync('wrk', ['-t', values.threads, '-c', values.connections, '-d', `${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx) throw new Error(`${non2xx[1]} failed responses:\n${out}`);
  return { rps, p50: out.match(/^\s+50%\s+(\S+)/m)?.[1] ?? '?', p99: out.match(/^\s+99%\s+(\S+)/m)?.[1] ?? '?' };
}

try {
  execFileSync('which', ['wrk']);
} catch {
  console.error('wrk not found: apt-get install -y wrk');
  process.exit(1);
}

const servers = await Promise.all(targets.map(startServer));
const results = targets.map(() => [] as number[]);
try {
  for (const [i, s] of servers.entries()) wrk(s.port, targets[i]!.path, '1'); // warm-up (JIT, connections)
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [i, s] of servers.entries()) {
      const r = wrk(s.port, targets[i]!.path, values.duration);
      results[i]!.push(r.rps);
      console.log(`round ${round}  ${targets[i]!.name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50}  p99 ${r.p99}`);
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ceiling = median(results[0]!);
console.log(`\nwrk -t${values.threads} -c${values.connections} -d${values.duration}s, ${values.rounds} alternating rounds, median req/s:`);
console.log('| target | req/s (median) | runs | × ceiling |\n|---|---|---|---|');
targets.forEach((t, i) => {
  const m = median(results[i]!);
  console.log(`| ${t.name} | ${m.toFixed(0)} | ${results[i]!.map((x) => x.toFixed(0)).join(', ')} | ${(m / ceiling).toFixed(2)} |`);
});
