// Search traffic for the ranking example: ~RPS requests per second for
// SECONDS, from 500 users with a seller tier (premium, standard, new) and a
// query type, each a row near one of the iris class centres.
// Usage: node load.mjs GATEWAY RPS SECONDS
import { request } from 'node:http';

const [gateway = '127.0.0.1:8080', rps = '150', seconds = '60'] = process.argv.slice(2);
const [host, port] = gateway.split(':');
const centres = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];
const tiers = ['premium', 'standard', 'standard', 'new'];
const queries = ['head', 'torso', 'tail'];
let sent = 0;
let failed = 0;
const started = Date.now();
const end = started + Number(seconds) * 1000;

function one(i) {
  const c = centres[i % 3];
  const row = c.map((v) => Math.round((v + (Math.random() - 0.5) * 0.4) * 100) / 100);
  const body = JSON.stringify({ instances: [row] });
  const req = request({
    host, port: Number(port), method: 'POST', path: '/v1/models/ranker:predict',
    headers: {
      host: 'ranker.search.example.com', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      'x-user-id': `user-${i % 500}`, 'x-seller-tier': tiers[i % tiers.length], 'x-query-type': queries[(i >> 2) % 3],
    },
  }, (res) => {
    if (res.statusCode !== 200) failed++;
    res.resume();
  });
  req.on('error', () => failed++);
  req.end(body);
}

const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * Number(rps));
  while (sent < due) one(sent++);
  if (Date.now() >= end) {
    clearInterval(timer);
    setTimeout(() => console.log(`load: ${sent} requests, ${failed} failed`), 1000);
  }
}, 10);
