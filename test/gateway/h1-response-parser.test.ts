// The upstream client's response parser (RFC 9112 framing): every response
// is also fed split at every byte boundary, as a socket may deliver it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseParseError, ResponseParser, type ResponseHead } from '../../src/gateway/h1/response-parser.ts';

interface Parsed { heads: ResponseHead[]; body: string; ended: boolean; reusable: boolean }

function parse(raw: string, opts: { head?: boolean; split?: number[]; finish?: boolean } = {}): Parsed {
  const p = new ResponseParser();
  const out: Parsed = { heads: [], body: '', ended: false, reusable: false };
  p.expect({ onHead: (h) => out.heads.push(h), onBody: (b) => (out.body += b.toString('latin1')), onEnd: () => (out.ended = true) }, opts.head ?? false);
  const bytes = Buffer.from(raw, 'latin1');
  let at = 0;
  for (const cut of [...(opts.split ?? []), bytes.length]) {
    // Copies, so the parser cannot rely on a previous buffer staying intact.
    p.execute(Buffer.from(bytes.subarray(at, cut)));
    at = cut;
  }
  if (opts.finish) p.finish();
  out.reusable = p.reusable;
  return out;
}

/** The same result whether the bytes come at once or cut in two anywhere (and in single bytes). */
function parseEverySplit(raw: string, opts: { head?: boolean; finish?: boolean } = {}): Parsed {
  const whole = parse(raw, opts);
  for (let cut = 1; cut < raw.length; cut++) assert.deepEqual(parse(raw, { ...opts, split: [cut] }), whole, `split at ${cut}`);
  assert.deepEqual(parse(raw, { ...opts, split: [...raw].map((_, i) => i + 1).slice(0, -1) }), whole, 'byte by byte');
  return whole;
}

test('a Content-Length response: status, headers as received, body, reusable', () => {
  const r = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\nX-Two: a\r\nX-Two: b\r\n\r\n{"predictions":[1]}');
  assert.equal(r.heads.length, 1);
  assert.equal(r.heads[0]!.status, 200);
  assert.deepEqual(r.heads[0]!.headers, ['Content-Type', 'application/json', 'Content-Length', '19', 'X-Two', 'a', 'X-Two', 'b']);
  assert.equal(r.body, '{"predictions":[1]}');
  assert.ok(r.ended && r.reusable);
});

test('a chunked response with extensions and trailers; upper-case hex sizes', () => {
  const r = parseEverySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n');
  assert.equal(r.body, 'hello, world!!!');
  assert.ok(r.ended && r.reusable);
});

test('a body delimited by the close of the connection ends at finish() and is not reusable', () => {
  const r = parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, part two', { finish: true });
  assert.equal(r.body, 'part one, part two');
  assert.ok(r.ended);
  assert.equal(r.reusable, false);
  assert.equal(parse('HTTP/1.1 200 OK\r\n\r\nabc').ended, false, 'not complete before the close');
});

test('no body for HEAD, 204 and 304, whatever Content-Length says', () => {
  assert.deepEqual([parse('HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n', { head: true })].map((r) => [r.ended, r.body, r.reusable]), [[true, '', true]]);
  for (const status of [204, 304]) {
    const r = parse(`HTTP/1.1 ${status} X\r\nContent-Length: 42\r\n\r\n`);
    assert.ok(r.ended && r.reusable && r.body === '', String(status));
  }
  assert.ok(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').ended);
});

test('interim 100 Continue and 103 Early Hints are skipped; 101 is refused', () => {
  const r = parseEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
  assert.deepEqual(r.heads.map((h) => h.status), [201]);
  assert.equal(r.body, 'ok');
  assert.throws(() => parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'), /switched protocols/);
});

test('keep-alive: Connection close, HTTP/1.0 defaults, and the Keep-Alive timeout hint', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx').reusable, false);
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 1\r\n\r\nx').reusable, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx').reusable, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx').reusable, true);
  const r = parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 1\r\n\r\nx');
  assert.equal(r.heads[0]!.keepAliveHintMs, 5000);
  assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx').heads[0]!.keepAliveHintMs, 0);
});

test('Transfer-Encoding overrides Content-Length and leaves the connection unusable', () => {
  const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  assert.equal(r.body, 'abc');
  assert.ok(r.ended);
  assert.equal(r.reusable, false);
  // A coding other than chunked last: the body runs to the close.
  const g = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz', { finish: true });
  assert.equal(g.body, 'zz');
  assert.equal(g.reusable, false);
});

test('repeated equal Content-Length values are one; different ones are an error', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2 ,2\r\n\r\nok').body, 'ok');
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok'), /invalid Content-Length/);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n'), /invalid Content-Length/);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'), /invalid Content-Length/);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), /invalid Content-Length/);
});

test('an obsolete folded header line is joined to the previous value with a space', () => {
  const r = parse('HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\nContent-Length: 0\r\n\r\n');
  assert.deepEqual(r.heads[0]!.headers.slice(0, 2), ['X-Long', 'first second']);
});

test('malformed responses are errors that say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['HTTP/2 200\r\n\r\n', /status line is not HTTP\/1\.x/],
    ['SSH-2.0-OpenSSH_9.2\r\n\r\n', /status line/],
    ['HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk longer than its size/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy', /bytes after a complete response/],
    [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, /exceed 65536 bytes/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => parse(raw), (err: Error) => err instanceof ResponseParseError && message.test(err.message), JSON.stringify(raw.slice(0, 40)));
  }
  assert.throws(() => parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}`), /exceed 65536 bytes/, 'an endless head is refused before its end');
});

test('a close in the middle of a response is an error; between responses it is not', () => {
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { finish: true }), /before the end of the response/);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Le', { finish: true }), /before the response headers/);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', { finish: true }), /before the end/);
  const p = new ResponseParser();
  assert.doesNotThrow(() => p.finish(), 'an idle parser');
});

test('body slices are handed on without copying when a read holds the whole body', () => {
  const p = new ResponseParser();
  const chunks: Buffer[] = [];
  p.expect({ onHead: () => undefined, onBody: (b) => chunks.push(b), onEnd: () => undefined }, false);
  const raw = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  p.execute(raw);
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.buffer, raw.buffer, 'a view of the read buffer');
});
