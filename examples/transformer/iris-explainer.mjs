#!/usr/bin/env node
// A KServe-style explainer for the iris model: for each instance, the
// occlusion importance of each feature (does the predicted class change when
// the feature is replaced by the data set mean?), computed by calling the
// predictor at http://{predictor_host}/v1/models/{name}:predict.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { model_name: { type: 'string' }, predictor_host: { type: 'string' }, http_port: { type: 'string' } }, strict: false });
const name = values.model_name;
const predictor = `http://${values.predictor_host}`;
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const MEANS = [5.843, 3.057, 3.758, 1.199];

async function predict(rows) {
  const res = await fetch(`${predictor}/v1/models/${name}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: rows }) });
  if (!res.ok) throw new Error(`predictor answered ${res.status}`);
  return (await res.json()).predictions;
}

createServer(async (req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (req.method === 'GET' && (req.url === `/v1/models/${name}` || req.url === '/v2/health/ready')) return send(200, { name, ready: true });
    if (req.method !== 'POST' || req.url !== `/v1/models/${name}:explain`) return send(404, { error: `Model with name ${name} does not exist.` });
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const { instances } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const base = await predict(instances);
    const explanations = [];
    for (const [i, row] of instances.entries()) {
      const occluded = FEATURES.map((_, f) => row.map((v, j) => (j === f ? MEANS[f] : v)));
      const answers = await predict(occluded);
      explanations.push({ prediction: base[i], importance: Object.fromEntries(FEATURES.map((f, j) => [f, answers[j] === base[i] ? 0 : 1])) });
    }
    send(200, { explanations });
  } catch (err) {
    send(400, { error: err.message });
  }
}).listen(Number(values.http_port), '127.0.0.1');
