// Everything at a glance, problems first: then per namespace its
// InferenceServices, VirtualServices and TrafficPlans, live.
import { PATHS } from '../api.ts';
import { ConditionBadge, PhaseBadge, SeverityBadge } from '../components/Badge.tsx';
import { ErrorNote, Live } from '../components/Live.tsx';
import { ago } from '../format.ts';
import { useCollection, useNow } from '../hooks.ts';
import { conditionOf, ISVC_LABEL, podReady, trafficColumns, type Isvc, type Plan, type Pod, type VirtualService } from '../model/kinds.ts';
import { phaseKindOf } from '../model/plan.ts';
import { problemsOf } from '../model/problems.ts';
import { hrefOf } from '../router.ts';

/** "2 of 3" in a canary, else the phase's kind; "(phase 2 of 2)" when the plan has more than one. */
function stepText(plan: Plan): string {
  const s = plan.status;
  if (!s || s.currentStep === undefined) return '—';
  const phases = plan.spec?.phases ?? [];
  const phase = phases[s.phaseIndex ?? 0];
  const steps = phase?.canary?.steps;
  const where = steps ? `${s.currentStep + 1} of ${steps.length}` : phaseKindOf(phase);
  return phases.length > 1 ? `${where} (phase ${(s.phaseIndex ?? 0) + 1} of ${phases.length})` : where;
}

function byNamespace<T extends { metadata: { namespace?: string } }>(items: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const ns = i.metadata.namespace ?? 'default';
    m.set(ns, [...(m.get(ns) ?? []), i]);
  }
  return m;
}

export function Overview() {
  const now = useNow(5000);
  const isvcs = useCollection<Isvc>(PATHS.isvc());
  const vss = useCollection<VirtualService>(PATHS.vs());
  const plans = useCollection<Plan>(PATHS.plan());
  const pods = useCollection<Pod>(PATHS.pod());
  const problems = problemsOf(isvcs.items, plans.items, now);
  const namespaces = [...new Set([...isvcs.items, ...vss.items, ...plans.items].map((o) => o.metadata.namespace ?? 'default'))].sort();
  const isvcByNs = byNamespace(isvcs.items);
  const vsByNs = byNamespace(vss.items);
  const planByNs = byNamespace(plans.items);
  const link = [isvcs, vss, plans, pods].find((c) => c.state !== 'live') ?? plans;

  return (
    <main id="main" tabIndex={-1}>
      <div class="title-row">
        <h1>Overview</h1>
        <Live state={link.state} error={link.error} />
      </div>
      <ErrorNote error={isvcs.error} what="InferenceServices" />
      <ErrorNote error={plans.error} what="TrafficPlans" />

      <section aria-labelledby="problems-heading">
        <h2 id="problems-heading">Problems</h2>
        {problems.length === 0 ? (
          <p class="muted">{isvcs.loaded && plans.loaded ? 'None: every InferenceService is Ready and no plan is paused, undecidable or rolled back in the last hour.' : 'Loading…'}</p>
        ) : (
          <ul class="problems">
            {problems.map((p) => (
              <li key={`${p.kind}/${p.namespace}/${p.name}/${p.title}`} class={`problem severity-${p.severity}`}>
                <SeverityBadge severity={p.severity} text={p.title} />{' '}
                <a href={hrefOf(p.kind === 'TrafficPlan' ? { view: 'plan', namespace: p.namespace, name: p.name } : { view: 'service', namespace: p.namespace, name: p.name })}>
                  {p.kind === 'TrafficPlan' ? 'TrafficPlan' : 'InferenceService'} {p.namespace}/{p.name}
                </a>
                {p.since !== undefined && <span class="muted"> · {ago(p.since, now)}</span>}
                {p.detail && <div class="message">{p.detail}</div>}
              </li>
            ))}
          </ul>
        )}
      </section>

      {namespaces.length === 0 && isvcs.loaded && <p>No resources yet. Apply some with <code>kubectl apply -f examples/quickstart</code>.</p>}
      {namespaces.map((ns) => (
        <section key={ns} aria-labelledby={`ns-${ns}`}>
          <h2 id={`ns-${ns}`}>Namespace {ns}</h2>
          <IsvcTable items={isvcByNs.get(ns) ?? []} pods={pods.items} now={now} />
          <PlanTable items={planByNs.get(ns) ?? []} now={now} />
          <VsTable items={vsByNs.get(ns) ?? []} />
        </section>
      ))}
    </main>
  );
}

function IsvcTable({ items, pods, now }: { items: Isvc[]; pods: Pod[]; now: number }) {
  if (items.length === 0) return null;
  return (
    <div class="table-wrap">
      <table>
        <caption>InferenceServices</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">Ready</th><th scope="col">Prev</th><th scope="col">Latest</th><th scope="col">Revisions</th><th scope="col">Pods ready</th><th scope="col">Age</th></tr></thead>
        <tbody>
          {items.map((i) => {
            const t = trafficColumns(i);
            const mine = pods.filter((p) => p.metadata.namespace === i.metadata.namespace && p.metadata.labels?.[ISVC_LABEL] === i.metadata.name);
            const ns = i.metadata.namespace ?? 'default';
            return (
              <tr key={i.metadata.name}>
                <th scope="row"><a href={hrefOf({ view: 'service', namespace: ns, name: i.metadata.name })}>{i.metadata.name}</a></th>
                <td class="url">{i.status?.url ?? '—'}</td>
                <td><ConditionBadge status={conditionOf(i, 'Ready')?.status} trueText="Ready" falseText="Not ready" /></td>
                <td class="num">{t.prev !== undefined ? `${t.prev} %` : '—'}</td>
                <td class="num">{t.latest !== undefined ? `${t.latest} %` : '—'}</td>
                <td class="revisions">{[t.prevRevision, t.latestRevision].filter(Boolean).join(', ') || (i.status?.components?.predictor?.latestReadyRevision ?? '—')}</td>
                <td>{mine.filter(podReady).length} / {mine.length}</td>
                <td>{ago(i.metadata.creationTimestamp, now).replace(' ago', '')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PlanTable({ items, now }: { items: Plan[]; now: number }) {
  if (items.length === 0) return null;
  return (
    <div class="table-wrap">
      <table>
        <caption>TrafficPlans</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Target</th><th scope="col">Phase</th><th scope="col">Step</th><th scope="col">Canary</th><th scope="col">Message</th><th scope="col">Age</th></tr></thead>
        <tbody>
          {items.map((p) => {
            const ns = p.metadata.namespace ?? 'default';
            const target = p.spec?.target?.inferenceService ?? p.spec?.target?.virtualService?.name ?? '—';
            return (
              <tr key={p.metadata.name}>
                <th scope="row"><a href={hrefOf({ view: 'plan', namespace: ns, name: p.metadata.name })}>{p.metadata.name}</a></th>
                <td>{target}</td>
                <td><PhaseBadge phase={p.status?.phase} /></td>
                <td>{stepText(p)}</td>
                <td class="num">{p.status?.canaryPercent !== undefined ? `${p.status.canaryPercent} %` : '—'}</td>
                <td class="message">{typeof p.status?.message === 'string' ? p.status.message : ''}</td>
                <td>{ago(p.metadata.creationTimestamp, now).replace(' ago', '')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function VsTable({ items }: { items: VirtualService[] }) {
  if (items.length === 0) return null;
  return (
    <div class="table-wrap">
      <table>
        <caption>VirtualServices</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Hosts</th><th scope="col">Routes</th></tr></thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.metadata.name}>
              <th scope="row">{v.metadata.name}</th>
              <td>{(v.spec?.hosts ?? []).join(', ')}</td>
              <td>
                {(v.spec?.http ?? []).map((r, i) => (
                  <div key={i}>
                    {r.name ?? `route ${i + 1}`}: {(r.route ?? []).map((d) => `${d.destination?.host ?? '?'}${d.destination?.subset ? `/${d.destination.subset}` : ''}${d.weight !== undefined ? ` ${d.weight} %` : ''}`).join(', ')}
                    {r.mirror?.host ? ` (mirror to ${r.mirror.host})` : ''}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
