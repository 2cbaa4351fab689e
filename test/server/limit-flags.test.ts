// The `switchyard up` limit flags: units parsed, defaults kept for what is not
// given, bad values refused naming the flag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { addLimitFlags, limitsFromFlags } from '../../src/server/limit-flags.ts';

function parse(args: string[]) {
  const cmd = addLimitFlags(new Command('up').exitOverride().configureOutput({ writeErr: () => undefined }));
  cmd.parse(args, { from: 'user' });
  return limitsFromFlags(cmd.opts());
}

test('durations, sizes and counts; what is not given is left to the defaults', () => {
  assert.deepEqual(parse([]), { gateway: {}, api: {} });
  assert.deepEqual(parse(['--gateway-header-timeout', '10s', '--gateway-idle-timeout', '2m', '--gateway-max-body', '16Mi', '--gateway-max-connections', '500']), {
    gateway: { headersTimeoutMs: 10_000, idleTimeoutMs: 120_000, maxBodyBytes: 16 * 1024 * 1024, maxConnections: 500 }, api: {},
  });
  assert.deepEqual(parse(['--api-header-timeout', '1m30s', '--api-max-body', '1M', '--api-max-watches', '200', '--api-idle-timeout', '500ms', '--api-max-connections', '64']), {
    gateway: {}, api: { headersTimeoutMs: 90_000, maxBodyBytes: 1_000_000, maxWatches: 200, idleTimeoutMs: 500, maxConnections: 64 },
  });
});

test('bad values are refused with the flag and what it takes', () => {
  assert.throws(() => parse(['--gateway-max-body', '64MB']), /option '--gateway-max-body <size>' argument '64MB' is invalid\. must be a positive size like 512Ki, 64Mi or 1G/);
  assert.throws(() => parse(['--api-header-timeout', '10']), /'--api-header-timeout <duration>' argument '10' is invalid\. must be a positive duration/);
  assert.throws(() => parse(['--api-max-watches', '0']), /must be a positive integer/);
});
