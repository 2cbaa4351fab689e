// The seed's canary story, step by step, against KServe's semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollout, type RolloutInput, type RolloutStatus } from '../../src/controllers/traffic/kserve.ts';

const base: RolloutInput = {
  namespace: 'kserve-test', name: 'sklearn-iris', domain: 'example.com', component: 'predictor', tagRouting: false,
  latestCreatedRevision: '', latestReadyRevision: '', latestRolledoutRevision: '', previousRolledoutRevision: '',
};
const R1 = 'sklearn-iris-predictor-00001';
const R2 = 'sklearn-iris-predictor-00002';

function step(prev: RolloutStatus | undefined, change: Partial<RolloutInput>): RolloutStatus {
  return rollout({ ...base, ...(prev ? { latestRolledoutRevision: prev.latestRolledoutRevision, previousRolledoutRevision: prev.previousRolledoutRevision } : {}), ...change });
}

const split = (s: RolloutStatus) => s.traffic.map((t) => `${t.tag ?? '-'}:${t.revisionName}:${t.percent}`);

test('first deploy ignores canaryTrafficPercent and rolls out the first ready revision', () => {
  const notReady = step(undefined, { latestCreatedRevision: R1, canaryTrafficPercent: 10 });
  assert.deepEqual(notReady.traffic, []);
  const s = step(notReady, { latestCreatedRevision: R1, latestReadyRevision: R1, canaryTrafficPercent: 10 });
  assert.deepEqual(split(s), [`-:${R1}:100`]);
  assert.equal(s.latestRolledoutRevision, R1);
  assert.equal(s.previousRolledoutRevision, '');
});

test('canary, promotion by removing the field, rollback with 0 after promotion', () => {
  const v1 = step(undefined, { latestCreatedRevision: R1, latestReadyRevision: R1 });
  // v2 created but not ready: the canary share resolves to the old revision, v2 gets nothing
  const pending = step(v1, { latestCreatedRevision: R2, latestReadyRevision: R1, canaryTrafficPercent: 10 });
  assert.ok(pending.traffic.every((t) => t.revisionName === R1));
  const canary = step(pending, { latestCreatedRevision: R2, latestReadyRevision: R2, canaryTrafficPercent: 10 });
  assert.deepEqual(split(canary), [`-:${R2}:10`, `prev:${R1}:90`]);
  assert.equal(canary.latestRolledoutRevision, R1);
  assert.equal(canary.traffic[1]!.url, `http://prev-sklearn-iris-predictor.kserve-test.example.com`);

  const pinned = step(canary, { latestCreatedRevision: R2, latestReadyRevision: R2, canaryTrafficPercent: 0 });
  assert.deepEqual(split(pinned), [`-:${R2}:0`, `prev:${R1}:100`]);

  const promoted = step(canary, { latestCreatedRevision: R2, latestReadyRevision: R2 });
  assert.deepEqual(split(promoted), [`-:${R2}:100`]);
  assert.equal(promoted.latestRolledoutRevision, R2);
  assert.equal(promoted.previousRolledoutRevision, R1);

  const rolledBack = step(promoted, { latestCreatedRevision: R2, latestReadyRevision: R2, canaryTrafficPercent: 0 });
  assert.deepEqual(split(rolledBack), [`-:${R2}:0`, `prev:${R1}:100`]);
  assert.equal(rolledBack.latestRolledoutRevision, R1);
});

test('canaryTrafficPercent 100 promotes and omits the prev entry', () => {
  const v1 = step(undefined, { latestCreatedRevision: R1, latestReadyRevision: R1 });
  const s = step(v1, { latestCreatedRevision: R2, latestReadyRevision: R2, canaryTrafficPercent: 100 });
  assert.deepEqual(split(s), [`-:${R2}:100`]);
  assert.equal(s.latestRolledoutRevision, R2);
  assert.equal(s.previousRolledoutRevision, R1);
});

test('tag routing tags the latest entry and gives it a URL', () => {
  const v1 = step(undefined, { latestCreatedRevision: R1, latestReadyRevision: R1, tagRouting: true });
  assert.deepEqual(split(v1), [`latest:${R1}:100`]);
  const s = step(v1, { latestCreatedRevision: R2, latestReadyRevision: R2, canaryTrafficPercent: 10, tagRouting: true });
  assert.deepEqual(split(s), [`latest:${R2}:10`, `prev:${R1}:90`]);
  assert.equal(s.traffic[0]!.url, 'http://latest-sklearn-iris-predictor.kserve-test.example.com');
});

test('a candidate that never becomes ready never gets traffic', () => {
  const v1 = step(undefined, { latestCreatedRevision: R1, latestReadyRevision: R1 });
  const s = step(v1, { latestCreatedRevision: R2, latestReadyRevision: R1 });
  assert.deepEqual(split(s), [`-:${R1}:100`]);
  assert.equal(s.latestRolledoutRevision, R1);
});
