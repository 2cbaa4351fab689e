// What a Node script reaches when it sets Host to a tag host: Node's fetch drops the header (a
// forbidden name in the Fetch standard) and the request lands on the InferenceService's split;
// undici's request sends it and reaches the tagged revision. docs/serving.md says so; if a Node
// release changes it, this fails and the note must change with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { compileIngress, routeIngress } from '../../src/gateway/ingress.ts';

const TAG_HOST = 'latest-iris-predictor.ml.example.com';
const table = compileIngress([{
  namespace: 'ml', name: 'iris', scaleFromZero: false, activatorTimeoutMs: 1000,
  traffic: [
    { revisionName: 'iris-predictor-00001', percent: 100, tag: 'prev' },
    { revisionName: 'iris-predictor-00002', percent: 0, latestRevision: true, tag: 'latest' },
  ],
}], 'example.com', 1);

let server: Server;
let url: string;
// The server answers which revision the gateway's routing picks for the Host it was sent.
before(async () => {
  server = createServer((req, res) => {
    const r = routeIngress(table, req.headers.host ?? '', req.url ?? '/', () => 0.5);
    res.end(JSON.stringify({ host: req.headers.host, revision: r.kind === 'route' ? r.route.revision : r.kind }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models/iris:predict`;
});
after(() => server.close());

test("Node's fetch drops a Host header and reaches the split; undici's request reaches the tag's revision", async () => {
  const viaFetch = await (await fetch(url, { method: 'POST', headers: { Host: TAG_HOST } })).json();
  assert.deepEqual(viaFetch, { host: new URL(url).host, revision: 'iris-predictor-00001' });
  const viaUndici = await (await request(url, { method: 'POST', headers: { host: TAG_HOST } })).body.json();
  assert.deepEqual(viaUndici, { host: TAG_HOST, revision: 'iris-predictor-00002' });
});

test('docs/serving.md warns of it and shows the way that works', () => {
  const doc = readFileSync(new URL('../../docs/serving.md', import.meta.url), 'utf8');
  assert.match(doc, /`Host` is a forbidden header name in the Fetch\s+standard, so Node's `fetch` drops the one you set/);
  assert.match(doc, /import \{ request \} from 'undici';/);
  assert.match(doc, /curl -H 'Host: …'/);
});
