import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditRows, evidenceSummary } from '../../src/cli/commands/audit.ts';

test('audit log shows what a plan transition did and why, and which lint findings an override silenced', () => {
  const transition = { from: 'Progressing', to: 'RolledBack', at: 1, cause: 'gate-failed', reason: 'gate failed (outputPSI: 6.3 > max 0.2)', step: { phaseIndex: 0, stepIndex: 0, percent: 20 }, evidence: {} };
  assert.equal(evidenceSummary(transition), 'Progressing → RolledBack at 20%: gate failed (outputPSI: 6.3 > max 0.2)');
  assert.equal(evidenceSummary({ overridden: ['no-end', 'keepwarm-zero'] }), 'overridden: no-end, keepwarm-zero');
  assert.equal(evidenceSummary(undefined), '');
  const rows = auditRows([{ seq: 7, time: 't', actor: 'system:plan-controller', verb: 'plan/gate-failed', resource: 'switchyard.dev/trafficplans/q/p', evidence: transition }]);
  assert.match(rows[0]!, /^SEQ\s+TIME\s+ACTOR\s+VERB\s+RESOURCE\s+DETAIL$/);
  assert.match(rows[1]!, /plan\/gate-failed\s+switchyard.dev\/trafficplans\/q\/p\s+Progressing → RolledBack at 20%: gate failed/);
});
