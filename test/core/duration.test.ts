// Go durations, the one parser every manifest field, annotation and flag uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GO_DURATION, optionalDurationMs, parseGoDuration } from '../../src/core/duration.ts';

test('Go durations parse as time.ParseDuration does', () => {
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('250us'), 0.25);
  assert.equal(parseGoDuration('.5s'), 500);
  assert.equal(parseGoDuration('-2m'), -120_000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('60'), undefined, 'a bare number has no unit');
  assert.equal(parseGoDuration('1d'), undefined);
  assert.equal(parseGoDuration('soon'), undefined);
  assert.equal(optionalDurationMs(undefined), undefined);
  assert.equal(optionalDurationMs('2h'), 7_200_000);
});

test('every duration a manifest field accepts parses, to 0 or more', () => {
  for (const ok of ['0', '1s', '1h30m', '0.5s', '10ms', '3us', '3µs', '7ns', '24h']) {
    assert.match(ok, GO_DURATION);
    assert.ok(parseGoDuration(ok)! >= 0, ok);
  }
  for (const bad of ['', '-1s', '1', '1d', '1.s', '.5s', '1h 30m']) assert.doesNotMatch(bad, GO_DURATION, bad);
});
