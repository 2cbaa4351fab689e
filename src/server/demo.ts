// `up --demo`: KServe's canary story, told live against this server — v1
// serving, v2 at 10 % with the split observed through the gateway, tag hosts,
// promotion by removing the field, rollback with 0 — each step printed with
// the kubectl command a person would type for it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { request } from 'undici';
import { findByKind } from '../api/registry.ts';
import type { KubeObject } from '../store/types.ts';
import type { Resources, Scope } from './apiserver/resources.ts';
import { sleep } from '../core/sleep.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/canary/', import.meta.url));
const ACTOR = { name: 'system:demo' };
const ROW = '{"instances": [[6.8, 2.8, 4.8, 1.4]]}'; // v1 answers 1 (versicolor), v2 always 0 (setosa)

interface DemoDeps {
  resources: Resources;
  gatewayUrl: string;
  /** Resolves once the gateway's routing table reflects the status just read. */
  routingSettled: () => Promise<void>;
  log: (line: string) => void;
}

function load(file: string): KubeObject {
  return parse(readFileSync(`${EXAMPLES}${file}`, 'utf8')) as KubeObject;
}


export async function runCanaryStory({ resources, gatewayUrl, routingSettled, log }: DemoDeps): Promise<void> {
  const v1 = load('iris-v1.yaml');
  const info = findByKind(v1.apiVersion, v1.kind)!;
  const scope: Scope = { info, version: 'v1beta1', namespace: v1.metadata.namespace!, name: v1.metadata.name };
  const host = `${v1.metadata.name}.${v1.metadata.namespace}.example.com`;
  const predictor = async () => ((await resources.get(scope)).status as { components?: { predictor?: Record<string, unknown> } } | undefined)?.components?.predictor ?? {};
  const until = async (what: string, ok: (p: Record<string, unknown>) => boolean): Promise<void> => {
    for (let i = 0; i < 600; i++) {
      if (ok(await predictor())) {
        await routingSettled();
        return;
      }
      await sleep(100);
    }
    throw new Error(`demo: timed out waiting for ${what}`);
  };
  const count = async (n: number, h = host): Promise<string> => {
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const res = await request(`${gatewayUrl}/v1/models/${v1.metadata.name}:predict`, { method: 'POST', headers: { host: h, 'content-type': 'application/json' }, body: ROW });
      const label = String(((await res.body.json()) as { predictions?: unknown[] }).predictions?.[0] ?? res.statusCode);
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    return [...seen].sort().map(([label, c]) => `${c}× ${label === '0' ? 'v2 (setosa)' : label === '1' ? 'v1 (versicolor)' : label}`).join(', ');
  };
  const apply = async (obj: KubeObject): Promise<void> => {
    try {
      const current = await resources.get(scope);
      await resources.replace(scope, { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } }, ACTOR);
    } catch {
      const { name: _n, ...createScope } = scope;
      await resources.create(createScope, obj, ACTOR);
    }
  };
  const canary = async (spec: Record<string, unknown>) => {
    const current = await resources.get(scope);
    const next = structuredClone(current) as KubeObject & { spec: { predictor: Record<string, unknown> } };
    Object.assign(next.spec.predictor, spec);
    for (const [k, v] of Object.entries(spec)) if (v === undefined) delete next.spec.predictor[k];
    await resources.replace(scope, next, ACTOR);
  };
  const traffic = (p: Record<string, unknown>) => ((p.traffic ?? []) as { revisionName: string; percent: number; tag?: string }[]).map((t) => `${t.tag ?? 'latest'} ${t.percent}% → ${t.revisionName}`).join(', ');

  log('demo: KServe canary story (examples/canary/run.sh tells it with kubectl and curl)');
  const created = async () => (await predictor().catch(() => ({} as Record<string, unknown>))).latestCreatedRevision;
  log('demo 1/5: v1 serving — kubectl apply -f examples/canary/iris-v1.yaml');
  const before1 = await created();
  await apply(v1);
  await until('v1 ready', (p) => p.latestCreatedRevision !== before1 && p.latestReadyRevision === p.latestCreatedRevision && p.latestRolledoutRevision === p.latestReadyRevision);
  const rev1 = (await predictor()).latestReadyRevision;
  log(`  ${traffic(await predictor())}; 20 requests: ${await count(20)}`);

  log('demo 2/5: v2 at 10 % — kubectl apply -f examples/canary/iris-v2-canary.yaml');
  await apply(load('iris-v2-canary.yaml'));
  await until('v2 ready', (p) => p.latestReadyRevision !== rev1);
  const rev2 = (await predictor()).latestReadyRevision;
  log(`  ${traffic(await predictor())}; 200 requests: ${await count(200)}`);
  log(`  tag hosts: latest-… → ${await count(5, `latest-${v1.metadata.name}-predictor.${v1.metadata.namespace}.example.com`)}; prev-… → ${await count(5, `prev-${v1.metadata.name}-predictor.${v1.metadata.namespace}.example.com`)}`);

  log('demo 3/5: rollback — canaryTrafficPercent: 0');
  await canary({ canaryTrafficPercent: 0 });
  await until('pinned to prev', (p) => traffic(p).includes('prev 100%'));
  log(`  ${traffic(await predictor())}; 20 requests: ${await count(20)}`);

  log('demo 4/5: promote — remove canaryTrafficPercent');
  await canary({ canaryTrafficPercent: undefined });
  await until('promoted', (p) => p.latestRolledoutRevision === rev2);
  log(`  ${traffic(await predictor())}; previousRolledoutRevision ${(await predictor()).previousRolledoutRevision}; 20 requests: ${await count(20)}`);

  log('demo 5/5: rollback after promotion — canaryTrafficPercent: 0 restores the previous rolled-out revision');
  await canary({ canaryTrafficPercent: 0 });
  await until('rolled back', (p) => p.latestRolledoutRevision === rev1);
  log(`  ${traffic(await predictor())}; 20 requests: ${await count(20)}`);
  log('demo: done; the InferenceService quickstart/iris-canary stays for you to explore (kubectl -n quickstart get isvc,pods)');
}
