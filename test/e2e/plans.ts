// What the TrafficPlan end-to-end suites share: kubectl that must succeed,
// a plan's status and audit records over the API, and an InferenceService
// serving iris-v1 that is Ready. Each takes the suite's `up` lazily (suites
// restart it after kill -9).
import assert from 'node:assert/strict';
import { apiFetch, kubectl, until, type Up } from './harness.ts';

export const KUBECTL = '1.33';

export interface PlanTools {
  /** kubectl that must exit 0; its stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** The plan's status (any shape the suite asks for). */
  status<T = Record<string, unknown>>(name: string): Promise<T>;
  /** The plan's transitions (verbs plan/…) from the audit log, oldest first. */
  audit<T = { verb: string; actor: string; evidence?: unknown }>(name: string): Promise<T[]>;
  /** Applies an InferenceService NAME serving `storageUri` (iris-v1 by default) and waits until it is Ready. */
  serve(name: string, storageUri?: string, annotations?: Record<string, string>): Promise<void>;
  /** Waits until the plan reaches one of `phases`; throws with the plan's recent log lines. */
  waitPhase<T extends { phase?: string }>(name: string, phases: string[], ms?: number): Promise<T>;
}

export function planTools(up: () => Up, namespace = 'default'): PlanTools {
  const tools: PlanTools = {
    async ok(args, input) {
      const r = await kubectl(KUBECTL, up(), args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    async status<T>(name: string) {
      const res = await apiFetch(up(), `/apis/switchyard.dev/v1alpha1/namespaces/${namespace}/trafficplans/${name}`);
      return (((await res.json()) as { status?: T }).status ?? {}) as T;
    },
    async audit<T>(name: string) {
      const res = await apiFetch(up(), '/switchyard/v1/audit?limit=100000');
      const body = (await res.json()) as { items: Array<{ verb: string; resource: string }> };
      return body.items.filter((r) => r.resource === `switchyard.dev/trafficplans/${namespace}/${name}` && r.verb.startsWith('plan/')) as unknown as T[];
    },
    async serve(name, storageUri = 'pvc://models/iris-v1/', annotations) {
      await tools.ok(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
        spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri } } },
      }));
      await tools.ok(['wait', '--for=condition=Ready', `isvc/${name}`, '--timeout=60s']);
    },
    waitPhase<T extends { phase?: string }>(name: string, phases: string[], ms = 120_000) {
      return until(`plan ${name} to reach ${phases.join('|')}`, async () => {
        const s = await tools.status<T>(name);
        return s.phase && phases.includes(s.phase) ? s : undefined;
      }, ms, () => up().output().split('\n').filter((l) => l.includes(name)).slice(-5).join('\n'));
    },
  };
  return tools;
}
