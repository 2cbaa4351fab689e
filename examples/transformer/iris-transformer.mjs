#!/usr/bin/env node
// A KServe-style transformer for the iris model, as a plain Node process.
// KServe starts it with --model_name, --predictor_host and --http_port; it
// turns named features into the model's rows (pre-processing), calls the
// predictor at http://{predictor_host}/v1/models/{name}:predict, and turns
// class indices into species names (post-processing).
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { model_name: { type: 'string' }, predictor_host: { type: 'string' }, http_port: { type: 'string' } }, strict: false });
const name = values.model_name;
const predictor = `http://${values.predictor_host}`;
const SPECIES = ['setosa', 'versicolor', 'virginica'];
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function preprocess(instances) {
  return instances.map((i) => (Array.isArray(i) ? i : FEATURES.map((f) => {
    if (typeof i[f] !== 'number') throw new Error(`instance is missing numeric feature "${f}"`);
    return i[f];
  })));
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && (req.url === `/v1/models/${name}` || req.url === '/v2/health/ready')) return reply(res, 200, { name, ready: true });
    if (req.method !== 'POST' || req.url !== `/v1/models/${name}:predict`) return reply(res, 404, { error: `Model with name ${name} does not exist.` });
    const body = await readJson(req);
    const rows = preprocess(body.instances ?? []);
    const upstream = await fetch(`${predictor}/v1/models/${name}:predict`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': req.headers['x-request-id'] ?? '' }, body: JSON.stringify({ instances: rows }),
    });
    const out = await upstream.json();
    if (!upstream.ok) return reply(res, upstream.status, out);
    reply(res, 200, { predictions: out.predictions.map((k) => SPECIES[k] ?? k) });
  } catch (err) {
    reply(res, 400, { error: err.message });
  }
}).listen(Number(values.http_port), '127.0.0.1');
