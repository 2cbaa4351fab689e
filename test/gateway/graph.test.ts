// InferenceGraph routing through the real gateway: real node:http model
// servers behind the ingress table, graphs compiled as LocalIngress does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { EndpointRegistry } from '../../src/gateway/endpoints.ts';
import { compileGraph, type GraphSpecInput } from '../../src/gateway/graph/compile.ts';
import { compileIngress, type IngressService, type IngressTable } from '../../src/gateway/ingress.ts';
import { startGateway, type Gateway, type ResponseRecord } from '../../src/gateway/server.ts';

/** A model server: `ok` answers {predictions:[name], input, path}; `fail` answers 500 {error}. */
async function model(name: string, fail = false): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let input: unknown = text;
      try { input = JSON.parse(text); } catch { /* echo raw */ }
      res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fail ? { error: `${name} broke` } : { predictions: [name], input, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const svc = (name: string): IngressService => ({
  namespace: 'ns', name, scaleFromZero: false, activatorTimeoutMs: 500,
  traffic: [{ revisionName: `${name}-predictor-00001`, percent: 100, latestRevision: true }],
});

const GRAPHS: Record<string, GraphSpecInput> = {
  seq: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { serviceName: 'b', data: '$response' }, { serviceName: 'c' }] } } },
  two: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'a' }, { serviceName: 'b', data: '$response' }] } } },
  seqsoft: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'broken' }, { serviceName: 'a', data: '$response' }] } } },
  seqhard: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'broken', dependency: 'Hard' }, { serviceName: 'a' }] } } },
  split: { nodes: { root: { routerType: 'Splitter', steps: [{ serviceName: 'a', weight: 30 }, { serviceName: 'b', weight: 70 }] } } },
  ens: { nodes: { root: { routerType: 'Ensemble', steps: [{ name: 'first', serviceName: 'a' }, { serviceName: 'b' }, { name: 'bad', serviceName: 'broken' }] } } },
  enshard: { nodes: { root: { routerType: 'Ensemble', steps: [{ name: 'first', serviceName: 'a' }, { name: 'bad', serviceName: 'broken', dependency: 'Hard' }] } } },
  sw: { nodes: { root: { routerType: 'Switch', steps: [
    { serviceName: 'a', condition: 'instances.0.0 > 5' },
    { serviceName: 'b', condition: 'user.tier == "gold"' },
    { nodeName: 'pair', condition: '[@this].#(mode==pair)' },
  ] }, pair: { routerType: 'Sequence', steps: [{ serviceName: 'c' }, { serviceUrl: 'URL_D', data: '$response' }] } } },
  gone: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'nosuch' }] } } },
  cold: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceName: 'down', dependency: 'Hard' }, { serviceName: 'a' }] } } },
  deadurl: { nodes: { root: { routerType: 'Sequence', steps: [{ serviceUrl: 'http://127.0.0.1:1/never' }] } } },
};

const models: Record<string, Awaited<ReturnType<typeof model>>> = {};
const endpoints = new EndpointRegistry();
const records: ResponseRecord[] = [];
let gw: Gateway;
let rngValue = 0.5;


before(async () => {
  for (const n of ['a', 'b', 'c', 'd']) models[n] = await model(n);
  models.broken = await model('broken', true);
  for (const n of ['a', 'b', 'c', 'broken']) endpoints.set(`ns/${n}-predictor-00001`, [models[n]!.origin]);
  const services = ['a', 'b', 'c', 'broken', 'down'].map(svc);
  const graphs = new Map(Object.entries(GRAPHS).map(([name, spec]) => {
    const fixed = JSON.parse(JSON.stringify(spec).replace('URL_D', `${models.d!.origin}/v1/models/d:predict`)) as GraphSpecInput;
    return [`${name}.ns.example.com`, compileGraph('ns', name, fixed, { domain: 'example.com' })];
  }));
  const table: IngressTable = { ...compileIngress(services, 'example.com', 1), graphs };
  gw = await startGateway({ port: 0, ingress: () => table, endpoints, rng: () => rngValue, onResponse: (r) => records.push(r) });
});

after(async () => {
  await gw.close(1000);
  for (const m of Object.values(models)) m.server.close();
});

async function call(host: string, body: unknown = { instances: [[1, 2, 3, 4]] }) {
  const res = await request(`http://127.0.0.1:${gw.port}/`, { method: 'POST', headers: { host, 'content-type': 'application/json', 'x-request-id': 'rid-1' }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
}

test('Sequence: $response feeds the previous answer, a step without data gets the original request', async () => {
  const r = await call('seq.ns.example.com');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-request-id'], 'rid-1');
  // c is last and got the original request (KServe's default data is $request).
  assert.deepEqual(r.body, { predictions: ['c'], input: { instances: [[1, 2, 3, 4]] }, path: '/v1/models/c:predict' });
  const fromB = records.filter((x) => x.requestId === 'rid-1').map((x) => x.service);
  assert.deepEqual(fromB.slice(-3), ['a', 'b', 'c'], 'each step is a request to that service, recorded as one');
});

test('Sequence: b receives a\'s response when data is $response', async () => {
  const r = await call('two.ns.example.com');
  assert.deepEqual(r.body.predictions, ['b']);
  assert.deepEqual(r.body.input.predictions, ['a']);
  assert.deepEqual(r.body.input.input, { instances: [[1, 2, 3, 4]] });
});

test('Sequence soft dependency: a failing step does not stop the graph; hard: the graph ends with its status', async () => {
  const soft = await call('seqsoft.ns.example.com');
  assert.equal(soft.status, 200);
  assert.deepEqual(soft.body.input, { error: 'broken broke' }, 'the soft step\'s error answer flowed on as $response');
  const hard = await call('seqhard.ns.example.com');
  assert.equal(hard.status, 500);
  assert.deepEqual(hard.body, { error: 'broken broke' });
});

test('Splitter: the step is picked by weight', async () => {
  rngValue = 0.29;
  assert.deepEqual((await call('split.ns.example.com')).body.predictions, ['a']);
  rngValue = 0.3;
  assert.deepEqual((await call('split.ns.example.com')).body.predictions, ['b']);
  rngValue = 0.999;
  assert.deepEqual((await call('split.ns.example.com')).body.predictions, ['b']);
  rngValue = 0.5;
});

test('Ensemble: all steps run, outputs keyed by step name or index; a soft failure sits under its key', async () => {
  const r = await call('ens.ns.example.com');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['1', 'bad', 'first']);
  assert.deepEqual(r.body.first.predictions, ['a']);
  assert.deepEqual(r.body['1'].predictions, ['b']);
  assert.deepEqual(r.body.bad, { error: 'broken broke' });
  const hard = await call('enshard.ns.example.com');
  assert.equal(hard.status, 500);
  assert.deepEqual(hard.body, { error: 'broken broke' });
});

test('Switch: the first matching condition wins; nodeName and serviceUrl steps run; no match is 404', async () => {
  assert.deepEqual((await call('sw.ns.example.com', { instances: [[6, 1, 1, 1]], user: { tier: 'gold' } })).body.predictions, ['a']);
  assert.deepEqual((await call('sw.ns.example.com', { instances: [[4, 1, 1, 1]], user: { tier: 'gold' } })).body.predictions, ['b']);
  const pair = await call('sw.ns.example.com', { mode: 'pair' });
  assert.deepEqual(pair.body.predictions, ['d']);
  assert.deepEqual(pair.body.input.predictions, ['c']);
  const none = await call('sw.ns.example.com', { instances: [[1, 1, 1, 1]], user: { tier: 'silver' } });
  assert.equal(none.status, 404);
  assert.deepEqual(none.body, { error: 'Failed to process request', cause: 'None of the routes matched with the switch condition' });
  const notJson = await request(`http://127.0.0.1:${gw.port}/`, { method: 'POST', headers: { host: 'sw.ns.example.com' }, body: 'not json' });
  assert.equal(notJson.statusCode, 404);
  await notJson.body.dump();
});

test('a missing service answers 404 in place, a service with no ready replica 503; an unreachable URL fails the graph with 500', async () => {
  const gone = await call('gone.ns.example.com');
  assert.equal(gone.status, 404);
  const cold = await call('cold.ns.example.com');
  assert.equal(cold.status, 503);
  assert.match(cold.body.error, /no ready replica/);
  const dead = await call('deadurl.ns.example.com');
  assert.equal(dead.status, 500);
  assert.equal(dead.body.error, 'Failed to process request');
  assert.match(dead.body.cause, /127\.0\.0\.1:1/);
});

test('plain InferenceService hosts still route directly while graphs exist', async () => {
  const res = await request(`http://127.0.0.1:${gw.port}/v1/models/a:predict`, { method: 'POST', headers: { host: 'a.ns.example.com' }, body: '{"instances":[[1,2,3,4]]}' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-switchyard-revision'], 'a-predictor-00001');
  assert.deepEqual(((await res.body.json()) as { predictions: string[] }).predictions, ['a']);
});
