// The retry policy in process, without sockets: a scripted upstream answers
// each try, and a real (socketless) ServerResponse shows what the client got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError } from '../../src/gateway/error-reply.ts';
import type { Upstream, UpstreamHandler, UpstreamRequest } from '../../src/gateway/h1/types.ts';
import { forwardWithRetries, RetryBudget, type RetriedForward } from '../../src/gateway/retry-policy.ts';
import { ISTIO_DEFAULT_RETRIES } from '../../src/gateway/routing/compile-route.ts';

type Step = number | 'refused' | 'hang';

/** An upstream that answers try n with script[n]: a status (with the try number as body), a refused connection, or nothing. */
class Scripted implements Upstream {
  readonly origins: string[] = [];
  constructor(private readonly script: Step[]) {}

  pool(origin: string): Upstream {
    this.origins.push(origin);
    return this;
  }

  dispatch(_req: UpstreamRequest, h: UpstreamHandler): void {
    const n = this.origins.length;
    const step = this.script[n - 1] ?? 200;
    setImmediate(() => {
      h.onConnect((err) => h.onError(err ?? new Error('aborted')));
      if (step === 'hang') return;
      if (step === 'refused') return h.onError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      h.onHeaders(step, ['content-type', 'text/plain'], () => undefined);
      h.onData(Buffer.from(`try ${n}`));
      h.onComplete();
    });
  }
}

function response(): ServerResponse {
  const req = new IncomingMessage(null as never);
  req.method = 'POST';
  return new ServerResponse(req);
}

function run(up: Scripted, over: Partial<RetriedForward> = {}) {
  const res = response();
  const f: RetriedForward = {
    origin: (attempt) => `http://replica-${attempt}`,
    pools: { get: (o) => up.pool(o) },
    budget: new RetryBudget(() => 1),
    retries: ISTIO_DEFAULT_RETRIES,
    rng: () => 0,
    path: '/v1/models/m:predict', method: 'POST', headers: {}, body: Buffer.from('{}'),
    timeoutMs: 5000, extra: ['x-request-id', 'r1'], ops: null, captureBytes: 64, deadline: null,
    ...over,
  };
  return { res, done: forwardWithRetries(res, f) };
}

test("Istio's default policy: a 503 is held and retried on another replica; the client sees the answer", async () => {
  const up = new Scripted([503, 200]);
  const { res, done } = run(up);
  const r = await done;
  assert.equal(res.statusCode, 200);
  assert.equal(r?.output?.toString(), 'try 2');
  assert.deepEqual(up.origins, ['http://replica-0', 'http://replica-1']);
});

test('retries exhausted: the third 503 goes to the client as the upstream sent it', async () => {
  const up = new Scripted([503, 503, 503, 200]);
  const { res, done } = run(up);
  assert.equal((await done)?.output?.toString(), 'try 3');
  assert.equal(res.statusCode, 503);
  assert.equal(up.origins.length, 3);
});

test('statuses the policy does not name are not retried', async () => {
  const up = new Scripted([500, 200]);
  const { res, done } = run(up);
  await done;
  assert.equal(res.statusCode, 500);
  assert.equal(up.origins.length, 1);
});

test('only refused connections: a 503 in Envoy words, nothing written', async () => {
  const { res, done } = run(new Scripted(['refused', 'refused', 'refused']));
  await assert.rejects(done, (e: unknown) => e instanceof GatewayError && e.status === 503 && /reset reason: connection failure/.test(e.message));
  assert.equal(res.headersSent, false);
});

test('a per-try timeout ends a hanging try and the retry answers', async () => {
  const up = new Scripted(['hang', 200]);
  const { res, done } = run(up, { retries: { attempts: 2, perTryTimeoutMs: 30, retryOn: ['5xx'] } });
  await done;
  assert.equal(res.statusCode, 200);
  assert.equal(up.origins.length, 2);
});

test("the route's deadline ends the exchange with a 504 'upstream request timeout'", async () => {
  const deadline = new AbortController();
  setTimeout(() => deadline.abort(), 30);
  const { done } = run(new Scripted(['hang', 'hang', 'hang']), { deadline: deadline.signal });
  await assert.rejects(done, (e: unknown) => e instanceof GatewayError && e.status === 504 && e.message === 'upstream request timeout' && e.errorClass === 'timeout');
});

test('a spent budget means no retry: the 503 is not held but answered', async () => {
  const up = new Scripted([503, 200]);
  const { res, done } = run(up, { budget: new RetryBudget(() => 0, 0.2, 0) });
  await done;
  assert.equal(res.statusCode, 503);
  assert.equal(up.origins.length, 1);
});

test('a streamed body is sent once: its 503 is answered, not retried', async () => {
  const up = new Scripted([503, 200]);
  const { res, done } = run(up, { body: Readable.from([Buffer.from('{}')]) });
  await done;
  assert.equal(res.statusCode, 503);
  assert.equal(up.origins.length, 1);
});
