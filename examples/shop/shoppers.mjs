// Shoppers for the A/B and bandit examples: users send predictions through the
// gateway, and the shop (the application) posts what they did afterwards
// through the feedback API, as a real frontend would.
//
// Each answer's arm is read from the gateway's response headers
// (x-switchyard-revision, else x-switchyard-variant); the user acts with the
// probability given for that arm. Two ways of acting:
//   --per user     a user converts at most once, decided on their first answer
//                  (conversion per unit); only conversions are posted;
//   --per request  every answer is a chance: 1 or 0 is posted for it (only the
//                  1s with --ones-only, as a shop that posts clicks only).
//
// Usage: node shoppers.mjs --host HOST --model NAME --token TOKEN --rate ARM=P [--rate ARM=P ...]
//        [--gateway 127.0.0.1:8080] [--metric purchase] [--per user|request]
//        [--ones-only] [--rps 100] [--seconds 600] [--users 1000000] [--protocol v1|v2]
// --protocol v2 sends Open Inference Protocol requests (POST /v2/models/NAME/infer, one FP32
// input named "input" of shape [1, 4]) for models served only over V2 (MLServer).
// ARM matches the start of the revision name (arm-c matches arm-c-predictor-00001)
// or the variant (latest, prev). Stops after --seconds or on SIGTERM, and prints a summary.
import { request } from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    gateway: { type: 'string', default: '127.0.0.1:8080' },
    host: { type: 'string' }, model: { type: 'string' }, token: { type: 'string' },
    rate: { type: 'string', multiple: true, default: [] },
    metric: { type: 'string', default: 'purchase' },
    per: { type: 'string', default: 'user' },
    'ones-only': { type: 'boolean', default: false },
    rps: { type: 'string', default: '100' }, seconds: { type: 'string', default: '600' },
    users: { type: 'string', default: '1000000' },
    protocol: { type: 'string', default: 'v1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (o.help) {
  const { readFileSync } = await import('node:fs');
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\nimport ')[0];
  console.log(head.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
for (const need of ['host', 'model', 'token']) if (!o[need]) fail(`--${need} is required`);
if (o.per !== 'user' && o.per !== 'request') fail(`--per must be user or request, not ${o.per}`);
if (o.protocol !== 'v1' && o.protocol !== 'v2') fail(`--protocol must be v1 or v2, not ${o.protocol}`);
const features = [6.8, 2.8, 4.8, 1.4];
const predictPath = o.protocol === 'v2' ? `/v2/models/${o.model}/infer` : `/v1/models/${o.model}:predict`;
const predictBody = JSON.stringify(o.protocol === 'v2' ? { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: features }] } : { instances: [features] });
const rates = o.rate.map((r) => {
  const [arm, p] = r.split('=');
  if (!arm || !(Number(p) >= 0 && Number(p) <= 1)) fail(`--rate ${r}: expected ARM=PROBABILITY, e.g. latest=0.12`);
  return { arm, p: Number(p) };
});
if (rates.length === 0) fail('give at least one --rate ARM=P');

const [host, port] = o.gateway.split(':');
const rps = Number(o.rps);
const seconds = Number(o.seconds);
const users = Number(o.users);
const decided = new Map();   // --per user: user → converted already decided
const counts = new Map();    // arm → {answers, acts}
let pending = [];
let sent = 0;
let failed = 0;
const started = Date.now();

function fail(message) {
  console.error(`shoppers: ${message}`);
  process.exit(2);
}

function armOf(headers) {
  const revision = String(headers['x-switchyard-revision'] ?? '');
  const variant = String(headers['x-switchyard-variant'] ?? '');
  return rates.find((r) => revision.startsWith(`${r.arm}-`) || revision === r.arm || variant === r.arm);
}

function visit() {
  const user = `u${Math.floor(Math.random() * users)}`;
  const body = predictBody;
  const req = request({
    host, port: Number(port), method: 'POST', path: predictPath,
    headers: { host: o.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-user-id': user },
  }, (res) => {
    res.resume();
    if (res.statusCode !== 200) return void failed++;
    const arm = armOf(res.headers);
    if (!arm) return;
    const c = counts.get(arm.arm) ?? counts.set(arm.arm, { answers: 0, acts: 0 }).get(arm.arm);
    c.answers++;
    const requestId = String(res.headers['x-request-id']);
    if (o.per === 'request') {
      const acted = Math.random() < arm.p;
      if (acted) c.acts++;
      if (acted || !o['ones-only']) pending.push({ requestId, metric: o.metric, value: acted ? 1 : 0 });
    } else if (!decided.has(user)) {
      const acted = Math.random() < arm.p;
      decided.set(user, acted);
      if (acted) {
        c.acts++;
        pending.push({ requestId, metric: o.metric, value: 1, id: `${o.metric}-${user}` });
      }
    }
  });
  req.on('error', () => failed++);
  req.end(body);
}

function flush() {
  if (pending.length === 0) return;
  const body = JSON.stringify(pending.splice(0, 1000));
  const req = request({
    host, port: Number(port), method: 'POST', path: '/switchyard/v1/feedback',
    headers: { host: o.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${o.token}` },
  }, (res) => {
    let text = '';
    res.on('data', (d) => (text += d));
    res.on('end', () => { if (res.statusCode !== 200) console.error(`shoppers: feedback answered ${res.statusCode}: ${text}`); });
  });
  req.on('error', (err) => console.error(`shoppers: feedback: ${err.message}`));
  req.end(body);
}

function stop() {
  clearInterval(tick);
  clearInterval(posting);
  setTimeout(() => {
    flush();
    const arms = [...counts].map(([arm, c]) => `${arm} ${c.answers} answers, ${c.acts} ${o.metric}`).join('; ');
    console.log(`shoppers: ${sent} requests in ${Math.round((Date.now() - started) / 1000)} s, ${failed} failed; ${arms}`);
    setTimeout(() => process.exit(0), 500);
  }, 1000);
}

const tick = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * rps);
  while (sent < due) { sent++; visit(); }
  if (Date.now() - started >= seconds * 1000) stop();
}, 10);
const posting = setInterval(flush, 250);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
