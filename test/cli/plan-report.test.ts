// `switchyard plan report`: what an A/B test, a shadow and a bandit report print.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { judgeAbTest } from '../../src/analysis/abtest.ts';
import { renderPlanReport } from '../../src/cli/plan-report.ts';
import type { PlanObject } from '../../src/cli/plan-view.ts';

test('a conversion test counts converted units apart from events: a shop that posts zeros too still reads its rate', () => {
  // 1000 requests per arm, every one with an event (1 or 0): 200 and 260 of them converted.
  const arm = (n: number, ones: number) => ({ exposed: n, converted: ones, sum: ones, sumSq: ones, events: n });
  const result = judgeAbTest({ percent: 50, aggregate: 'conversion', alpha: 0.05, power: 0.8, unitsPerArm: 1000, sequential: false }, { baseline: arm(1000, 200), candidate: arm(1000, 260) });
  assert.deepEqual([result.candidate.events, result.candidate.converted], [1000, 260]);
  const plan: PlanObject = {
    metadata: { name: 'ranker-v2', namespace: 'ads' },
    spec: { phases: [{ abTest: { primary: { metric: 'click', outcome: { aggregate: 'conversion', per: 'request' } } } }] } as unknown as PlanObject['spec'],
    status: { phase: 'Promoted', experiment: result } as unknown as PlanObject['status'],
  };
  const text = renderPlanReport(plan);
  assert.match(text, /^ {2}ARM\s+UNITS\s+EVENTS\s+CONVERTED\s+RATE\s+INTERVAL$/m);
  assert.match(text, /^ {2}candidate\s+1000\s+1000\s+260\s+26%\s+\[/m);
});

test('a mean test has no converted column', () => {
  const arm = (n: number, mean: number) => ({ exposed: n, converted: n, sum: n * mean, sumSq: n * (mean * mean + 1), events: n });
  const result = judgeAbTest({ percent: 50, aggregate: 'mean', alpha: 0.05, power: 0.8, unitsPerArm: 1000, sequential: false }, { baseline: arm(1000, 3), candidate: arm(1000, 3.1) });
  const plan: PlanObject = { spec: { phases: [{ abTest: { primary: { metric: 'revenue', outcome: { aggregate: 'mean' } } } }] } as unknown as PlanObject['spec'], status: { phase: 'Progressing', experiment: result } as unknown as PlanObject['status'] };
  assert.match(renderPlanReport(plan), /^ {2}ARM\s+UNITS\s+EVENTS\s+VALUE\s+INTERVAL$/m);
});

test('a shadow that passed before a canary is still reported once the plan ended', () => {
  const plan: PlanObject = {
    spec: { phases: [{ shadow: { percent: 20 } }, { canary: { steps: [50, 100] } }] } as unknown as PlanObject['spec'],
    status: { phase: 'Promoted', shadow: { percent: 20, pairedRequests: 300, pairs: 310, compared: 310, agree: 310, labelled: 310, agreement: 1, candidateErrors: 0, baselineErrors: 0, invalid: 0, incomparable: 0, unpaired: 0, verdict: 'passed', phase: 1 },
      gates: [{ metric: 'agreement', threshold: 'min 0.9', verdict: 'nodata', skipped: true }, { metric: 'errorRate', threshold: 'max 0.02', verdict: 'pass', value: 0 }] } as unknown as PlanObject['status'],
  };
  const text = renderPlanReport(plan);
  assert.match(text, /^Shadow: {5}phase 1 passed: 20% of requests copied/m);
  assert.doesNotMatch(text, /No experiment to report/);
  assert.match(text, /^ {2}agreement\s+-\s+min 0\.9\s+pass \(in shadow\)$/m, 'a paired gate after a passed shadow passed there');
  assert.match(text, /^ {2}errorRate\s+0\s+max 0\.02\s+pass$/m);
});

test('a bandit report says why an arm has fewer logged answers than rewards', () => {
  const arm = (name: string, rewards: number, logged: number) => ({ name, fallback: name === 'a', weight: 0.5, rewards, pending: 0, ips: 0.3, ipsSe: 0.02, snips: 0.3, logged });
  const plan = (arms: unknown[]): PlanObject => ({ spec: { phases: [{ bandit: {} }] } as unknown as PlanObject['spec'], status: { phase: 'Progressing', bandit: { algorithm: 'thompson', version: 3, learning: true, arms } } as unknown as PlanObject['status'] });
  assert.match(renderPlanReport(plan([arm('a', 329, 47), arm('b', 400, 400)])), /answers served on the route's own weights before the first allocation have none/);
  assert.doesNotMatch(renderPlanReport(plan([arm('a', 300, 300), arm('b', 400, 400)])), /first allocation/);
});

test('a bandit report shows each arm\'s always-valid interval, and what a leader\'s promotion waits for', () => {
  const arms = [
    { name: 'a', fallback: true, weight: 0.5, rewards: 2000, rewardRate: 0.04, rewardInterval: [0.0244, 0.0609], pending: 0 },
    { name: 'c', fallback: false, weight: 0.5, rewards: 2000, rewardRate: 0.08, rewardInterval: [0.0576, 0.107], pending: 3 },
  ];
  const promotionWaits = 'arm c leads, but its reward interval [0.0576, 0.107] does not lie above the fallback arm a\'s [0.0244, 0.0609] yet: it and the fallback share the traffic until it is shown better';
  const text = renderPlanReport({ spec: { phases: [{ bandit: {} }] } as unknown as PlanObject['spec'], status: { phase: 'Progressing', bandit: { algorithm: 'thompson', version: 7, learning: true, promotionWaits, arms } } as unknown as PlanObject['status'] });
  assert.match(text, /^ {2}ARM\s+SHARE\s+REWARDS\s+RATE\s+INTERVAL\s+PENDING\s+P\(BEST\)/m);
  assert.match(text, /^ {2}c\s+50(\.0)? ?%\s+2000\s+0\.08\s+\[0\.0576, 0\.107\]\s+3/m);
  assert.match(text, /an arm is promoted only once its interval lies above the fallback's/);
  assert.match(text, /^ {2}arm c leads, but its reward interval/m);
});

test('a plan without an experiment phase says its gates are the report; one whose experiment has not judged yet says so', () => {
  const gates = [{ metric: 'errorRate', threshold: 'max 0.02', verdict: 'pass', value: 0 }];
  const canary = renderPlanReport({ spec: { phases: [{ canary: { steps: [20, 100] } }] } as unknown as PlanObject['spec'], status: { phase: 'Promoted', gates } as unknown as PlanObject['status'] });
  assert.match(canary, /^No experiment in this plan \(its phases: canary\): its gates are the report/m);
  assert.doesNotMatch(canary, /yet/);
  const waiting = renderPlanReport({ spec: { phases: [{ shadow: { percent: 20 } }, { canary: { steps: [100] } }] } as unknown as PlanObject['spec'], status: { phase: 'Progressing', gates } as unknown as PlanObject['status'] });
  assert.match(waiting, /^No experiment to report yet: a report appears once an abTest, shadow or bandit phase has judged something\.$/m);
});
