// Retry policy pieces of the VirtualService proxy: which conditions retryOn
// covers (Envoy's meanings), the retry budget, and the KServe model path that
// follows the chosen InferenceService.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retriable } from '../../src/gateway/retry-on.ts';
import { RetryBudget } from '../../src/gateway/retry-policy.ts';
import { modelPathFor } from '../../src/gateway/vs-route.ts';

describe('retryOn conditions', () => {
  it('5xx covers every 5xx status and every failure before headers', () => {
    assert.ok(retriable(['5xx'], 500));
    assert.ok(retriable(['5xx'], 503));
    assert.ok(retriable(['5xx'], 0, 'connect-failure'));
    assert.ok(retriable(['5xx'], 0, 'reset'));
    assert.ok(retriable(['5xx'], 0, 'per-try-timeout'));
    assert.ok(!retriable(['5xx'], 404));
  });

  it('gateway-error covers 502, 503, 504 and failures, not 500', () => {
    for (const s of [502, 503, 504]) assert.ok(retriable(['gateway-error'], s));
    assert.ok(!retriable(['gateway-error'], 500));
    assert.ok(retriable(['gateway-error'], 0, 'connect-failure'));
  });

  it('connect-failure and reset are narrow; numbers are retriable status codes', () => {
    assert.ok(retriable(['connect-failure'], 0, 'connect-failure'));
    assert.ok(!retriable(['connect-failure'], 0, 'reset'));
    assert.ok(!retriable(['connect-failure'], 503));
    assert.ok(retriable(['reset'], 0, 'reset'));
    assert.ok(!retriable(['reset'], 0, 'connect-failure'));
    assert.ok(retriable(['connect-failure', '429'], 429));
    assert.ok(!retriable([], 503, 'reset'));
  });
});

describe('retry budget', () => {
  it('allows retries in flight up to 20 % of requests in flight, with a floor of 3', () => {
    let active = 100;
    const budget = new RetryBudget(() => active);
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    assert.equal(granted, 20);
    budget.release();
    assert.ok(budget.tryAcquire());
    assert.ok(!budget.tryAcquire());
    active = 1;
    const small = new RetryBudget(() => active);
    assert.ok(small.tryAcquire() && small.tryAcquire() && small.tryAcquire());
    assert.ok(!small.tryAcquire());
  });
});

describe('model path', () => {
  it('follows the InferenceService a request is sent to (v1 and v2 protocols), leaving other paths alone', () => {
    assert.equal(modelPathFor('/v1/models/iris:predict', 'iris-v2'), '/v1/models/iris-v2:predict');
    assert.equal(modelPathFor('/v2/models/iris/infer', 'iris-v2'), '/v2/models/iris-v2/infer');
    assert.equal(modelPathFor('/v1/models/iris-v2:predict', 'iris-v2'), '/v1/models/iris-v2:predict');
    assert.equal(modelPathFor('/v2/health/ready', 'iris-v2'), '/v2/health/ready');
    assert.equal(modelPathFor('/score', 'iris-v2'), '/score');
  });
});
