// One TrafficPlan, live: where it is, what the step still needs, the split
// over time, every gate window after window, its conditions and every
// transition from the audit log; and its controls for roles that may use them.
import { PATHS, urlOf } from '../api.ts';
import { PhaseBadge } from '../components/Badge.tsx';
import { Conditions } from '../components/Conditions.tsx';
import { ErrorNote, Live } from '../components/Live.tsx';
import { Missing } from '../components/Missing.tsx';
import { ago } from '../format.ts';
import { useCollection, useNow, usePoll } from '../hooks.ts';
import type { Plan } from '../model/kinds.ts';
import type { HistoryPoint } from '../model/plan.ts';
import { hrefOf } from '../router.ts';
import { Audit, type AuditRecord } from './plan/Audit.tsx';
import { Controls } from './plan/Controls.tsx';
import { Gates } from './plan/Gates.tsx';
import { PhasePanels } from './plan/PhasePanels.tsx';
import { Progress } from './plan/Progress.tsx';
import { Split } from './plan/Split.tsx';
import { Timeline } from './plan/Timeline.tsx';

export function PlanView({ namespace, name }: { namespace: string; name: string }) {
  const now = useNow(1000);
  const plans = useCollection<Plan>(PATHS.plan(namespace), { fieldSelector: `metadata.name=${name}` });
  const plan = plans.items[0];
  const s = plan?.status;
  // The history gains a point with every judged window and every move; the audit with every transition.
  const history = usePoll<{ items: HistoryPoint[] }>(
    plan ? `/switchyard/v1/namespaces/${encodeURIComponent(namespace)}/trafficplans/${encodeURIComponent(name)}/history` : undefined, 0,
    `${s?.lastWindow?.to}|${s?.phase}|${s?.canaryPercent}|${s?.phaseIndex}|${s?.currentStep}`,
  );
  const audit = usePoll<{ items: AuditRecord[] }>(
    plan ? urlOf('/switchyard/v1/audit', { resource: `switchyard.dev/trafficplans/${namespace}/${name}`, verbPrefix: 'plan/', limit: 1000 }) : undefined, 0,
    `${s?.phase}|${s?.phaseIndex}|${s?.currentStep}|${s?.message}`,
  );

  if (!plan) {
    return <Missing kind="TrafficPlan" namespace={namespace} name={name} loaded={plans.loaded} error={plans.error} />;
  }
  const spec = plan.spec ?? {};
  const target = spec.target?.inferenceService;
  const points = history.data?.items ?? [];
  return (
    <main id="main" tabIndex={-1} class="plan">
      <div class="title-row">
        <h1>TrafficPlan {name}</h1>
        <PhaseBadge phase={s?.phase} />
        <Live state={plans.state} error={plans.error} />
      </div>
      <dl class="facts">
        <div><dt>Namespace</dt><dd>{namespace}</dd></div>
        <div><dt>Target</dt><dd>{target ? <a href={hrefOf({ view: 'service', namespace, name: target })}>InferenceService {target}</a> : spec.target?.virtualService ? `VirtualService ${spec.target.virtualService.name}` : '—'}</dd></div>
        <div><dt>Candidate</dt><dd>{spec.candidate?.storageUri ?? spec.candidate?.revision ?? '—'}{s?.candidateRevision ? ` (${s.candidateRevision})` : ''}</dd></div>
        <div><dt>Baseline</dt><dd>{s?.baselineRevision ?? '—'}</dd></div>
        {s?.previewURL && <div><dt>Preview</dt><dd><code>{s.previewURL}</code>: the requests sent there judge the candidate</dd></div>}
        <div><dt>Owner</dt><dd>{spec.owner?.team ?? '—'}{spec.owner?.canHalt?.length ? ` (can halt: ${spec.owner.canHalt.join(', ')})` : ''}</dd></div>
        <div><dt>Started</dt><dd>{ago(s?.startedAt, now)}</dd></div>
        <div><dt>Window</dt><dd>{spec.window ?? '—'}{s?.lastWindow ? `, last ${s.lastWindow.verdict} at ${new Date(s.lastWindow.to).toLocaleTimeString('en-GB', { hour12: false })}` : ''}</dd></div>
      </dl>
      {typeof s?.message === 'string' && s.message && <p class="message" role="status">{s.message}</p>}

      <Controls plan={plan} />

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Phases and steps</h2>
        <Timeline plan={plan} />
      </section>

      <section aria-labelledby="progress-heading">
        <h2 id="progress-heading">This step</h2>
        <Progress plan={plan} now={now} />
      </section>

      <section aria-labelledby="split-heading">
        <h2 id="split-heading">Split</h2>
        <ErrorNote error={history.error} what="the plan's history" />
        <Split plan={plan} history={points} now={now} />
      </section>

      <section aria-labelledby="gates-heading">
        <h2 id="gates-heading">Gates</h2>
        <p class="muted">Each point is one window alone; the line is the step's cumulative value and the band its always-valid interval. A gate fails when the interval is wholly beyond a fail threshold and passes when it is wholly within every pass threshold.</p>
        <Gates plan={plan} history={points} />
      </section>

      <PhasePanels plan={plan} history={points} />

      <section aria-labelledby="conditions-heading">
        <h2 id="conditions-heading">Conditions</h2>
        <Conditions conditions={s?.conditions} now={now} />
      </section>

      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">Transitions (audit log)</h2>
        <ErrorNote error={audit.error} what="the audit log" />
        <Audit records={audit.data?.items} />
      </section>
    </main>
  );
}
