import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { conditionMet, parseWaitFor } from '../../src/cli/commands/wait.ts';
import { parseDuration } from '../../src/cli/context.ts';

test('--for accepts condition=NAME, condition=NAME=VALUE and delete', () => {
  assert.deepEqual(parseWaitFor('condition=Ready'), { kind: 'condition', condition: 'Ready', value: 'True' });
  assert.deepEqual(parseWaitFor('condition=Ready=False'), { kind: 'condition', condition: 'Ready', value: 'False' });
  assert.deepEqual(parseWaitFor('delete'), { kind: 'delete' });
  assert.throws(() => parseWaitFor('ready'), (e: any) => e.code === 'SY_ERR_CONFIG');
  assert.throws(() => parseWaitFor(undefined), /--for/);
});

test('conditions match case-insensitively on type and status', () => {
  const obj = { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Promoted', status: 'False' }] } };
  assert.equal(conditionMet(obj, 'ready', 'true'), true);
  assert.equal(conditionMet(obj, 'Promoted', 'True'), false);
  assert.equal(conditionMet(obj, 'Promoted', 'False'), true);
  assert.equal(conditionMet({ status: {} }, 'Ready', 'True'), false);
  assert.equal(conditionMet(undefined, 'Ready', 'True'), false);
});

test('durations in kubectl notation', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('15'), 15_000);
  assert.throws(() => parseDuration('soon'), (e: any) => e.code === 'SY_ERR_CONFIG');
  assert.throws(() => parseDuration('5x'), /invalid duration/);
});
