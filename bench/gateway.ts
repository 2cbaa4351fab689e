// Benchmark: the Switchyard gateway against nginx on the same machine, same
// run, alternating. Upstreams are minimal node:http servers (constant JSON),
// each in its own process. Targets (wrk -c32):
//   (a) upstream A directly;
//   (b) Switchyard: VirtualService 90/10 weighted split between ServiceEntry
//       upstreams A and B, telemetry + prediction log on (and off, for the cost);
//   (c) nginx (worker_processes 1, split_clients 90/10, keepalive upstreams);
//   (d) Switchyard and nginx with a 100 % mirror to upstream C.
// Plus added p50 latency at concurrency 1 (Switchyard split vs direct), and
// reference processes doing the same split and nothing else (gateway-refs.ts).
// Run: node --import tsx bench/gateway.ts [--duration 5] [--rounds 3] [--connections 32] [--workers N]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.ts';
import { dispatchProxySource, h1ProxySource, helloSource, naiveProxySource } from './gateway-refs.ts';

const values = benchArgs(import.meta.url, {
  duration: { type: 'string', default: '5' },
  rounds: { type: 'string', default: '3' },
  connections: { type: 'string', default: '32' },
  // Also measure the gateway as N cluster workers sharing the port (each with its own telemetry and log).
  workers: { type: 'string', default: '1' },
});
const WORKERS = Number(values.workers);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'sy-bench-gw-'));
const BODY = '{"instances":[[6.8,2.8,4.8,1.4]]}';

for (const tool of ['wrk', 'nginx']) {
  try {
    execFileSync('which', [tool]);
  } catch {
    console.error(`${tool} not found: apt-get install -y ${tool}`);
    process.exit(1);
  }
}

const upstreamSource = `
import { createServer } from 'node:http';
const body = '{"predictions":[1]}';
const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, headers); res.end(body); }); });
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.error('PORT ' + server.address().port));
`;

const gatewaySource = (a: number, b: number, c: number, telemetry: boolean, workers = 1) => `
import cluster from 'node:cluster';
if (${workers} > 1 && cluster.isPrimary) {
  let n = 0;
  for (let i = 0; i < ${workers}; i++) cluster.fork().on('message', (m) => { if (++n === ${workers}) console.error('PORT ' + m); });
} else {
const { startGateway } = await import('${root}/src/gateway/server.ts');
const { EndpointRegistry } = await import('${root}/src/gateway/endpoints.ts');
const { compileIngress } = await import('${root}/src/gateway/ingress.ts');
const { compileRoutingTable } = await import('${root}/src/gateway/routing/compile.ts');
const { vsLookup } = await import('${root}/src/gateway/vs-route.ts');
const { TelemetryRecorder } = await import('${root}/src/gateway/telemetry/recorder.ts');
const { PredictionLog } = await import('${root}/src/store/predictions.ts');
const { gatewayObservers } = await import('${root}/src/gateway/telemetry/hooks.ts');
const se = (name, port) => ({ metadata: { namespace: 'bench', name }, spec: { hosts: [name + '.internal'], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: port } }] } });
const gw = ['knative-serving/knative-ingress-gateway'];
const split = [{ destination: { host: 'a.internal' }, weight: 90 }, { destination: { host: 'b.internal' }, weight: 10 }];
const routing = compileRoutingTable({ domain: 'example.com', version: 1, inferenceServices: [], destinationRules: [],
  serviceEntries: [se('a', ${a}), se('b', ${b}), se('c', ${c})],
  virtualServices: [
    { metadata: { namespace: 'bench', name: 'split' }, spec: { hosts: ['split.bench.example.com'], gateways: gw, http: [{ route: split }] } },
    { metadata: { namespace: 'bench', name: 'mirror' }, spec: { hosts: ['mirror.bench.example.com'], gateways: gw, http: [{ route: split, mirror: { host: 'c.internal' } }] } },
  ] });
if (routing.problems.length) throw new Error(JSON.stringify(routing.problems));
const snapshot = { ...compileIngress([], 'example.com', 1), vs: vsLookup(routing) };
let hooks = {};
if (${telemetry}) {
  const predictions = new PredictionLog({ path: ${JSON.stringify(join(work, 'predictions'))} + (cluster.worker?.id ?? 0) + '-${workers}.db' });
  const telemetry = new TelemetryRecorder({ predictionsDropped: () => predictions.dropped });
  // Exactly what \`switchyard up\` wires (output sampling, telemetry, prediction log).
  hooks = gatewayObservers(telemetry, predictions);
}
const g = await startGateway({ port: 0, ingress: () => snapshot, endpoints: new EndpointRegistry(), ...hooks });
if (cluster.isWorker) process.send(g.port); else console.error('PORT ' + g.port);
}
`;

const nginxConf = (a: number, b: number, c: number, splitPort: number, mirrorPort: number) => `
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  upstream a { server 127.0.0.1:${a}; keepalive 64; }
  upstream b { server 127.0.0.1:${b}; keepalive 64; }
  upstream c { server 127.0.0.1:${c}; keepalive 64; }
  split_clients "$request_id" $backend { 90% a; * b; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  server {
    listen 127.0.0.1:${splitPort};
    location / { proxy_pass http://$backend; }
  }
  server {
    listen 127.0.0.1:${mirrorPort};
    location / { mirror /mirror; mirror_request_body on; proxy_pass http://$backend; }
    location = /mirror { internal; proxy_pass http://c$request_uri; }
  }
}
`;

function waitForPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = err.match(/PORT (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${err}`)));
  });
}

let scripts = 0;
async function startNode(name: string, source: string): Promise<{ child: ChildProcess; port: number }> {
  // A file, not -e: cluster workers re-run the primary's script.
  const file = join(work, `process-${++scripts}.mjs`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  return { child, port: await waitForPort(child, name) };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Result { rps: number; p50ms: number; p99ms: number; requests: number; cpuUs?: number; mainUs?: number }

/** CPU time (user + system, all threads) of the processes, in µs: Linux /proc, clock ticks of 10 ms. */
function cpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10_000;
}

/** CPU time of one thread (its main thread: tid = pid), in µs: what the request path itself costs, without helper threads. */
function threadUs(pid: number, tid = pid): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** nginx's worker processes (children of the master we started). */
const childPids = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const ms = (s: string | undefined): number => {
  const m = /([\d.]+)(us|ms|s)/.exec(s ?? '');
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
};

function wrk(port: number, host: string, seconds: string, connections: string): Result {
  const script = join(work, `post-${host}.lua`);
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${BODY}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Host"] = "${host}"\n`);
  const out = execFileSync('wrk', ['-t', '1', '-c', connections, '-d', `${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/v1/models/iris:predict`], { encoding: 'utf8' });
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx) throw new Error(`${non2xx[1]} failed responses from ${host}:${port}:\n${out}`);
  return { requests: Number(out.match(/(\d+) requests in/)?.[1]), rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]), p50ms: ms(out.match(/^\s*50%\s+(\S+)/m)?.[1]), p99ms: ms(out.match(/^\s*99%\s+(\S+)/m)?.[1]) };
}

const children: ChildProcess[] = [];
try {
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => startNode(`upstream ${n}`, upstreamSource)));
  children.push(a!.child, b!.child, c!.child);
  const syOn = await startNode('switchyard (telemetry on)', gatewaySource(a!.port, b!.port, c!.port, true));
  const syOff = await startNode('switchyard (telemetry off)', gatewaySource(a!.port, b!.port, c!.port, false));
  const naive = await startNode('naive node proxy', naiveProxySource(root, a!.port, b!.port));
  const viaDispatch = await startNode('node:http + undici dispatch proxy', dispatchProxySource(root, a!.port, b!.port));
  const viaH1 = await startNode('node:http + h1 client proxy', h1ProxySource(root, a!.port, b!.port));
  const hello = await startNode('node:http answering', helloSource);
  children.push(naive.child, viaDispatch.child, viaH1.child, hello.child);
  const syOnN = WORKERS > 1 ? await startNode(`switchyard (${WORKERS} workers, telemetry on)`, gatewaySource(a!.port, b!.port, c!.port, true, WORKERS)) : undefined;
  children.push(syOn.child, syOff.child, ...(syOnN ? [syOnN.child] : []));
  const [splitPort, mirrorPort] = [await freePort(), await freePort()];
  writeFileSync(join(work, 'nginx.conf'), nginxConf(a!.port, b!.port, c!.port, splitPort, mirrorPort));
  const nginx = spawn('nginx', ['-p', work, '-c', join(work, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(nginx);
  await new Promise((r) => setTimeout(r, 500));

  const targets = [
    { key: 'a', name: '(a) upstream directly', port: a!.port, host: 'upstream', pids: [] as number[] },
    { key: 'b', name: '(b) Switchyard 90/10 split, telemetry + prediction log', port: syOn.port, host: 'split.bench.example.com', pids: [syOn.child.pid!] },
    ...(syOnN ? [
      { key: 'bN', name: `(b) Switchyard 90/10 split, ${WORKERS} workers, telemetry`, port: syOnN.port, host: 'split.bench.example.com', pids: [syOnN.child.pid!, ...childPids(syOnN.child.pid!)] },
      { key: 'dN', name: `(d) Switchyard split + mirror, ${WORKERS} workers, telemetry`, port: syOnN.port, host: 'mirror.bench.example.com', pids: [syOnN.child.pid!, ...childPids(syOnN.child.pid!)] },
    ] : []),
    { key: 'b0', name: '(b) Switchyard 90/10 split, no telemetry', port: syOff.port, host: 'split.bench.example.com', pids: [syOff.child.pid!] },
    { key: 'c', name: '(c) nginx split_clients 90/10', port: splitPort, host: 'split', pids: childPids(nginx.pid!) },
    { key: 'n', name: '(ref) naive node:http + undici proxy, 90/10', port: naive.port, host: 'split', pids: [naive.child.pid!] },
    { key: 'nd', name: '(ref) node:http + undici dispatch, 90/10, nothing else', port: viaDispatch.port, host: 'split', pids: [viaDispatch.child.pid!] },
    { key: 'nh', name: "(ref) node:http + the gateway's h1 client, 90/10, nothing else", port: viaH1.port, host: 'split', pids: [viaH1.child.pid!] },
    { key: 'h', name: '(floor) node:http answering itself, no upstream', port: hello.port, host: 'hello', pids: [hello.child.pid!] },
    { key: 'd', name: '(d) Switchyard split + 100 % mirror, telemetry', port: syOn.port, host: 'mirror.bench.example.com', pids: [syOn.child.pid!] },
    { key: 'dn', name: '(d) nginx split + 100 % mirror', port: mirrorPort, host: 'mirror', pids: childPids(nginx.pid!) },
  ];
  const results = new Map<string, Result[]>(targets.map((t) => [t.key, []]));
  for (const t of targets) wrk(t.port, t.host, '1', values.connections); // warm-up (JIT, pools)
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const t of targets) {
      // The proxy's own CPU per request (all its threads) is steadier than req/s on a shared machine.
      const cpu0 = t.pids.length ? cpuUs(t.pids) : 0;
      const main0 = t.pids.length ? threadUs(t.pids[0]!) : 0;
      const r = wrk(t.port, t.host, values.duration, values.connections);
      if (t.pids.length) r.cpuUs = (cpuUs(t.pids) - cpu0) / r.requests;
      if (t.pids.length) r.mainUs = (threadUs(t.pids[0]!) - main0) / r.requests;
      results.get(t.key)!.push(r);
      console.log(`round ${round}  ${t.name.padEnd(56)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms${r.cpuUs !== undefined ? `  proxy CPU ${r.cpuUs.toFixed(1)} µs/req (main thread ${r.mainUs!.toFixed(1)})` : ''}`);
    }
  }
  // Added latency at concurrency 1: Switchyard's split vs the upstream directly, alternating.
  const c1 = { direct: [] as number[], sy: [] as number[] };
  for (let round = 0; round < Number(values.rounds); round++) {
    c1.direct.push(wrk(a!.port, 'upstream', values.duration, '1').p50ms);
    c1.sy.push(wrk(syOn.port, 'split.bench.example.com', values.duration, '1').p50ms);
  }

  const median = (all: number[]) => {
    const xs = all.filter(Number.isFinite).sort((x, y) => x - y);
    return xs.length ? xs[Math.floor(xs.length / 2)]! : NaN;
  };
  const rps = (k: string) => median(results.get(k)!.map((r) => r.rps));
  console.log(`\nwrk -t1 -c${values.connections} -d${values.duration}s, ${values.rounds} alternating rounds, median req/s:`);
  console.log('| target | req/s (median) | runs | p50 ms | p99 ms | proxy CPU µs/req (median) |\n|---|---|---|---|---|---|');
  const cpu = (k: string) => median(results.get(k)!.map((r) => r.cpuUs ?? NaN));
  for (const t of targets) {
    const rs = results.get(t.key)!;
    console.log(`| ${t.name} | ${rps(t.key).toFixed(0)} | ${rs.map((r) => r.rps.toFixed(0)).join(', ')} | ${median(rs.map((r) => r.p50ms)).toFixed(2)} | ${median(rs.map((r) => r.p99ms)).toFixed(2)} | ${t.pids.length ? cpu(t.key).toFixed(1) : '–'} |`);
  }
  console.log('\n| ratio | value | target |\n|---|---|---|');
  console.log(`| Switchyard split (telemetry on) / nginx split | ${(rps('b') / rps('c')).toFixed(2)} | ≥ 0.6 (aim 0.8) |`);
  console.log(`| naive node proxy split / nginx split (the issue measured ≈ 0.5) | ${(rps('n') / rps('c')).toFixed(2)} | – |`);
  console.log(`| Switchyard split (telemetry on) / naive node proxy | ${(rps('b') / rps('n')).toFixed(2)} | – |`);
  console.log(`| the gateway's h1 client / undici dispatch, same minimal proxy (req/s; CPU per request) | ${(rps('nh') / rps('nd')).toFixed(2)}; ${(cpu('nh') / cpu('nd')).toFixed(2)} | – |`);
  console.log(`| minimal proxy with the h1 client / nginx split | ${(rps('nh') / rps('c')).toFixed(2)} | – |`);
  console.log(`| Switchyard split (telemetry on) / minimal proxy with the h1 client (what routing, ids, telemetry and the log cost) | ${(rps('b') / rps('nh')).toFixed(2)} | – |`);
  console.log(`| node:http answering itself / nginx proxying (CPU per request) | ${(cpu('h') / cpu('c')).toFixed(2)} | – |`);
  console.log(`| Switchyard mirror / nginx mirror | ${(rps('d') / rps('dn')).toFixed(2)} | ≥ 1.5 |`);
  if (syOnN) console.log(`| ${WORKERS} workers / 1 process (split, mirror) | ${(rps('bN') / rps('b')).toFixed(2)}, ${(rps('dN') / rps('d')).toFixed(2)} | – |`);
  const main = (k: string) => median(results.get(k)!.map((r) => r.mainUs ?? NaN));
  console.log(`| telemetry + prediction log cost (1 − on/off) | ${((1 - rps('b') / rps('b0')) * 100).toFixed(1)} % (CPU per request: +${((cpu('b') / cpu('b0') - 1) * 100).toFixed(1)} %) | ≤ 10 % |`);
  // With a core to spare for the log's writer thread, throughput is bound by the request thread alone.
  console.log(`| telemetry + prediction log cost on the request thread (1 − main-thread CPU off/on) | ${((1 - main('b0') / main('b')) * 100).toFixed(1)} % (${main('b').toFixed(1)} vs ${main('b0').toFixed(1)} µs/req; the writer thread: ${(cpu('b') - main('b') - (cpu('b0') - main('b0'))).toFixed(1)} µs/req) | ≤ 10 % on a quiet host |`);
  console.log(`| proxy CPU per request, Switchyard split / nginx split | ${(cpu('b') / cpu('c')).toFixed(2)} | – |`);
  console.log(`| added p50 at concurrency 1 (median of ${values.rounds}) | ${(median(c1.sy) - median(c1.direct)).toFixed(3)} ms (${median(c1.sy).toFixed(3)} vs ${median(c1.direct).toFixed(3)}) | ≤ 0.12 ms |`);
} finally {
  for (const ch of children) ch.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(work, { recursive: true, force: true });
}
