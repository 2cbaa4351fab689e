// Feedback batches as the API reads them: one event or an array, each bad
// event named by its index and field, the whole batch refused at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentId, MAX_FEEDBACK_EVENTS, parseFeedbackBatch } from '../../src/api/feedback.ts';
import type { SwitchyardError } from '../../src/core/errors.ts';

const refusal = (body: unknown): SwitchyardError => {
  try {
    parseFeedbackBatch(body);
  } catch (err) {
    return err as SwitchyardError;
  }
  assert.fail('the batch was accepted');
};

test('one event or a batch; time as RFC 3339 or epoch ms; ids settled', () => {
  const [one] = parseFeedbackBatch({ requestId: 'r1', metric: 'click', value: 1, id: 'e1' });
  assert.deepEqual(one, { id: 'e1', requestId: 'r1', metric: 'click', value: 1 });
  const batch = parseFeedbackBatch([
    { unit: 'user-7', namespace: 'shop', metric: 'revenue', value: 19.99, time: '2024-05-01T12:00:00+02:00' },
    { requestId: 'r2', metric: 'fraud_label', value: 0, time: 1_714_557_600_000 },
  ]);
  assert.equal(batch[0]!.eventMs, Date.parse('2024-05-01T10:00:00Z'));
  assert.equal(batch[1]!.eventMs, 1_714_557_600_000);
  assert.equal(batch[0]!.id, contentId({ unit: 'user-7', namespace: 'shop', metric: 'revenue', value: 19.99, eventMs: Date.parse('2024-05-01T10:00:00Z') }));
  assert.notEqual(batch[0]!.id, contentId({ unit: 'user-7', namespace: 'shop', metric: 'revenue', value: 20, eventMs: Date.parse('2024-05-01T10:00:00Z') }));
});

test('bad events are named by index and field, all of them, and the code says nothing was stored', () => {
  const err = refusal([
    { requestId: 'r0', metric: 'click', value: 1 },
    { requestId: 'r1', metric: 'click', value: 'yes' },
    { requestId: 'r2', unit: 'u', namespace: 'shop', metric: 'click', value: 1 },
    { metric: 'click', value: 1 },
    { unit: 'u', metric: 'click', value: 1 },
    { requestId: 'r5', metric: 'add-to-cart', value: 1 },
    { requestId: 'r6', metric: 'click', value: 1, time: 'yesterday' },
    { request_id: 'r7', metric: 'click', value: 1 },
    { requestId: 'r8', namespace: 'Shop', metric: 'click', value: 1 },
    42,
  ]);
  assert.equal(err.code, 'SY_ERR_INVALID_FEEDBACK');
  assert.equal(err.status, 400);
  const fields = err.causes.map((c) => c.field);
  assert.deepEqual(fields, [
    'events[1].value', 'events[2].unit', 'events[3].requestId', 'events[4].namespace', 'events[5].metric', 'events[6].time',
    'events[7].request_id', 'events[7].requestId', 'events[8].namespace', 'events[9]',
  ]);
  assert.match(err.message, /^feedback refused, nothing of the batch was stored: events\[1\]\.value: Invalid value: "yes": must be of type number, /);
  assert.match(err.message, /events\[2\]\.unit: Required value: exactly one of requestId and unit must be given/);
  assert.match(err.message, /events\[4\]\.namespace: Required value: a unit event needs the namespace its unit belongs to/);
  assert.match(err.message, /events\[5\]\.metric: Invalid value: "add-to-cart": must start with a letter or underscore/);
  assert.match(err.message, /events\[6\]\.time: Invalid value: "yesterday": must be an RFC 3339 time \(2024-05-01T12:00:00Z\) or epoch milliseconds/);
  assert.match(err.message, /unknown field "events\[7\]\.request_id"/);
});

test('a missing value and a body that is no event are refused', () => {
  assert.equal(refusal({ requestId: 'r', metric: 'click' }).causes[0]!.field, 'events[0].value');
  assert.equal(refusal({ requestId: 'r', metric: 'click' }).causes[0]!.message, 'Required value');
  assert.equal(refusal('click').code, 'SY_ERR_INVALID_FEEDBACK');
  assert.equal(refusal(null).code, 'SY_ERR_INVALID_FEEDBACK');
  assert.match(refusal([]).message, /no events/);
});

test('a batch over the limit is 413 naming the limit; the message lists at most 20 causes', () => {
  const many = Array.from({ length: MAX_FEEDBACK_EVENTS + 1 }, (_, i) => ({ requestId: `r${i}`, metric: 'click', value: 1 }));
  const err = refusal(many);
  assert.equal(err.code, 'SY_ERR_TOO_MANY_EVENTS');
  assert.equal(err.status, 413);
  assert.equal(err.message, 'a batch holds at most 1000 events, this one 1001: send it in several batches');
  const bad = refusal(Array.from({ length: 30 }, () => ({ requestId: 'r', metric: 'click', value: 'x' })));
  assert.equal(bad.causes.length, 20);
  assert.match(bad.message, /\(and 10 more\)$/);
});
