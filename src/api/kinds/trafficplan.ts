// TrafficPlan (switchyard.dev/v1alpha1): what may move traffic to a candidate,
// in which phases, judged by which gates, owned by whom, and at what cost.
import { z } from 'zod';
import { condition, duration, exactlyOne, invalid, kindObject, re2Pattern, type RefineCtx } from '../common.ts';
import { storageUri } from '../storage-uri.ts';
import { parseGoDuration } from '../../core/duration.ts';

export const PLAN_PHASES = ['Pending', 'Progressing', 'Paused', 'Promoted', 'Validated', 'RolledBack', 'Aborted'] as const;
/** Phases a plan ends in: Validated is a shadow-only plan whose candidate passed without moving traffic. */
export const TERMINAL_PLAN_PHASES: ReadonlySet<string> = new Set(['Promoted', 'Validated', 'RolledBack', 'Aborted']);
export const PHASE_KINDS = ['shadow', 'canary', 'blueGreen', 'abTest', 'bandit'] as const;

/** Where a cohort key is read from: exactly one of header, cookie or query parameter. */
const keySourceFields = {
  header: z.string().min(1).optional().describe('Request header whose value is the key (e.g. x-user-id).'),
  cookie: z.string().min(1).optional().describe('Cookie whose value is the key.'),
  query: z.string().min(1).optional().describe('Query parameter whose value is the key.'),
};
/** How a key's value is matched: any value when none is given. */
const keyMatchFields = {
  exact: z.string().optional().describe('Matches when the key equals this.'),
  prefix: z.string().optional().describe('Matches when the key starts with this.'),
  regex: re2Pattern.optional().describe('Matches when this RE2 regular expression matches the whole key.'),
};
const keySource = exactlyOne(['header', 'cookie', 'query'], 'a key source');

const target = z
  .strictObject({
    inferenceService: z.string().min(1).optional().describe('The InferenceService whose canaryTrafficPercent the plan moves.'),
    virtualService: z
      .strictObject({ name: z.string().min(1).describe('The VirtualService, in the plan\'s namespace.'), route: z.string().optional().describe('Name of the http route whose weights move; the first when empty.') })
      .optional()
      .describe('A VirtualService route whose destination weights the plan moves.'),
  })
  .superRefine(exactlyOne(['inferenceService', 'virtualService'], 'target'))
  .describe('What the plan moves: exactly one of inferenceService or virtualService.');

const candidate = z
  .strictObject({
    storageUri: storageUri.min(1).optional().describe('Model artifact of the candidate; becomes the latest revision.'),
    revision: z.string().min(1).optional().describe('An existing revision (or VirtualService destination) to promote.'),
  })
  .superRefine(exactlyOne(['storageUri', 'revision'], 'candidate'))
  .describe('The model traffic moves to: exactly one of storageUri or revision.');

const owner = z.strictObject({
  team: z.string().min(1).describe('Team accountable for the rollout; under switchyard up, tokens in this group may send every command, change the spec and delete the plan.'),
  canHalt: z.array(z.string()).optional().describe('Groups that may also pause, roll back, abort or kill the plan under switchyard up (the kill switch), and nothing else.'),
}).describe('Who decides the rollout and who may stop it: switchyard up checks each write against the groups of the caller\'s token (admins may always); on a cluster, RBAC on trafficplans decides.');

const cohorts = z.strictObject({
  unit: z.strictObject(keySourceFields).superRefine(keySource).optional().describe('Randomisation unit: requests with the same key always see the same variant (required by an abTest; without it a canary splits each request at random).'),
  strata: z.array(z.strictObject({ name: z.string().min(1).regex(/^[^/]+$/, 'a stratum name does not contain "/"').describe('Name of the stratum, as a gate\'s bySlice and the status name it (e.g. tier).'), ...keySourceFields }).superRefine(keySource)).optional().describe('Slices reported (and gated) separately.'),
  exclude: z
    .array(
      z
        .strictObject({ ...keySourceFields, ...keyMatchFields })
        .superRefine(keySource),
    )
    .optional()
    .describe('Traffic kept out of the experiment (e.g. synthetic probes); always served by the baseline.'),
}).describe('How requests are grouped: the randomisation unit, strata reported separately, traffic kept out.');

const hold = z
  .strictObject({
    minRequests: z.number().int().min(0).optional().describe('Candidate requests needed in a step before it can advance.'),
    passingWindows: z.number().int().min(1).optional().describe('Consecutive passing gate windows needed to advance.'),
    minDuration: duration.optional().describe('Minimum time spent in a step.'),
  })
  .describe('What a step needs before the plan advances.');

const shadow = z.strictObject({
  percent: z.number().gt(0, 'a shadow copies a share of the requests: percent must be above 0').max(100).describe('Percent of live requests copied to the candidate; every answer still comes from the baseline.'),
  exit: z
    .strictObject({
      pairedRequests: z.number().int().min(1).optional().describe('Pairs (baseline and candidate answers to the same request) to judge before the phase can pass.'),
      maxDuration: duration.optional().describe('An undecided shadow ends after this long (Aborted, traffic untouched).'),
    })
    .optional()
    .describe('When the shadow phase ends.'),
}).describe('The candidate answers copies of live requests, judged pair by pair against the baseline; users only ever get the baseline\'s answers.');

const canary = z
  .strictObject({
    steps: z.array(z.number().int().min(1).max(100)).min(1).describe('Canary percentages, ascending, e.g. [1, 10, 50, 100].'),
    hold: hold.optional(),
  })
  .superRefine((c, ctx) => {
    c.steps.forEach((s, i) => {
      const prev = c.steps[i - 1];
      if (prev !== undefined && s <= prev) invalid(ctx, ['steps', i], s, `steps must be strictly ascending (${s} follows ${prev})`);
    });
  })
  .describe('The candidate takes a growing share of live traffic, step by step, while the gates pass.');

const blueGreen = z.strictObject({
  preview: z.strictObject({ tag: z.string().optional().describe('Tag host used for preview traffic, default "latest".') }).optional().describe('Where the candidate answers while it has 0 % of live traffic.'),
  hold: hold.optional(),
}).describe('The candidate is judged on preview traffic at 0 % of live traffic, then takes all of it at once.');

/** An outcome metric: feedback events (docs/feedback.md) per exposed unit or request. */
const outcome = z
  .strictObject({
    aggregate: z.enum(['conversion', 'mean', 'ratio']).default('conversion').describe('conversion: share of units (or requests) with an event of value > 0; mean: total value per unit; ratio: total of this metric over total of `denominator`.'),
    per: z.enum(['unit', 'request']).default('unit').describe('What is counted as exposed: the cohort unit (sticky users) or each request.'),
    denominator: z.string().min(1).optional().describe('ratio: the metric whose total divides this one (e.g. clicks for revenue per click).'),
    attributionWindow: duration.optional().describe('Events later than this after their prediction are not counted (default 24h).'),
  })
  .superRefine((o, ctx) => {
    if (o.aggregate === 'ratio' && !o.denominator) invalid(ctx, ['denominator'], undefined, 'a ratio needs the denominator metric', 'FieldValueRequired');
    if (o.aggregate !== 'ratio' && o.denominator) invalid(ctx, ['denominator'], o.denominator, 'only a ratio has a denominator');
  });

const abTest = z.strictObject({
  percent: z.number().gt(0).lt(100).optional().describe('Share of units assigned to the candidate, in percent (default 50). Fixed for the whole test.'),
  primary: z
    .strictObject({ metric: z.string().min(1).describe('The feedback metric that decides the winner (e.g. purchase).'), outcome: outcome.prefault({}).describe('How the metric is counted per arm (default: conversion per unit).') })
    .optional()
    .describe('The declared primary metric; the plan\'s gates are the guardrails.'),
  minRequestsPerArm: z.number().int().min(1).optional().describe('Units per arm at the horizon; derived from baselineRate and minDetectableEffect when absent.'),
  baselineRate: z.number().gt(0).lt(1).optional().describe('Expected conversion of the baseline, to size the test (power.prop.test).'),
  minDetectableEffect: z.number().gt(0).optional().describe('Smallest relative lift worth detecting (0.2: 10 % → 12 %).'),
  alpha: z.number().gt(0).max(0.5).optional().describe('Two-sided significance level (default 0.05).'),
  power: z.number().gt(0).lt(1).optional().describe('Power at the minimum detectable effect (default 0.8).'),
  sequential: z.boolean().optional().describe('Decide as soon as the always-valid interval of the lift excludes 0 (GrowthBook\'s sequential interval) instead of only at the horizon.'),
  maxDuration: duration.optional().describe('An experiment still undecided after this long ends inconclusive (the baseline is kept).'),
  hold: hold.optional(),
}).superRefine((ab, ctx) => {
  // power.prop.test sizes a difference of two proportions; a mean's or a ratio's size depends on its
  // spread, which a rate does not give. Sized from baselineRate it would stop at an arbitrary size.
  const aggregate = ab.primary?.outcome.aggregate;
  if (ab.baselineRate !== undefined && aggregate !== undefined && aggregate !== 'conversion') {
    invalid(ctx, ['baselineRate'], ab.baselineRate, `baselineRate and minDetectableEffect size a conversion test (power.prop.test); the primary metric's aggregate is ${aggregate}: give its size as minRequestsPerArm (units per arm)`);
  }
}).describe('Units (cohorts.unit) are assigned to baseline or candidate for the whole test, decided on a declared primary metric at a fixed size (or sequentially); the gates are guardrails.');

const bandit = z
  .strictObject({
    algorithm: z.enum(['thompson', 'ucb', 'ucbTuned', 'epsilonGreedy']).default('thompson').describe('thompson (Beta–Bernoulli, or Gaussian for continuous rewards), ucb (UCB1), ucbTuned, epsilonGreedy.'),
    epsilon: z.number().gt(0).lt(1).optional().describe('epsilonGreedy: share explored at random (default 0.1).'),
    epsilonDecay: z.boolean().optional().describe('epsilonGreedy: explore less as rewards accumulate.'),
    arms: z
      .array(z.string().min(1))
      .min(2)
      .optional()
      .describe('Arms by name: on a VirtualService target the route destinations (subset or host) that take part (default: all); on an InferenceService the baseline and the candidate.'),
    reward: z
      .union([z.string().min(1), z.strictObject({
        metric: z.string().min(1).describe('The feedback metric posted per request (docs/feedback.md).'),
        kind: z.enum(['binary', 'continuous']).default('binary').describe('binary: 0 or 1 (a click); continuous: any value in [min, max] (revenue).'),
        min: z.number().optional().describe('Lowest sane reward (binary: 0); values outside [min, max] freeze learning.'),
        max: z.number().optional().describe('Highest sane reward (binary: 1); ucb and ucbTuned scale exploration by max − min.'),
        zeroAfter: duration.optional().describe('Binary rewards: an assignment with no reward event this long after it counts as a 0 (the click that never came), so applications may post only the 1s. Without it only explicit 0 events count.'),
      }).refine((r) => r.zeroAfter === undefined || r.kind === 'binary', { path: ['zeroAfter'], message: 'zeroAfter applies to binary rewards only: a missing revenue is not a revenue of 0' })])
      .optional()
      .describe('The feedback metric that rewards an assignment (per request): binary 0/1 (a click) or continuous (revenue) with its sane range.'),
    minPercent: z.number().min(0).max(100).optional().describe('Floor of traffic every arm keeps (exploration never stops).'),
    maxPercent: z.number().min(0).max(100).optional().describe('Ceiling of traffic any one arm may take.'),
    fallback: z.string().min(1).optional().describe('Arm that takes the traffic of arms whose guardrails fail, and everything on kill (default: the baseline).'),
    cadence: duration.optional().describe('How often the allocation is recomputed (default: every window).'),
    rewardFreshness: duration.optional().describe('No reward for this long freezes the allocation (or falls back): stale feedback is not learnt from.'),
    onStale: z.enum(['freeze', 'fallback']).optional().describe('When rewards go stale: keep the last safe allocation (freeze, default) or send everything to the fallback arm.'),
    maxUnmatchedRewardShare: z.number().min(0).max(1).optional().describe('Reward events that join no known request, as a share of all reward events, above which learning freezes (default 0.05).'),
    maxRewardRateJump: z.number().gt(0).optional().describe('An arm whose reward rate moves by more than this between allocations freezes learning (a broken reward pipeline, not a better model).'),
    stop: z
      .strictObject({
        probabilityBest: z.number().gt(0.5).lt(1).optional().describe('End when one arm is best with at least this probability (default 0.95).'),
        valueRemaining: z.number().gt(0).optional().describe('…or when the regret the rest could still win back is below this relative bound (e.g. 0.01).'),
        minRewards: z.number().int().min(0).optional().describe('Rewards needed before a stopping rule may end it (default 100 per arm).'),
        alpha: z.number().gt(0).max(0.5).optional().describe('Chance of promoting an arm that earns no more than the fallback arm, over all looks (default 0.05): an arm is promoted only once its always-valid reward interval lies above the fallback\'s.'),
      })
      .optional()
      .describe('When the bandit ends and promotes its best arm.'),
    maxDuration: duration.optional().describe('The bandit ends by this time: the best arm is promoted if it is clearly best, else the baseline is kept.'),
    cohortLimits: z
      .array(
        z
          .strictObject({
            ...keySourceFields, ...keyMatchFields,
            hold: z.literal(true).optional().describe('Requests of this stratum are all served by the fallback arm.'),
            maxPercent: z.number().min(0).max(100).optional().describe('The arms other than the fallback together take at most this percent of the stratum.'),
          })
          .superRefine(keySource)
          .superRefine(exactlyOne(['hold', 'maxPercent'], 'a cohort limit')),
      )
      .optional()
      .describe('Per-cohort limits: requests whose key matches (any value when no exact, prefix or regex) are held on the fallback arm or capped. The first matching limit applies.'),
  })
  .superRefine((b, ctx) => {
    if (b.minPercent !== undefined && b.maxPercent !== undefined && b.minPercent > b.maxPercent) invalid(ctx, ['minPercent'], b.minPercent, `minPercent must be at most maxPercent (${b.maxPercent})`);
    if (b.epsilon !== undefined && b.algorithm !== 'epsilonGreedy') invalid(ctx, ['epsilon'], b.epsilon, 'epsilon applies to algorithm epsilonGreedy');
    const r = typeof b.reward === 'object' ? b.reward : undefined;
    if (r?.min !== undefined && r.max !== undefined && !(r.min < r.max)) invalid(ctx, ['reward', 'min'], r.min, `reward.min must be below reward.max (${r.max})`);
    // UCB's confidence widths are in units of the reward's range: without it a revenue of 40 would
    // drown the exploration term and the bandit would be greedy from its first rewards.
    if ((b.algorithm === 'ucb' || b.algorithm === 'ucbTuned') && r?.kind === 'continuous') {
      for (const end of ['min', 'max'] as const) {
        if (r[end] === undefined) invalid(ctx, ['reward', end], undefined, `${b.algorithm} needs the range of a continuous reward (reward.min and reward.max, e.g. 0 and the largest order value): its exploration is scaled by it`, 'FieldValueRequired');
      }
    }
  })
  .describe('Traffic is allocated between arms by the rewards they earn, recomputed on a cadence, inside floors, ceilings and guardrails.');

const phase = z
  .strictObject({ shadow: shadow.optional(), canary: canary.optional(), blueGreen: blueGreen.optional(), abTest: abTest.optional(), bandit: bandit.optional() })
  .superRefine(exactlyOne([...PHASE_KINDS], 'a phase'))
  .describe('One pattern: exactly one of shadow, canary, blueGreen, abTest, bandit.');

/** Metrics judged on shadow pairs (the baseline's and the candidate's answers to the same request). */
export const PAIRED_GATE_METRICS = ['agreement', 'candidateErrorRate', 'scoreDeltaMean', 'scoreDeltaP99', 'pairedLatencyDeltaP50Ms', 'pairedLatencyDeltaP99Ms'] as const;
/** Metrics the gateway's telemetry answers; any other metric needs a provider. */
export const BUILTIN_GATE_METRICS = ['errorRate', 'clientErrorRate', 'latencyP50Ms', 'latencyP90Ms', 'latencyP99Ms', 'invalidOutputRate', 'outputPSI', 'classRateDelta', 'requests', ...PAIRED_GATE_METRICS] as const;
/** Metrics whose value already compares the candidate with the baseline. */
const COMPARISON_METRICS = new Set(['outputPSI', 'classRateDelta']);
const THRESHOLD_KINDS = ['max', 'min', 'maxDelta', 'minDelta', 'maxRelativeDelta', 'minRelativeDelta'] as const;

const thresholds = {
  max: z.number().optional().describe('Fails when the candidate value is surely above.'),
  min: z.number().optional().describe('Fails when the candidate value is surely below.'),
  maxDelta: z.number().optional().describe('Fails when candidate minus baseline is surely above.'),
  minDelta: z.number().optional().describe('Fails when candidate minus baseline is surely below.'),
  maxRelativeDelta: z.number().optional().describe('Fails when (candidate − baseline) / baseline is surely above (0.5 = 50 % worse).'),
  minRelativeDelta: z.number().min(-1).optional().describe('Fails when (candidate − baseline) / baseline is surely below (−0.02 = 2 % lower).'),
};

const prometheusProvider = z
  .strictObject({
    query: z.string().min(1).optional().describe('PromQL returning the gate\'s value for one window (one number per window).'),
    events: z.string().min(1).optional().describe('PromQL counting the events in one window (e.g. 5xx responses); with total, the gate is the rate events/total.'),
    total: z.string().min(1).optional().describe('PromQL counting the trials in one window (e.g. requests).'),
    address: z.string().optional().describe('Prometheus base URL (default: $SWITCHYARD_PROMETHEUS_URL of the controller).'),
  })
  .superRefine((p, ctx) => {
    if (p.query !== undefined && (p.events !== undefined || p.total !== undefined)) invalid(ctx, ['query'], p.query, 'set either query or events and total, not both');
    else if (p.query === undefined && (p.events === undefined || p.total === undefined)) {
      invalid(ctx, [p.events === undefined ? 'events' : 'total'], undefined, 'set query, or both events and total', 'FieldValueRequired');
    }
  })
  .describe('PromQL read at every window: one query for the value, or events and total for a rate.');

const gate = z
  .strictObject({
    metric: z.string().min(1).describe('errorRate, clientErrorRate (4xx), latencyP50Ms/P90Ms/P99Ms, invalidOutputRate, outputPSI, classRateDelta, requests; on shadow pairs agreement, candidateErrorRate, scoreDeltaMean, scoreDeltaP99, pairedLatencyDeltaP50Ms/P99Ms; or any name with a provider.'),
    name: z.string().optional().describe('Name in status and reports (default: the metric); two gates on one metric need names.'),
    ...thresholds,
    pass: z
      .strictObject(thresholds)
      .optional()
      .describe('Pass band: thresholds the value must surely meet to pass (e.g. max 0.005 while max 0.01 fails); between the two the step holds.'),
    bySlice: z.string().optional().describe('Evaluate per stratum of this name.'),
    outcome: outcome.optional().describe('Judge feedback events of `metric` (clicks, purchases, revenue) per arm instead of telemetry.'),
    provider: z
      .strictObject({ prometheus: prometheusProvider })
      .optional()
      .describe('Read the metric from an external provider instead of the gateway telemetry.'),
  })
  .superRefine((g, ctx) => {
    if (THRESHOLD_KINDS.every((k) => g[k] === undefined)) {
      invalid(ctx, [], undefined, 'a gate must set at least one of max, min, maxDelta, minDelta, maxRelativeDelta, minRelativeDelta', 'FieldValueRequired');
    }
    if (g.provider && g.outcome) invalid(ctx, ['outcome'], undefined, 'a gate reads a provider or outcome feedback, not both');
    if (!g.provider && !g.outcome && !(BUILTIN_GATE_METRICS as readonly string[]).includes(g.metric)) {
      invalid(ctx, ['metric'], g.metric, `${g.metric} is not a built-in metric: this gate could never be evaluated; use one of ${BUILTIN_GATE_METRICS.join(', ')}, give it an outcome (feedback events of that metric, e.g. outcome: {aggregate: conversion}) or a provider (provider.prometheus)`);
    }
    if (!g.provider && COMPARISON_METRICS.has(g.metric)) {
      for (const k of ['maxRelativeDelta', 'minRelativeDelta'] as const) {
        if (g[k] !== undefined) invalid(ctx, [k], g[k], `${g.metric} already compares the candidate with the baseline; use max (or maxDelta), not a relative delta`);
      }
    }
    for (const k of THRESHOLD_KINDS) {
      const p = g.pass?.[k];
      if (p === undefined) continue;
      const f = g[k];
      if (f === undefined) invalid(ctx, ['pass', k], p, `pass.${k} needs the fail threshold ${k} beside it`);
      else if (k.startsWith('max') ? p > f : p < f) invalid(ctx, ['pass', k], p, `pass.${k} must be ${k.startsWith('max') ? 'at most' : 'at least'} ${k} (${f}): a value cannot pass beyond where it fails`);
    }
  });

export const trafficPlanSpec = z.strictObject({
  target,
  candidate,
  owner,
  cohorts: cohorts.optional(),
  phases: z.array(phase).min(1).describe('Ordered phases: shadow, canary, blueGreen, abTest, bandit.'),
  gates: z.array(gate).optional().describe('Conditions judged on the step\'s evidence at every window; a failure rolls back.'),
  alpha: z.number().gt(0).max(0.5).optional().describe('Chance the plan ever rolls back a candidate that meets every gate, over all its looks, steps and gates (default 0.05).'),
  window: duration.default('1m').superRefine((w, ctx) => {
    // The gateway keeps telemetry per second, and windows are read aligned on it.
    const ms = parseGoDuration(w);
    if (ms !== undefined && (ms < 1000 || ms % 1000 !== 0)) invalid(ctx, [], w, 'window must be a whole number of seconds, at least 1s (telemetry is kept per second)');
  }).describe('Gate evaluation window (Go duration, whole seconds).'),
  maxDuration: duration.optional().describe('The plan aborts and rolls back after this long.'),
  rollback: z
    .strictObject({
      onGateFailure: z.boolean().default(true).describe('Roll back automatically when a gate fails.'),
      keepWarm: duration.optional().describe('How long the rollback target stays warm after promotion.'),
    })
    .prefault({})
    .describe('Rollback behaviour.'),
  budget: z
    .strictObject({
      maxCostPerHour: z.number().min(0).optional().describe('Highest cost per hour (spec.cost prices) a step may run at; a step over it pauses the plan before traffic moves.'),
      maxRequests: z.number().int().min(0).optional().describe('Candidate requests the plan may spend; used up without a decision, the plan ends as at maxDuration.'),
    })
    .optional()
    .describe('Cost and request budget; the plan halts before exceeding it.'),
  cost: z
    .strictObject({
      perRequest: z.number().min(0).describe("Baseline inference cost of one request (any currency)."),
      candidatePerRequest: z.number().min(0).optional().describe("Candidate's cost of one request; defaults to perRequest."),
      perReplicaHour: z.number().min(0).optional().describe('Cost of one warm replica for one hour.'),
      requestsPerSecond: z.number().min(0).optional().describe('Expected request rate; the controller uses the observed rate when it has one.'),
      posture: z.enum(['comparison', 'split']).optional().describe('comparison: baseline answers all and the candidate its share too; split: each request goes to one model.'),
    })
    .optional()
    .describe('Prices for `switchyard plan cost` and budget.maxCostPerHour.'),
}).superRefine((s, ctx) => {
  if (s.target.virtualService) refuseGatewayOnlyOnVs(s, ctx);
  s.phases.forEach((p, i) => {
    const tag = p.blueGreen?.preview?.tag;
    if (s.target.inferenceService && tag !== undefined && tag !== 'latest') {
      invalid(ctx, ['phases', i, 'blueGreen', 'preview', 'tag'], tag, 'KServe\'s tag routing gives the newest revision the host latest-<name>-predictor.<namespace>.<domain> (and the previous one prev-…): the preview answers on "latest", and no other tag has a host', 'FieldValueNotSupported');
    }
  });
  // A gate is known by its name (else its metric) and slice: in status, forecasts and outcome reads.
  const seen = new Map<string, number>();
  (s.gates ?? []).forEach((g, i) => {
    const key = `${g.name ?? g.metric}${g.bySlice ? `/${g.bySlice}` : ''}`;
    const first = seen.get(key);
    if (first !== undefined) invalid(ctx, ['gates', i, 'name'], g.name, `gates[${first}] is already known as "${g.name ?? g.metric}"${g.bySlice ? ` by ${g.bySlice}` : ''}: give one of them a name`, g.name === undefined ? 'FieldValueRequired' : 'FieldValueDuplicate');
    else seen.set(key, i);
    const strata = (s.cohorts?.strata ?? []).map((x) => x.name);
    if (g.bySlice !== undefined && s.target.inferenceService && !strata.includes(g.bySlice)) {
      invalid(ctx, ['gates', i, 'bySlice'], g.bySlice, strata.length > 0 ? `names no stratum of cohorts.strata (${strata.join(', ')})` : 'names no stratum: define it in cohorts.strata (e.g. {name: tier, header: x-tier})', 'FieldValueNotSupported');
    }
  });
  s.phases.forEach((p, i) => {
    if (!p.abTest) return;
    if (!s.cohorts?.unit) invalid(ctx, ['phases', i, 'abTest'], undefined, 'an abTest assigns units sticky: set cohorts.unit (e.g. {header: x-user-id})', 'FieldValueRequired');
    if (!p.abTest.primary) invalid(ctx, ['phases', i, 'abTest', 'primary'], undefined, 'an abTest declares the primary metric that decides it, e.g. {metric: purchase}', 'FieldValueRequired');
  });
}).describe('What may move traffic to the candidate, in which phases, judged by which gates, owned by whom, and at what cost.');

/**
 * On a VirtualService target the plan moves the route's weights and nothing else. What the gateway
 * does for a plan on an InferenceService — copying requests to a shadow, assigning units, labelling
 * strata, excluding traffic — and what reads an InferenceService's two revisions from the
 * prediction log (outcome metrics, so an abTest) has no route equivalent: accepting them would
 * let a plan claim a protection it never applies, or wait for evidence that never comes.
 * (Sticky units on a route: the VirtualService's `switchyard.dev/unit-key` annotation.)
 */
function refuseGatewayOnlyOnVs(s: { phases: Array<{ shadow?: unknown; abTest?: unknown; blueGreen?: unknown }>; cohorts?: unknown; gates?: Array<{ bySlice?: string; outcome?: unknown }> }, ctx: RefineCtx): void {
  const why = 'a VirtualService target only moves route weights';
  s.phases.forEach((p, i) => {
    if (p.shadow) invalid(ctx, ['phases', i, 'shadow'], undefined, `a shadow phase needs target.inferenceService: the gateway copies that service's requests to the candidate revision; ${why}`, 'FieldValueInvalid');
    if (p.abTest) invalid(ctx, ['phases', i, 'abTest'], undefined, `an abTest needs target.inferenceService: its arms are that service's baseline and candidate revisions; ${why}`, 'FieldValueInvalid');
    // At weight 0 on the route no request reaches the candidate, so a preview would wait for evidence that never comes.
    if (p.blueGreen) invalid(ctx, ['phases', i, 'blueGreen'], undefined, `a blueGreen phase needs target.inferenceService: its candidate is previewed at 0 % on KServe's "latest" tag host, which a VirtualService route has no equivalent of (at weight 0 no request reaches the candidate); on a route, a canary phase with steps [100] switches in one move`, 'FieldValueInvalid');
  });
  if (s.cohorts !== undefined) {
    invalid(ctx, ['cohorts'], undefined, `cohorts act on an InferenceService's split; on a route, keep units sticky with the VirtualService's switchyard.dev/unit-key annotation and give excluded or separately judged traffic a route of its own (match on the header)`, 'FieldValueInvalid');
  }
  (s.gates ?? []).forEach((g, i) => {
    if (g.bySlice !== undefined) invalid(ctx, ['gates', i, 'bySlice'], g.bySlice, 'slices come from cohorts.strata, which a VirtualService target does not have', 'FieldValueInvalid');
    if (g.outcome !== undefined) invalid(ctx, ['gates', i, 'outcome'], undefined, `outcome metrics compare an InferenceService's baseline and candidate revisions in the prediction log; ${why}`, 'FieldValueInvalid');
  });
}

/** One-shot operator commands are annotations (kubectl annotate/patch work too); the controller consumes and removes them. */
export const COMMAND_ANNOTATION = 'switchyard.dev/command';
export const COMMAND_REASON_ANNOTATION = 'switchyard.dev/command-reason';
/** Stamped by the API server with the authenticated user who set the command (clients cannot forge it). */
export const COMMAND_BY_ANNOTATION = 'switchyard.dev/command-by';
export const PLAN_COMMANDS = ['promote', 'rollback', 'pause', 'resume', 'abort', 'kill', 'learning-off', 'learning-on'] as const;
/** Commands that stop or hold what a plan does: canHalt groups may send them (learning-off freezes a bandit's allocation). */
export const HALT_COMMANDS: readonly string[] = ['pause', 'rollback', 'abort', 'kill', 'learning-off'];

const gateStatus = z.looseObject({
  metric: z.string().describe('The gate\'s metric.'),
  name: z.string().optional().describe('The gate\'s name, when it has one.'),
  value: z.number().nullable().optional().describe('The candidate\'s value over the step (cumulative).'),
  interval: z.array(z.number().nullable()).optional().describe('Its always-valid interval [low, high] (null: unbounded).'),
  deltaInterval: z.array(z.number().nullable()).optional().describe('The always-valid interval of candidate − baseline (relative for relative thresholds), which delta thresholds judge.'),
  baseline: z.number().nullable().optional().describe('The baseline\'s value over the step.'),
  samples: z.strictObject({ candidate: z.number(), baseline: z.number() }).optional().describe('Samples behind the values, per side.'),
  threshold: z.string().optional().describe('The thresholds, as written (e.g. "max 0.01").'),
  verdict: z.enum(['pass', 'fail', 'inconclusive', 'nodata', 'error']).optional().describe('pass, fail, inconclusive (the interval straddles a threshold), nodata or error.'),
  slice: z.string().optional().describe('The stratum judged (bySlice), as name=value.'),
  reason: z.string().optional().describe('Why the verdict, in words.'),
  lastWindow: z.looseObject({ value: z.number().nullable().optional(), samples: z.number(), failed: z.boolean().optional() }).optional().describe('The latest window alone.'),
  needs: z.looseObject({ requests: z.number().optional(), seconds: z.number().optional(), message: z.string() }).optional().describe('While undecided: how much more evidence a decision needs at the rates observed.'),
});

export const trafficPlanStatus = z.looseObject({
  phase: z.enum(PLAN_PHASES).optional().describe('Pending, Progressing, Paused; at the end Promoted, Validated (a shadow-only plan that passed), RolledBack or Aborted.'),
  target: z.string().optional().describe('What the plan moves, for `kubectl get tp`: the InferenceService\'s name, or vs/NAME[:ROUTE] for a VirtualService route.'),
  observedGeneration: z.number().int().optional().describe('The spec generation the controller last acted on.'),
  phaseIndex: z.number().int().optional().describe('Index (from 0) of the current phase in spec.phases.'),
  currentStep: z.number().int().optional().describe('Index (from 0) of the step in the current phase, as Argo Rollouts\' currentStepIndex.'),
  step: z.string().optional().describe('The current phase and step as people count them, for `kubectl get tp`: `canary 2/3`, `shadow`, `abTest`, `bandit`, `blueGreen`.'),
  canaryPercent: z.number().optional().describe('The candidate\'s share of live traffic the plan asks for now, in percent.'),
  split: z.record(z.string(), z.number()).optional().describe('The split the target reports, revision (or destination) to percent.'),
  stepRequests: z.number().int().optional().describe('Candidate requests served in the current step.'),
  stepMinRequests: z.number().int().optional().describe('Candidate requests the step\'s hold needs (hold.minRequests).'),
  passingWindows: z.number().int().optional().describe('Consecutive passing windows in the current step.'),
  requiredPassingWindows: z.number().int().optional().describe('Passing windows the step\'s hold needs.'),
  stepStartedAt: z.string().optional().describe('When the current step began (RFC 3339).'),
  startedAt: z.string().optional().describe('When the plan first moved traffic (RFC 3339); maxDuration counts from it.'),
  steps: z.array(z.number()).optional().describe('The current phase\'s steps, in percent.'),
  candidateRevision: z.string().optional().describe('The revision (or destination) traffic moves to.'),
  baselineRevision: z.string().optional().describe('The revision (or destination) the candidate is judged against and rolled back to.'),
  previewURL: z.string().optional().describe('A blueGreen phase\'s preview: the candidate\'s tag host (KServe\'s status.components.predictor.traffic url), where the requests that judge it are sent.'),
  lastWindow: z.strictObject({ from: z.string(), to: z.string(), verdict: z.string() }).optional().describe('The latest window judged and its verdict.'),
  shadow: z.looseObject({ percent: z.number(), pairedRequests: z.number().optional(), pairs: z.number(), compared: z.number(), agreement: z.number().optional() }).optional().describe('A shadow phase: copies, pairs judged (toward exit.pairedRequests), agreement per output, the confusion matrix.'),
  experiment: z.looseObject({ reason: z.string(), decision: z.enum(['win', 'lose', 'inconclusive']).optional() }).optional().describe('An abTest phase: arms, lift, p-value, SRM, horizon and the decision with why (switchyard plan report).'),
  bandit: z.looseObject({ version: z.number(), learning: z.boolean(), arms: z.array(z.looseObject({ name: z.string(), weight: z.number() })) }).optional().describe('A bandit phase: per arm its share, rewards, pending, P(best) and whether frozen; learning mode, holds, allocation history.'),
  evidence: z.looseObject({ since: z.string(), windows: z.number(), candidateRequests: z.number(), baselineRequests: z.number(), baselineIsReference: z.boolean().optional() }).optional().describe('What the gates judge: everything since the step began.'),
  state: z.record(z.string(), z.unknown()).optional().describe('Stored controller state (resumed after a restart).'),
  gates: z.array(gateStatus).optional().describe('Each gate on the step\'s evidence: value, interval, baseline, last window, verdict and what an undecided one still needs.'),
  message: z.string().optional().describe('The latest decision or what the plan waits for, in words.'),
  restore: z.string().optional().describe('After an InferenceService plan rolled back: its spec still names the candidate, pinned at canaryTrafficPercent 0 as KServe leaves it, and the kubectl patch that makes it name what serves.'),
  conditions: z.array(condition).optional().describe('Progressing, Paused, Completed, Decidable (and Accepted in a cluster), as Kubernetes conditions.'),
}).describe('Where the plan is, as its controller last observed and decided.');

export const trafficPlanSchema = kindObject({
  apiVersions: ['switchyard.dev/v1alpha1'],
  kind: 'TrafficPlan',
  spec: trafficPlanSpec,
  status: trafficPlanStatus,
}).describe('TrafficPlan moves traffic to a candidate step by step, only while its gates pass, and rolls back on failure.');

export type TrafficPlan = z.infer<typeof trafficPlanSchema>;
export type TrafficPlanSpec = z.infer<typeof trafficPlanSpec>;
export type TrafficPlanStatus = z.infer<typeof trafficPlanStatus>;

export type BanditPhaseSpec = NonNullable<TrafficPlanSpec['phases'][number]['bandit']>;

/** A bandit's stopping rule with its defaults filled in: one place for the numbers the schema's descriptions promise. */
export function banditStopRule(b: BanditPhaseSpec): { minRewards: number; probabilityBest: number; alpha: number; valueRemaining?: number } {
  return { minRewards: b.stop?.minRewards ?? 100, probabilityBest: b.stop?.probabilityBest ?? 0.95, alpha: b.stop?.alpha ?? 0.05, ...(b.stop?.valueRemaining !== undefined ? { valueRemaining: b.stop.valueRemaining } : {}) };
}
