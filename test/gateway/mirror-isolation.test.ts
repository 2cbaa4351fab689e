// A bad shadow must not hurt the primary: for a shadow that is down, slow,
// hanging, erroring or not reading, the primary's status codes stay 200 and
// its p99 under concurrency stays within 10 % of the same route without a
// mirror, measured in the same run: every load worker alternates between the
// mirrored host and the plain one request by request, so a stall of this
// shared machine (GC, other processes) lands on both sides alike and the
// comparison isolates what the mirror does to its own request. A p99 is a
// tail statistic, so the run is done in three rounds and the median of the
// rounds' ratios is what must stay within 10 %. What a bad
// shadow could cost everyone (copies piling up) is bounded by the in-flight
// cap, which the hanging and not-reading cases must reach. The upstreams run
// in a child process (as real model servers would), the gateway and the load
// generator in this one.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileIngress } from '../../src/gateway/ingress.ts';
import { compileRoutingTable } from '../../src/gateway/routing/compile.ts';
import type { ServiceEntryInput } from '../../src/gateway/routing/destinations.ts';
import { startGateway, type MirrorRecord } from '../../src/gateway/server.ts';
import { vsLookup } from '../../src/gateway/vs-route.ts';

/** A model-like primary (answers after PRIMARY_MS) and four misbehaving shadows, in their own process. */
const PRIMARY_MS = 20;
const UPSTREAMS = `
const http = require('node:http'), net = require('node:net');
const listen = (s) => new Promise((r) => s.listen(0, '127.0.0.1', () => r(s.address().port)));
const answer = (delay, status) => http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { if (delay < 0) return; setTimeout(() => { res.writeHead(status, { 'content-type': 'application/json' }); res.end('{"predictions":[1]}'); }, delay); });
});
(async () => {
  const ports = {
    primary: await listen(answer(${PRIMARY_MS}, 200)),
    slow: await listen(answer(1000, 200)),
    hanging: await listen(answer(-1, 200)),
    erroring: await listen(answer(0, 500)),
    notReading: await listen(net.createServer({ pauseOnConnect: true }, () => {})),
  };
  process.stdout.write(JSON.stringify(ports) + '\\n');
})();
`;

let child: ChildProcess;
let ports: Record<string, number>;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

before(async () => {
  child = spawn(process.execPath, ['-e', UPSTREAMS], { stdio: ['ignore', 'pipe', 'inherit'] });
  ports = await new Promise((resolve) => child.stdout!.once('data', (d) => resolve(JSON.parse(String(d)))));
  ports.down = await freePort();
});

after(() => {
  child.kill();
});

const se = (name: string, port: number): ServiceEntryInput => ({
  metadata: { namespace: 'ns', name },
  spec: { hosts: [`${name}.internal`], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: port } }] },
});

/** Gateway with host plain.ns (no mirror) and mirrored.ns (100 % mirror to the given shadow). */
async function gatewayWithShadow(shadow: string, mirrored: MirrorRecord[], dropped: string[]) {
  const routing = compileRoutingTable({
    domain: 'example.com', version: 1, inferenceServices: [], destinationRules: [],
    serviceEntries: [se('primary', ports.primary!), se(shadow, ports[shadow]!)],
    virtualServices: [
      { metadata: { namespace: 'ns', name: 'plain' }, spec: { hosts: ['plain.ns.example.com'], gateways: ['knative-serving/knative-ingress-gateway'], http: [{ route: [{ destination: { host: 'primary.internal' } }] }] as never } },
      { metadata: { namespace: 'ns', name: 'mirrored' }, spec: { hosts: ['mirrored.ns.example.com'], gateways: ['knative-serving/knative-ingress-gateway'], http: [{ route: [{ destination: { host: 'primary.internal' } }], mirror: { host: `${shadow}.internal` } }] as never } },
    ],
  });
  assert.deepEqual(routing.problems, []);
  const snapshot = { ...compileIngress([], 'example.com', 1), vs: vsLookup(routing)! };
  return startGateway({ port: 0, ingress: () => snapshot, endpoints: new EndpointRegistry(), onMirrorResponse: (r) => mirrored.push(r), onMirrorDropped: (_n, _s, reason) => dropped.push(reason) });
}

const CONCURRENCY = 16;
/** Requests per side and round; p99 is then the 7th slowest. */
const PER_SIDE = 700;
const ROUNDS = 3;
const BODY = JSON.stringify({ instances: Array.from({ length: 32 }, (_, i) => [i, i + 1, i + 2, i + 3]) });

/** 2 × PER_SIDE requests at CONCURRENCY, alternating hosts request by request; latencies (ms) per host and statuses. */
async function interleaved(pool: Pool, hosts: [string, string], latencies: [number[], number[]], statuses: Map<number, number>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < 2 * PER_SIDE; i = next++) {
      const side = i % 2;
      const t = performance.now();
      const r = await pool.request({ path: '/v1/models/m:predict', method: 'POST', headers: { host: hosts[side]!, 'content-type': 'application/json' }, body: BODY });
      await r.body.dump();
      latencies[side]!.push(performance.now() - t);
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;

describe('a bad shadow does not hurt the primary', () => {
  for (const shadow of ['down', 'slow', 'hanging', 'erroring', 'notReading']) {
    it(`shadow ${shadow}: primary all 200, p99 within 10 % of no mirror`, async (t) => {
      const mirrored: MirrorRecord[] = [];
      const dropped: string[] = [];
      const gw = await gatewayWithShadow(shadow, mirrored, dropped);
      const pool = new Pool(`http://127.0.0.1:${gw.port}`, { connections: CONCURRENCY });
      try {
        const statuses = new Map<number, number>();
        await pool.request({ path: '/', method: 'POST', headers: { host: 'plain.ns.example.com' }, body: BODY }).then((r) => r.body.dump()); // warm-up
        const rounds: Array<[number, number]> = [];
        for (let round = 0; round < ROUNDS; round++) {
          const base: number[] = [];
          const withMirror: number[] = [];
          await interleaved(pool, ['plain.ns.example.com', 'mirrored.ns.example.com'], [base, withMirror], statuses);
          rounds.push([p99(base), p99(withMirror)]);
        }
        assert.deepEqual([...statuses], [[200, 2 * PER_SIDE * ROUNDS]]);
        const ratio = rounds.map(([a, b]) => b / a).sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
        const text = rounds.map(([a, b]) => `${a.toFixed(2)} → ${b.toFixed(2)} ms`).join(', ');
        t.diagnostic(`p99 without → with a ${shadow} shadow per round: ${text}; median ratio ${ratio.toFixed(3)}; copies answered ${mirrored.length}, dropped ${dropped.length}`);
        assert.ok(ratio <= 1.1, `p99 without → with a ${shadow} shadow per round: ${text} (median ratio ${ratio.toFixed(3)})`);
        // The shadow really was exercised (copies answered, failed, or still held).
        if (shadow === 'down') assert.ok(mirrored.length > 0 && mirrored.every((m) => m.status === 502 && m.errorClass === 'upstream'));
        if (shadow === 'erroring') assert.ok(mirrored.length > 0 && mirrored.every((m) => m.status === 500));
        if (shadow === 'hanging' || shadow === 'notReading') assert.ok(dropped.includes('overloaded'), 'the in-flight cap was reached');
      } finally {
        await pool.close();
        await gw.close(200);
      }
    });
  }
});
