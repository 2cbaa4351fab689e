// `switchyard plan cost FILE|NAME`: what a TrafficPlan costs per hour at each
// step and in total, against budget.maxCostPerHour. Prices come from the plan's
// spec.cost, overridden by flags; --observed reads the live request rate and
// replica counts from the API. Works offline on a file.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { findByKind } from '../../api/registry.ts';
import { formatCauses, validateObject } from '../../api/validate.ts';
import type { CostInputs } from '../../analysis/cost.ts';
import { syError } from '../../core/errors.ts';
import { collect, filesOf } from './apply.ts';
import { run, type CliContext } from '../context.ts';
import { readManifests } from '../manifests.ts';
import { formatData, parseDataFormat } from '../output.ts';
import { costReport, formatCostReport, type CostReport, type ValidPlan } from './plan-cost-report.ts';

export interface CostFlags {
  rps?: string;
  costPerRequest?: string;
  candidateCostPerRequest?: string;
  replicaHourCost?: string;
  posture?: string;
  baselineReplicas?: string;
  candidateReplicas?: string;
  observed?: boolean;
  output?: string;
}

/** What --observed found on the server. */
export interface Observed {
  requestsPerSecond?: number;
  replicas?: number;
}

function number(flag: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw syError('SY_ERR_CONFIG', `${flag} must be a non-negative ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return v;
}

/** Inputs from flags, then the observed values, then spec.cost; each with where it came from. A missing price names the flag and the field. */
export function resolveCostInputs(plan: ValidPlan, flags: CostFlags, observed: Observed = {}): { inputs: CostInputs; sources: Record<string, string> } {
  const c = plan.spec.cost;
  const sources: Record<string, string> = {};
  const pick = <T>(key: string, options: Array<[T | undefined, string]>): T | undefined => {
    const found = options.find(([v]) => v !== undefined);
    if (found) sources[key] = found[1];
    return found?.[0];
  };
  const rps = pick('requestsPerSecond', [[number('--rps', flags.rps), '--rps'], [observed.requestsPerSecond, 'observed over the last minute'], [c?.requestsPerSecond, 'spec.cost.requestsPerSecond']]);
  if (rps === undefined) throw syError('SY_ERR_CONFIG', `no request rate for plan ${plan.metadata.name}: pass --rps N, or --observed to read it from the API server, or set spec.cost.requestsPerSecond`);
  const perRequest = pick('perRequest', [[number('--cost-per-request', flags.costPerRequest), '--cost-per-request'], [c?.perRequest, 'spec.cost.perRequest']]);
  if (perRequest === undefined) throw syError('SY_ERR_CONFIG', `no price per request for plan ${plan.metadata.name}: pass --cost-per-request X or set spec.cost.perRequest`);
  const candidate = pick('candidatePerRequest', [[number('--candidate-cost-per-request', flags.candidateCostPerRequest), '--candidate-cost-per-request'], [c?.candidatePerRequest, 'spec.cost.candidatePerRequest'], [perRequest, 'same as the baseline']]);
  const replicaHour = pick('perReplicaHour', [[number('--replica-hour-cost', flags.replicaHourCost), '--replica-hour-cost'], [c?.perReplicaHour, 'spec.cost.perReplicaHour'], [0, 'not priced: set --replica-hour-cost or spec.cost.perReplicaHour']]);
  if (flags.posture !== undefined && flags.posture !== 'comparison' && flags.posture !== 'split') {
    throw syError('SY_ERR_CONFIG', `--posture must be "comparison" or "split", got "${flags.posture}"`);
  }
  const posture = pick('posture', [[flags.posture as 'comparison' | 'split' | undefined, '--posture'], [c?.posture, 'spec.cost.posture'], ['comparison' as const, 'default']])!;
  const baselineReplicas = pick('baselineReplicas', [[number('--baseline-replicas', flags.baselineReplicas, true), '--baseline-replicas'], [observed.replicas, 'observed minReplicas'], [1, 'default']])!;
  const candidateReplicas = pick('candidateReplicas', [[number('--candidate-replicas', flags.candidateReplicas, true), '--candidate-replicas'], [observed.replicas, 'observed minReplicas'], [1, 'default']])!;
  return {
    inputs: { requestsPerSecond: rps, baselineCostPerRequest: perRequest, candidateCostPerRequest: candidate!, costPerReplicaHour: replicaHour!, posture, baselineReplicas, candidateReplicas },
    sources,
  };
}

/** Every TrafficPlan in the files, validated (defaults applied); other kinds are skipped with a note. */
export function plansFrom(files: string[], note: (text: string) => void): ValidPlan[] {
  const plans: ValidPlan[] = [];
  const info = findByKind('switchyard.dev/v1alpha1', 'TrafficPlan')!;
  for (const m of readManifests(files)) {
    if (m.error) throw m.error;
    const obj = m.object!;
    if (obj.kind !== 'TrafficPlan') {
      note(`${m.source}: ${String(obj.kind)} ${String((obj.metadata as { name?: string }).name)} skipped: not a TrafficPlan`);
      continue;
    }
    const result = validateObject<ValidPlan>(info, obj);
    if (!result.ok) {
      throw syError('SY_ERR_INVALID', `${m.source}: TrafficPlan is invalid: ${formatCauses(result.causes)} (see \`switchyard lint ${m.source.replace(/#\d+$/, '')}\`)`);
    }
    plans.push(result.value);
  }
  if (plans.length === 0) throw syError('SY_ERR_CONFIG', `no TrafficPlan in ${files.join(', ')}`);
  return plans;
}

async function observe(ctx: CliContext, plan: ValidPlan): Promise<Observed> {
  const service = plan.spec.target.inferenceService;
  if (!service) {
    throw syError('SY_ERR_CONFIG', `--observed reads the request rate of an InferenceService; plan ${plan.metadata.name} targets VirtualService ${plan.spec.target.virtualService?.name}: pass --rps instead`);
  }
  const ns = ctx.namespaceExplicit ? ctx.namespace() : (plan.metadata.namespace ?? ctx.namespace());
  const client = ctx.client();
  const windowMs = 60_000;
  const stats = await client.get<{ requests?: number }>(`/switchyard/v1/namespaces/${encodeURIComponent(ns)}/telemetry`, { query: { service, windowMs: String(windowMs) } });
  const isvc = await client.get<{ spec?: { predictor?: { minReplicas?: number } } }>(`/apis/serving.kserve.io/v1beta1/namespaces/${encodeURIComponent(ns)}/inferenceservices/${encodeURIComponent(service)}`);
  return { requestsPerSecond: (stats.requests ?? 0) / (windowMs / 1000), replicas: isvc.spec?.predictor?.minReplicas ?? 1 };
}

/** A plan on the API server, by name (as `plan status NAME` takes it): validated as a file's would be. */
async function storedPlan(ctx: CliContext, name: string): Promise<ValidPlan> {
  const ns = ctx.namespace();
  const obj = await ctx.client().get<Record<string, unknown>>(`/apis/switchyard.dev/v1alpha1/namespaces/${encodeURIComponent(ns)}/trafficplans/${encodeURIComponent(name)}`);
  const result = validateObject<ValidPlan>(findByKind('switchyard.dev/v1alpha1', 'TrafficPlan')!, obj);
  if (!result.ok) throw syError('SY_ERR_INVALID', `trafficplan ${ns}/${name} is invalid: ${formatCauses(result.causes)}`);
  return result.value;
}

/** A path that does not exist and reads as an object name (no "/" or extension) names a stored plan. */
const isPlanName = (arg: string) => arg !== '-' && !existsSync(arg) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(arg);

async function costCommand(ctx: CliContext, args: string[], flags: CostFlags): Promise<boolean> {
  const format = parseDataFormat(flags.output);
  const reports: CostReport[] = [];
  const files = args.filter((a) => !isPlanName(a));
  const stored = await Promise.all(args.filter(isPlanName).map((name) => storedPlan(ctx, name)));
  for (const plan of [...(files.length > 0 ? plansFrom(files, ctx.err) : []), ...stored]) {
    const observed = flags.observed ? await observe(ctx, plan) : {};
    const { inputs, sources } = resolveCostInputs(plan, flags, observed);
    reports.push(costReport(plan, inputs, sources));
  }
  if (format !== 'text') ctx.out(formatData(reports.length === 1 ? reports[0] : { items: reports }, format));
  else ctx.out(reports.map(formatCostReport).join('\n\n'));
  return reports.every((r) => !r.budget.exceeded);
}

export function registerPlanCost(plan: Command): void {
  plan.command('cost')
    .description('Price a TrafficPlan (a file, or one on the API server by name): cost per hour and expected hours of each step, keep-warm, total, and the peak against budget.maxCostPerHour (exit 1 if exceeded)')
    .argument('[file]', 'YAML or JSON file with the TrafficPlan (- for stdin), or the name of a TrafficPlan on the API server')
    .option('-f, --filename <path>', 'the file, as kubectl names it (the same as the argument)', collect, [])
    .option('--rps <n>', 'requests per second reaching the target (default: spec.cost.requestsPerSecond)')
    .option('--cost-per-request <x>', 'baseline cost of one request (default: spec.cost.perRequest)')
    .option('--candidate-cost-per-request <x>', "candidate's cost of one request (default: spec.cost.candidatePerRequest, else the baseline's)")
    .option('--replica-hour-cost <x>', 'cost of one warm replica for an hour (default: spec.cost.perReplicaHour, else 0)')
    .option('--posture <p>', 'comparison (baseline answers all, candidate its share too) or split (default: spec.cost.posture, else comparison)')
    .option('--baseline-replicas <n>', 'warm baseline replicas (default: observed minReplicas, else 1)')
    .option('--candidate-replicas <n>', 'warm candidate replicas (default: observed minReplicas, else 1)')
    .option('--observed', "read the target's request rate (last minute) and minReplicas from the API server")
    .option('-o, --output <format>', 'json | yaml')
    .addHelpText(
      'after',
      `
Step hours are the longest of hold.minDuration, passingWindows x window, and the time to collect
hold.minRequests at the candidate's share of the rate. A shadow lasts until its exit; an abTest
until its maxDuration ("unbounded" without one); a bandit until its stop rule can end it
(stop.minRewards on every arm at equal shares, or what the gates need on an arm before it can
be promoted when that is more), else its maxDuration, priced with every arm warm
and each request answered by one of them.

Examples:
  switchyard plan cost examples/plans/iris-v2.yaml
  switchyard plan cost plan.yaml --rps 200 --cost-per-request 0.0004 --replica-hour-cost 1.2
  switchyard plan cost plan.yaml --observed -n quickstart -o json
  switchyard plan cost iris-v2 -n quickstart --observed      # a plan already applied`,
    )
    .action(run(async (ctx, file: string | undefined, flags: CostFlags & { filename?: string[] }) => costCommand(ctx, filesOf(file ? [file] : [], flags.filename, 'plan cost'), flags)));
}
