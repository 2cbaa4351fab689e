// Benchmark: the iris model behind the model server (one process), with and
// without dynamic batching, and an iris scikit-learn model behind the Python
// runtimes (MLServer as kserve-mlserver runs it, V2; KServe's SDK server as
// kserve-sklearnserver runs it, V1), against a minimal node:http server that
// returns constant JSON (the ceiling). Load: wrk, concurrency 32, one row per
// request. The Python environments come from the runtimes dir (installed on
// first use). Run:
// node --import tsx bench/model-server.ts [--duration 5] [--rounds 3] [--connections 32] [--runtimes-dir DIR]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.ts';
import { ENVIRONMENTS, KSERVE_SERVERS_DIR, defaultRuntimesDir } from '../src/runtime/python/environments.ts';
import { ensureEnvironment } from '../src/runtime/python/install.ts';
import { freePort } from '../src/runtime/supervisor/ports.ts';

const values = benchArgs(import.meta.url, {
  duration: { type: 'string', default: '5' },
  rounds: { type: 'string', default: '3' },
  connections: { type: 'string', default: '32' },
  threads: { type: 'string', default: '1' },
  'runtimes-dir': { type: 'string' },
});
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'sy-bench-'));
const V1_BODY = '{"instances":[[6.8,2.8,4.8,1.4]]}';
const V2_BODY = '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4]}]}';
const runtimesDir = values['runtimes-dir'] ?? defaultRuntimesDir('.switchyard');

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

/** A node target (source run with tsx, prints its port), or a Python runtime started as its ClusterServingRuntime starts it. */
interface Target { name: string; path: string; body: string; source?: string; python?: (port: number) => { argv: string[]; env: Record<string, string> } }

const env = (name: string) => ENVIRONMENTS.find((e) => e.name === name)!;
const targets: Target[] = [
  { name: 'ceiling (constant JSON)', source: ceilingSource, path: '/', body: V1_BODY },
  { name: 'iris ONNX, unbatched (V1)', source: modelServerSource('false'), path: '/v1/models/iris:predict', body: V1_BODY },
  { name: 'iris ONNX, batched 32 rows / 0 ms (V1)', source: modelServerSource('{ maxBatchSize: 32, maxDelayMs: 0 }'), path: '/v1/models/iris:predict', body: V1_BODY },
  { name: 'iris ONNX, batched (V2)', source: modelServerSource('{ maxBatchSize: 32, maxDelayMs: 0 }'), path: '/v2/models/iris/infer', body: V2_BODY },
];

/** Python targets: the sklearn iris model on MLServer (kserve-mlserver) and on KServe's SDK server (kserve-sklearnserver). */
async function pythonTargets(): Promise<Target[]> {
  const say = (line: string) => console.error(line);
  const mlserverDir = await ensureEnvironment(env('mlserver'), { runtimesDir, hint: 'switchyard runtimes install kserve-mlserver', onProgress: say });
  const kserveDir = await ensureEnvironment(env('kserve'), { runtimesDir, hint: 'switchyard runtimes install kserve-sklearnserver', onProgress: say });
  const modelDir = join(work, 'sklearn-iris');
  execFileSync(join(mlserverDir, 'bin', 'python'), ['-c', [
    'import joblib, os, sys', 'from sklearn.datasets import load_iris', 'from sklearn.linear_model import LogisticRegression',
    'X, y = load_iris(return_X_y=True)', 'os.makedirs(sys.argv[1], exist_ok=True)',
    'joblib.dump(LogisticRegression(max_iter=1000, random_state=0).fit(X, y), os.path.join(sys.argv[1], "model.joblib"))',
  ].join('\n'), modelDir]);
  return [
    {
      name: 'iris sklearn on MLServer, kserve-mlserver (V2)', path: '/v2/models/iris/infer', body: V2_BODY,
      python: (port) => ({
        argv: [join(mlserverDir, 'bin', 'mlserver'), 'start', modelDir],
        env: {
          MLSERVER_MODEL_NAME: 'iris', MLSERVER_MODEL_URI: modelDir, MLSERVER_MODEL_IMPLEMENTATION: 'mlserver_sklearn.SKLearnModel',
          MLSERVER_HOST: '127.0.0.1', MLSERVER_HTTP_PORT: String(port), MLSERVER_GRPC_PORT: '0', MLSERVER_METRICS_ENDPOINT: '', MLSERVER_PARALLEL_WORKERS: '0',
        },
      }),
    },
    {
      name: 'iris sklearn on KServe SDK, kserve-sklearnserver (V1)', path: '/v1/models/iris:predict', body: V1_BODY,
      python: (port) => ({
        argv: [join(kserveDir, 'bin', 'python'), join(KSERVE_SERVERS_DIR, 'sklearnserver.py'), '--model_name=iris', `--model_dir=${modelDir}`, `--http_port=${port}`, '--enable_grpc=false'],
        env: {},
      }),
    },
  ];
}

async function waitReady(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within 120 s`);
}

/** Starts a server in its own process; stdout (the access log) goes to a file, as under the supervisor. */
async function startServer(t: Target, i: number): Promise<{ child: ChildProcess; port: number }> {
  const log = openSync(join(work, `server-${i}.log`), 'w');
  if (t.python) {
    const port = await freePort();
    const { argv, env: extra } = t.python(port);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: work, stdio: ['ignore', log, log], env: { ...process.env, ...extra } });
    await waitReady(port, child, t.name);
    return { child, port };
  }
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', t.source!], { cwd: root, stdio: ['ignore', log, 'pipe'] });
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

function wrk(port: number, t: Target, seconds: string): { rps: number; p50: string; p99: string } {
  const script = join(work, `post-${port}.lua`);
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${t.body}'\nwrk.headers["Content-Type"] = "application/json"\n`);
  const path = t.path;
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

targets.push(...(await pythonTargets()));
const servers: { child: ChildProcess; port: number }[] = [];
for (const [i, t] of targets.entries()) servers.push(await startServer(t, i)); // one at a time: the Python servers load slowly on 2 cores
const results = targets.map(() => [] as number[]);
const latency: string[] = [];
try {
  for (const [i, s] of servers.entries()) wrk(s.port, targets[i]!, '1'); // warm-up (JIT, connections)
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [i, s] of servers.entries()) {
      const r = wrk(s.port, targets[i]!, values.duration);
      results[i]!.push(r.rps);
      latency[i] = `${r.p50} / ${r.p99}`;
      console.log(`round ${round}  ${targets[i]!.name.padEnd(52)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50}  p99 ${r.p99}`);
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ceiling = median(results[0]!);
console.log(`\nwrk -t${values.threads} -c${values.connections} -d${values.duration}s, ${values.rounds} alternating rounds, median req/s:`);
console.log('| target | req/s (median) | runs | × ceiling | p50 / p99 (last round) |\n|---|---|---|---|---|');
targets.forEach((t, i) => {
  const m = median(results[i]!);
  console.log(`| ${t.name} | ${m.toFixed(0)} | ${results[i]!.map((x) => x.toFixed(0)).join(', ')} | ${(m / ceiling).toFixed(2)} | ${latency[i] ?? ''} |`);
});
