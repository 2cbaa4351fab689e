// `up --demo`, second act: TrafficPlans under generated load. A good
// candidate (iris-v2) is moved 20 → 50 → 100 % while its gates pass; then a
// bad one (answers "setosa" to everything, healthy on HTTP) is rolled back
// by its output gate in the first step. Progress is printed as it happens;
// `switchyard plan status NAME -n quickstart --watch` shows the same live.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Pool } from 'undici';
import { findByKind } from '../api/registry.ts';
import { TERMINAL_PLAN_PHASES, type TrafficPlanStatus } from '../api/kinds/trafficplan.ts';
import type { KubeObject } from '../store/types.ts';
import type { Resources, Scope } from './apiserver/resources.ts';
import { sleep } from '../core/sleep.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/rollout/', import.meta.url));
const ACTOR = { name: 'system:demo' };
/** Rows around the three iris class centres, so every class is asked for. */
const CENTERS = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];

export interface PlanDemoDeps {
  resources: Resources;
  gatewayUrl: string;
  log: (line: string) => void;
  /** Generated requests per second (default 300: enough for 5 s windows at a 20 % step, little CPU). */
  rate?: number;
}


/** About `rate` requests per second to quickstart/iris until stopped; answers are drained, counts kept per status. */
function generateLoad(gatewayUrl: string, rate: number) {
  const concurrency = 4;
  const gapMs = (1000 * concurrency) / rate;
  const pool = new Pool(gatewayUrl, { connections: concurrency });
  const byStatus = new Map<number, number>();
  let stopped = false;
  let i = 0;
  const worker = async () => {
    for (let next = performance.now(); !stopped; ) {
      next += gapMs;
      const c = CENTERS[i++ % 3]!;
      const row = c.map((v, j) => Math.round((v + (((i * 7 + j * 13) % 11) - 5) * 0.04) * 100) / 100);
      try {
        const res = await pool.request({ path: '/v1/models/iris:predict', method: 'POST', headers: { host: 'iris.quickstart.example.com', 'content-type': 'application/json' }, body: JSON.stringify({ instances: [row] }) });
        await res.body.dump();
        byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
      } catch {
        byStatus.set(0, (byStatus.get(0) ?? 0) + 1);
        await sleep(100);
      }
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now(); // behind: do not burst to catch up
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    byStatus,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      await pool.close();
    },
  };
}

function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  return `[${'#'.repeat(Math.round(f * width)).padEnd(width, '.')}] ${done}/${total}`;
}

function summary(s: TrafficPlanStatus): string {
  const gates = (s.gates ?? []).map((g) => `${g.name ?? g.metric} ${g.value === undefined || g.value === null ? '–' : Number(g.value).toFixed(3)} ${g.verdict}`).join(', ');
  return `${s.phase} step ${(s.currentStep ?? 0) + 1}/${s.steps?.length ?? '?'} canary ${s.canaryPercent ?? 0}% requests ${bar(s.stepRequests ?? 0, s.stepMinRequests ?? 0)} windows ${s.passingWindows ?? 0}/${s.requiredPassingWindows ?? 1}${gates ? ` | ${gates}` : ''}`;
}

async function runPlan(resources: Resources, file: string, log: (line: string) => void): Promise<TrafficPlanStatus> {
  const obj = parse(readFileSync(`${EXAMPLES}${file}`, 'utf8')) as KubeObject;
  const info = findByKind(obj.apiVersion, obj.kind)!;
  const scope: Scope = { info, version: 'v1alpha1', namespace: obj.metadata.namespace! };
  await resources.create(scope, obj, ACTOR);
  log(`  kubectl apply -f examples/rollout/${file}   (watch: npx switchyard plan status ${obj.metadata.name} -n ${obj.metadata.namespace} --watch)`);
  let last = '';
  let lastAt = 0;
  for (let i = 0; i < 3600; i++) {
    const s = ((await resources.get({ ...scope, name: obj.metadata.name })).status ?? {}) as TrafficPlanStatus;
    const key = `${s.phase}/${s.currentStep}/${s.canaryPercent}`;
    if (s.phase && (key !== last || Date.now() - lastAt > 5000)) {
      log(`  ${obj.metadata.name}: ${summary(s)}`);
      if (s.phase === 'Paused' && !last.startsWith('Paused')) log(`  ${obj.metadata.name} is paused: ${s.message ?? ''} (npx switchyard plan resume ${obj.metadata.name} -n ${obj.metadata.namespace})`);
      last = key;
      lastAt = Date.now();
    }
    if (s.phase && TERMINAL_PLAN_PHASES.has(s.phase)) {
      log(`  ${obj.metadata.name}: ${s.phase} — ${s.message ?? ''}`);
      return s;
    }
    await sleep(1000);
  }
  throw new Error(`plan ${obj.metadata.name} did not finish within an hour`);
}

export async function runPlanStory({ resources, gatewayUrl, log, rate = 300 }: PlanDemoDeps): Promise<void> {
  log('demo: TrafficPlans under generated load on quickstart/iris (examples/rollout/)');
  const load = generateLoad(gatewayUrl, rate);
  try {
    log('demo plan 1/2: a good candidate (iris-v2) moves step by step while its gates pass');
    await runPlan(resources, '10-iris-v2-plan.yaml', log);
    log('demo plan 2/2: a bad candidate (always "setosa", healthy on HTTP) is rolled back by its output gate');
    await runPlan(resources, '20-iris-setosa-plan.yaml', log);
  } finally {
    await load.stop();
  }
  const statuses = [...load.byStatus].map(([code, n]) => `${n}× ${code === 0 ? 'no answer' : code}`).join(', ');
  log(`demo: done; generated load got ${statuses}. Every decision is in the audit log: npx switchyard audit log`);
}
